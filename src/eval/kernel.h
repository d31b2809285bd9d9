// The kernel contract. A kernel reads its inputs and attrs from a
// KernelContext and sets its outputs; it reports any problem with ctx.fail(),
// which names the node and op. Kernels are grouped by family (one file each
// under kernels/), and kernel_registry.cc holds the one table from op name to
// kernel, filled by an explicit list of family registrations.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/error.h"
#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::eval {

class KernelContext {
 public:
  KernelContext(const Node& node, std::vector<const Tensor*> inputs, std::mt19937_64* rng)
      : node_(node), inputs_(std::move(inputs)), rng_(rng) {}

  const Node& node() const { return node_; }
  std::size_t num_inputs() const { return inputs_.size(); }
  // Throws (via fail) when input i is absent, or dead (only Merge sees dead inputs).
  const Tensor& input(std::size_t i) const;
  bool input_dead(std::size_t i) const { return i < inputs_.size() && inputs_[i] == nullptr; }

  void set_output(std::size_t i, Tensor t);
  // Marks output i dead (Switch's untaken branch).
  void set_dead(std::size_t i);
  std::vector<Tensor>& outputs() { return outputs_; }
  std::vector<bool>& dead() { return dead_; }

  // Attrs. The one-argument forms fail when the attr is absent.
  bool has_attr(std::string_view key) const { return node_.attr(key) != nullptr; }
  const tfprod::tf::AttrValue& attr(std::string_view key) const;
  int64_t attr_int(std::string_view key) const;
  int64_t attr_int(std::string_view key, int64_t fallback) const;
  float attr_float(std::string_view key) const;
  float attr_float(std::string_view key, float fallback) const;
  bool attr_bool(std::string_view key, bool fallback) const;
  std::string attr_string(std::string_view key) const;
  std::string attr_string(std::string_view key, const std::string& fallback) const;
  DataType attr_type(std::string_view key) const;
  DataType attr_type(std::string_view key, DataType fallback) const;
  std::vector<int64_t> attr_ints(std::string_view key) const;
  std::vector<int64_t> attr_ints(std::string_view key, std::vector<int64_t> fallback) const;
  std::vector<float> attr_floats(std::string_view key) const;

  // Seeded generator for random ops; using it marks the run non-deterministic.
  std::mt19937_64& rng() {
    used_random_ = true;
    return *rng_;
  }
  bool used_random() const { return used_random_; }

  // "node 'NAME' (op OP): <message>"
  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw Error(fmt::format("node '{}' (op {}): {}", node_.name(), node_.op,
                            fmt::format(format, std::forward<Args>(args)...)));
  }
  // "... attr 'KEY' = VALUE is not supported"
  [[noreturn]] void unsupported_attr(std::string_view key, const std::string& value) const;

 private:
  const Node& node_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  std::vector<bool> dead_;
  std::mt19937_64* rng_;
  bool used_random_ = false;
};

using KernelFn = void (*)(KernelContext&);

struct KernelDef {
  KernelFn fn = nullptr;
  bool random = false;        // output depends on a random generator
  bool stateful = false;      // never folded (variables, queues, iterators)
  bool accepts_dead = false;  // runs with dead inputs (Merge)
};

using KernelTable = std::unordered_map<std::string, KernelDef>;

// The table, built once from the family registrations.
const KernelTable& kernel_table();
const KernelDef* find_kernel(std::string_view op);

// Family registrations (kernels/*.cc), listed in kernel_registry.cc.
void register_elementwise(KernelTable& table);  // binary arithmetic, comparison, logical, Select
void register_unary(KernelTable& table);        // activations and math functions, Cast
void register_reduction(KernelTable& table);    // Sum, Mean, Max, Min, Prod, ArgMax, ArgMin, All, Any
void register_shape(KernelTable& table);        // Shape, Reshape, Squeeze, ExpandDims, Fill, Range, ...
void register_array(KernelTable& table);        // slicing, Concat, Split, Pack, Transpose, Tile, Pad, Gather, OneHot
void register_nn(KernelTable& table);           // conv, matmul, pooling, normalization, softmax
void register_image(KernelTable& table);        // resize, SpaceToBatchND, BatchToSpaceND
void register_control(KernelTable& table);      // Placeholder, Const, Identity, Switch, Merge, NoOp, random, Dequantize
void register_recurrent(KernelTable& table);    // BlockLSTM

}  // namespace tfprod::eval
