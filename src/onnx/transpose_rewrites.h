// The transpose optimizer's working parts (internal to src/onnx): the
// permutation helpers and the Optimizer, whose rewrites live in two files by
// idea: transpose_optimizer.cc (its graph index, and the rewrites that need
// no shapes: cancel inverse pairs, push Transposes through element-wise ops)
// and transpose_folds.cc (the folds that need ONNX's inferred shapes:
// Transpose -> Reshape -> MatMul into permuted weights, its mirror, and
// Transposes of size-1 dims into Reshapes).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <onnx/onnx_pb.h>

#include "onnx/builder.h"
#include "onnx/transpose_optimizer.h"
#include "tfprod/tensor.h"

namespace tfprod::onnx_export::transposes {

using Perm = std::vector<int64_t>;

inline Perm ints_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

inline std::optional<int64_t> int_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return std::nullopt;
}

inline void replace_attr(onnx::NodeProto& n, const std::string& name, const Perm& v) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) {
      a.clear_ints();
      for (int64_t x : v) a.add_ints(x);
      return;
    }
  set_attr(n, name, v);
}

inline void replace_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) {
      a.set_i(v);
      return;
    }
  set_attr(n, name, v);
}

// p then q: Transpose(q)(Transpose(p)(x)) = Transpose(p[q])(x).
inline Perm compose(const Perm& p, const Perm& q) {
  Perm r(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) r[i] = p[static_cast<std::size_t>(q[i])];
  return r;
}

inline Perm inverse(const Perm& p) {
  Perm r(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) r[static_cast<std::size_t>(p[i])] = static_cast<int64_t>(i);
  return r;
}

inline bool is_identity(const Perm& p) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

inline bool valid_perm(const Perm& p) {
  std::vector<bool> seen(p.size());
  for (int64_t v : p) {
    if (v < 0 || v >= static_cast<int64_t>(p.size()) || seen[static_cast<std::size_t>(v)]) return false;
    seen[static_cast<std::size_t>(v)] = true;
  }
  return !p.empty();
}

inline const std::set<std::string> kUnary{"Relu",  "Sigmoid", "Tanh",     "Exp",      "Log",  "Sqrt", "Neg",  "Abs",
                                          "Identity", "LeakyRelu", "Elu", "Selu", "Clip", "Reciprocal", "Floor",
                                          "Ceil", "Softplus", "Softsign", "Cast", "Erf", "Not", "Sign", "Round",
                                          "Sin", "Cos"};
inline const std::set<std::string> kBroadcast{"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Sum",
                                              "Equal", "Greater", "Less", "And", "Or", "Where"};
inline const std::set<std::string> kReduce{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"};

class Optimizer {
 public:
  explicit Optimizer(onnx::ModelProto& model) : model_(model), g_(*model.mutable_graph()) {
    for (const auto& o : model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(o.version());
  }

  void run() {
    for (int round = 0; round < 16; ++round) {
      while (step()) prune(g_);
      if (!fold_with_shapes()) break;
      prune(g_);
    }
  }

 private:
  onnx::ModelProto& model_;
  onnx::GraphProto& g_;
  int opset_ = 13;
  std::unordered_map<std::string, int> producer_, init_;
  std::unordered_map<std::string, std::vector<int>> consumers_;  // node indices, one per read
  std::unordered_set<std::string> outputs_, names_;

  void index();
  std::string fresh(const std::string& base);
  // The node that alone reads `value`, or -1.
  int only_consumer(const std::string& value) const;
  const onnx::NodeProto* transpose_producing(const std::string& value) const;
  // Initializer `name` when its bytes are inline raw_data (not empty), else null.
  const onnx::TensorProto* raw_initializer(const std::string& name) const;
  // A copy of raw_initializer(name) (dtype UINT8: only the element size matters).
  std::optional<Tensor> initializer_value(const std::string& name) const;
  // A new initializer of `like`'s dtype holding `value`'s bytes (moved in).
  std::string add_initializer_like(const std::string& like, const std::string& base, Tensor&& value);
  std::string ints_initializer(const std::string& base, const Perm& v);
  // Initializer `name`, to edit in place, when node `reader` alone reads it,
  // once (and it is no graph output), else null.
  onnx::TensorProto* sole_initializer(const std::string& name, int reader);
  // Initializer `name` moved to the end of the list under a fresh name from
  // `base`: where a new initializer replacing it would be once it is pruned.
  std::string renew_initializer(const std::string& name, const std::string& base);
  // A 2-D initializer with its rows (of row_bytes) / its columns (of elem
  // bytes) reordered: row (column) i of the result is source[i] of `name`.
  // In place when node `reader` alone reads it, else into a new one; returns
  // the name `reader` must read.
  std::string permuted_rows(const std::string& name, const std::string& base, int reader,
                            const std::vector<int64_t>& source, std::size_t row_bytes);
  std::string permuted_columns(const std::string& name, const std::string& base, int reader,
                               const std::vector<int64_t>& source, std::size_t elem);
  // One rewrite, or false at the fixed point.
  bool step();
  // Transpose(p) -> Transpose(q) at node i (the second).
  bool cancel(int i);
  // The inputs of `n` with the Transpose(perm) read through (`t` its
  // output): Transposes of the same perm give their input, initializers are
  // permuted back. Empty when some input is neither.
  std::optional<std::vector<std::string>> read_through(const onnx::NodeProto& n, const std::string& t,
                                                       const Perm& perm, const std::set<int>& skip = {},
                                                       const std::unordered_map<std::string, std::string>& through = {});
  // A consumer of Transpose t rewritten to read t's input: its inputs and
  // axes mapped, and for each output the Transpose that restores it (empty:
  // none needed). nullopt when the consumer cannot take it.
  struct Pushed {
    onnx::NodeProto node;
    std::vector<Perm> out_perms;
  };
  std::optional<Pushed> plan(const onnx::NodeProto& t, const onnx::NodeProto& consumer,
                             const std::unordered_map<std::string, std::string>& through);
  // Whether the branches from these consumers meet again at one of them.
  bool reconverges(const std::vector<int>& consumers) const;
  // Transpose at node i pushed below its consumers (all of them, where their
  // branches meet again; see reconverges).
  bool push(int i);
  // With the shapes ONNX's inference gives: Transpose(p, p[0] = 0) ->
  // Reshape([N, K]) -> MatMul(., W[K, M]): the Reshape reads the Transpose's
  // input and W's rows are permuted; a Transpose of size-1 dims is a Reshape.
  bool fold_with_shapes();
  // The mirror of fold_flatten, for a dense layer reshaped to an image:
  //   MatMul(x, W) [-> Add(b)] -> Reshape([N,H,W,C]) [-> unary ...] -> Transpose(0,3,1,2)
  //   => MatMul(x, W') [-> Add(b')] -> Reshape([N,C,H,W]) [-> unary ...]
  // with W's columns (and b) permuted into the Transpose's order.
  bool fold_unflatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes);
  // Transpose(p) -> Reshape([N, K]) -> MatMul(., Const W[K, M]) => Reshape -> MatMul(W rows permuted).
  bool fold_flatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes);
  // A dense layer, MatMul(x[M, K], Const W[K, N]) -> Add(Const b[N]), is one
  // Gemm(x, W^T, b, transB=1) (gemm_fold.cc).
  bool fuse_gemm(const std::unordered_map<std::string, std::vector<int64_t>>& shapes);
};

}  // namespace tfprod::onnx_export::transposes
