// What an op handler sees while converting one TF node: the ONNX graph being
// built, the ONNX names of TF tensors, every tensor's static shape and dtype
// (from one evaluation of the graph) and Const values, and helpers that add
// nodes, initializers and layout Transposes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::onnx_export {

// NHWC <-> NCHW.
inline const std::vector<int64_t> kToNchw{0, 3, 1, 2};
inline const std::vector<int64_t> kToNhwc{0, 2, 3, 1};

struct TensorInfo {
  DataType dtype = tfprod::tf::DT_INVALID;
  Shape shape;
};

int onnx_dtype(DataType t, const std::string& what);  // throws for a dtype ONNX lacks

class Builder {
 public:
  Builder(onnx::GraphProto* graph, int opset, std::map<std::pair<const Node*, int>, TensorInfo> infos);

  int opset() const { return opset_; }
  bool dynamic_batch = false;  // OnnxOptions::dynamic_batch
  // The graph is the converter's own: a Const's bytes move into its
  // initializer instead of being copied (constant() still reads them).
  bool take_weights = false;
  onnx::GraphProto& graph() { return *graph_; }

  // The ONNX value holding TF tensor `e` (a Const becomes an initializer on
  // first use). Its producer must have been converted.
  std::string in(const Endpoint& e);
  std::string in(const Node& n, std::size_t i) { return in(n.inputs[i]); }
  // The ONNX name the node's output `port` must be written to.
  std::string out(const Node& n, int port = 0) const;

  const TensorInfo& info(const Endpoint& e) const;
  const TensorInfo& info(const Node& n, std::size_t i) const { return info(n.inputs[i]); }
  const TensorInfo& out_info(const Node& n, int port = 0) const;
  // The value of input i when it is a Const (after the graph's folding), else null.
  const Tensor* constant(const Node& n, std::size_t i);

  // A fresh value name under `base` ("conv/onnx/nchw", "conv/onnx/nchw_1", ...).
  std::string fresh(const std::string& base);
  onnx::NodeProto& add(const std::string& op, std::initializer_list<std::string> inputs,
                       std::initializer_list<std::string> outputs, const std::string& name = "");
  onnx::NodeProto& add(const std::string& op, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs, const std::string& name = "");
  // A new initializer holding `value` (returns its name); the rvalue form
  // moves the bytes into the model instead of copying them.
  std::string initializer(const std::string& base, const Tensor& value);
  std::string initializer(const std::string& base, Tensor&& value);
  std::string ints(const std::string& base, const std::vector<int64_t>& values);  // int64 1-D initializer
  std::string scalar(const std::string& base, DataType dtype, double value);
  // Transpose `value` by `perm` into a fresh value (or into `to`).
  std::string transpose(const std::string& value, const std::vector<int64_t>& perm, const std::string& base,
                        const std::string& to = "");

  // The TF output `port` of `n` is held by ONNX value `value` (already made).
  void bind(const Node& n, int port, const std::string& value);

 private:
  onnx::GraphProto* graph_;
  int opset_;
  std::map<std::pair<const Node*, int>, TensorInfo> infos_;
  std::map<std::pair<const Node*, int>, std::string> bound_;
  std::set<std::string> taken_;
  std::set<const Node*> emitted_consts_;
  std::unordered_map<const Node*, Tensor> const_values_;
  std::unordered_map<const Node*, int> moved_;  // Const -> the initializer its bytes moved to
};

// `t` with its dims permuted (out dim i = in dim perm[i]); any fixed-size dtype.
Tensor permute_tensor(const Tensor& t, const std::vector<int64_t>& perm);

// Attribute helpers.
void set_attr(onnx::NodeProto& n, const std::string& name, int64_t v);
void set_attr(onnx::NodeProto& n, const std::string& name, float v);
void set_attr(onnx::NodeProto& n, const std::string& name, const std::string& v);
void set_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);

// TF attribute readers: throw Error naming the node when absent.
std::vector<int64_t> tf_ints(const Node& n, const char* key);
std::string tf_string(const Node& n, const char* key, const std::string& fallback = "");
bool tf_bool(const Node& n, const char* key, bool fallback = false);
float tf_float(const Node& n, const char* key, float fallback);
[[noreturn]] void unsupported(const Node& n, const std::string& what);

}  // namespace tfprod::onnx_export
