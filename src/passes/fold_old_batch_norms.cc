// fold_old_batch_norms: fold an inference batch norm into the convolution
// before it.
//
//   x -> Conv2D(W) -> FusedBatchNorm(gamma, beta, mean, var) -> ...
//     =>
//   x -> Conv2D(W * s) -> BiasAdd(b) -> ...      (BiasAdd takes the BN's name)
//
// with, per output channel c,
//   s[c] = gamma[c] / sqrt(var[c] + epsilon)          (gamma = 1 for a
//                                                       BatchNormWithGlobalNormalization
//                                                       without scale_after_normalization)
//   b[c] = beta[c] - mean[c] * s[c]
// since BN(y) = (y - mean) * s + beta and conv is linear in W.
//
// Batch norms: BatchNormWithGlobalNormalization (t, mean, var, beta, gamma;
// NHWC) and FusedBatchNorm / V2 / V3 (x, gamma, beta, mean, var; NHWC or
// NCHW, TF's own transform misses V3). Producers: Conv2D (W[kh,kw,ci,co],
// channel = last index), DepthwiseConv2dNative (W[kh,kw,c,m], channel =
// c*m + k, the last two indices flattened) and MatMul (W[k,n], or [n,k] with
// transpose_b; reachable only by BatchNormWithGlobalNormalization's rank
// check in theory, kept for completeness).
//
// Preconditions, else the match is left untouched (with a warning when the
// BN does follow a conv): is_training false; weights and the four BN
// vectors are Const float/half/double of the right length; the conv output
// is read by the BN alone; only the BN's output 0 is read; conv and BN agree
// on data_format. Weights shared with another node are copied, not changed.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "eval/tensor_util.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool is_float(DataType t) {
  return t == tensorflow::DT_FLOAT || t == tensorflow::DT_HALF || t == tensorflow::DT_DOUBLE ||
         t == tensorflow::DT_BFLOAT16;
}

// The value of a float Const, widened to double; nullopt otherwise.
std::optional<Tensor> const_value(const Node* n) {
  if (n->op != "Const" || !n->attr("value") || !n->attr("value")->has_tensor()) return std::nullopt;
  Tensor t = tensor_from_proto(n->attr("value")->tensor(), n->name());
  if (!is_float(t.dtype)) return std::nullopt;
  return eval::cast(t, tensorflow::DT_DOUBLE);
}

std::string unique_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

// Every reader of `from` (data output 0 or control) reads `to` instead.
void redirect(Graph& g, Node* from, Node* to) {
  for (Node* n : g.nodes()) {
    if (n == to) continue;
    for (auto& in : n->inputs)
      if (in.node == from) in = {to, 0};
    for (auto& c : n->control_inputs)
      if (c == from) c = to;
  }
}

using Uses = std::unordered_map<const Node*, std::vector<Use>>;
const std::vector<Use>& uses_of(const Uses& uses, const Node* n) {
  static const std::vector<Use> none;
  auto it = uses.find(n);
  return it == uses.end() ? none : it->second;
}

struct Match {
  Node* bn;
  Node* conv;
  Node* weights;
  std::vector<double> scale, offset;
};

// Why the BN cannot fold (empty: it can); fills m.scale / m.offset.
std::string check(const Uses& uses, Match& m) {
  const Node* bn = m.bn;
  const bool fused = bn->op != "BatchNormWithGlobalNormalization";
  if (fused && (!bn->attr("is_training") || bn->attr("is_training")->b())) return "is_training is true";
  if (bn->inputs.size() != 5) return "has not 5 inputs";
  for (const auto& u : uses_of(uses, bn))
    if (u.input_index >= 0 && u.node->inputs[u.input_index].index != 0) return "a statistics output is read";
  for (const auto& u : uses_of(uses, m.conv))
    if (u.node != bn) return "the conv output is read by '" + u.node->name() + "' too";
  if (m.conv->inputs.size() != 2) return "the conv has not 2 inputs";
  m.weights = m.conv->inputs[1].node;
  if (!const_value(m.weights)) return "the conv weights are not a float Const";
  const bool bn_nchw = fused && bn->attr("data_format") && bn->attr("data_format")->s() == "NCHW";
  const bool conv_nchw = m.conv->attr("data_format") && m.conv->attr("data_format")->s() == "NCHW";
  if (m.conv->op == "MatMul" ? bn_nchw : bn_nchw != conv_nchw) return "conv and batch norm data formats differ";
  // Input positions of mean, variance, beta, gamma.
  const int idx[4] = {fused ? 3 : 1, fused ? 4 : 2, fused ? 2 : 3, fused ? 1 : 4};
  std::vector<Tensor> v;
  for (int i : idx) {
    auto t = const_value(bn->inputs[i].node);
    if (!t || bn->inputs[i].index != 0) return "a batch norm parameter is not a float Const";
    v.push_back(std::move(*t));
  }
  const int64_t n = v[0].num_elements();
  for (const auto& t : v)
    if (t.shape.size() != 1 || t.num_elements() != n) return "batch norm parameters are not vectors of one length";
  const double eps = fused ? (bn->attr("epsilon") ? bn->attr("epsilon")->f() : 1e-4)
                           : (bn->attr("variance_epsilon") ? bn->attr("variance_epsilon")->f() : 0.0);
  const bool use_gamma = fused || !bn->attr("scale_after_normalization") || bn->attr("scale_after_normalization")->b();
  auto mean = eval::values<double>(v[0]), var = eval::values<double>(v[1]), beta = eval::values<double>(v[2]),
       gamma = eval::values<double>(v[3]);
  for (int64_t c = 0; c < n; ++c) {
    const double s = (use_gamma ? gamma[c] : 1.0) / std::sqrt(var[c] + eps);
    m.scale.push_back(s);
    m.offset.push_back(beta[c] - mean[c] * s);
  }
  return "";
}

// W * s along the output channel; empty when the widths disagree.
std::optional<Tensor> scaled_weights(const Node* conv, const Tensor& w, const std::vector<double>& scale) {
  const Shape& s = w.shape;
  const auto n = static_cast<int64_t>(scale.size());
  int64_t div = 1, cols = 0;
  if (conv->op == "Conv2D" && s.size() == 4) {
    cols = s[3];
  } else if (conv->op == "DepthwiseConv2dNative" && s.size() == 4) {
    cols = s[2] * s[3];
  } else if (conv->op == "MatMul" && s.size() == 2) {
    const bool tb = conv->attr("transpose_b") && conv->attr("transpose_b")->b();
    cols = tb ? s[0] : s[1];
    if (tb) div = s[1];
  }
  if (cols != n) return std::nullopt;
  Tensor out = w;
  auto v = eval::values<double>(out);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] *= scale[(static_cast<int64_t>(i) / div) % n];
  return out;
}

void set_value(Node& n, const Tensor& value, DataType dtype) {
  tensor_to_proto(eval::cast(value, dtype), n.set_attr("value").mutable_tensor());
}

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::vector<Node*> cleanup;
  auto is_output = [&](const Node* n) {
    return std::find_if(context.outputs.begin(), context.outputs.end(),
                        [&](const std::string& o) { return node_of(o) == n->name(); }) != context.outputs.end();
  };
  for (Node* bn : graph.nodes()) {
    if (bn->op != "BatchNormWithGlobalNormalization" && bn->op != "FusedBatchNorm" && bn->op != "FusedBatchNormV2" &&
        bn->op != "FusedBatchNormV3")
      continue;
    if (bn->inputs.empty()) continue;
    Node* conv = bn->inputs[0].node;
    if (bn->inputs[0].index != 0 ||
        (conv->op != "Conv2D" && conv->op != "DepthwiseConv2dNative" && conv->op != "MatMul"))
      continue;
    const auto uses = graph.uses();
    Match m{bn, conv, nullptr, {}, {}};
    std::string why = check(uses, m);
    if (why.empty() && is_output(conv)) why = "the conv output is a requested output";
    std::optional<Tensor> w;
    if (why.empty()) w = scaled_weights(conv, *const_value(m.weights), m.scale);
    if (why.empty() && !w) why = "the weights' output width differs from the batch norm's";
    if (!why.empty()) {
      context.warnings.push_back("fold_old_batch_norms: '" + bn->name() + "' left as is: " + why);
      continue;
    }
    Node* weights = m.weights;
    const DataType wtype = weights->attr("value")->tensor().dtype();
    if (uses_of(uses, weights).size() != 1 || is_output(weights)) {
      Node& copy = graph.add_node(unique_name(graph, weights->name() + "_bn_folded"), "Const");
      copy.device = weights->device;
      copy.set_attr("dtype").set_type(wtype);
      conv->inputs[1] = {&copy, 0};
      weights = &copy;
    }
    set_value(*weights, *w, wtype);

    const DataType t = conv->attr("T") ? conv->attr("T")->type() : tensorflow::DT_FLOAT;
    Node& offset = graph.add_node(unique_name(graph, conv->name() + "_bn_offset"), "Const");
    offset.device = conv->device;
    offset.set_attr("dtype").set_type(t);
    Tensor b;
    b.dtype = tensorflow::DT_DOUBLE;
    b.shape = {static_cast<int64_t>(m.offset.size())};
    b.data.assign(reinterpret_cast<const char*>(m.offset.data()), m.offset.size() * sizeof(double));
    set_value(offset, b, t);

    Node& bias = graph.add_node(unique_name(graph, bn->name() + "/_folded"), "BiasAdd");
    bias.device = bn->device;
    bias.inputs = {{conv, 0}, {&offset, 0}};
    bias.control_inputs = bn->control_inputs;
    bias.set_attr("T").set_type(t);
    if (const auto* f = conv->attr("data_format")) bias.set_attr("data_format") = *f;
    for (std::size_t i = 1; i < bn->inputs.size(); ++i) cleanup.push_back(bn->inputs[i].node);
    redirect(graph, bn, &bias);
    const std::string name = bn->name();
    graph.remove_nodes([&](const Node& n) { return &n == bn; });
    graph.rename(bias, name);
  }
  // The batch norms' parameter Consts, once nothing reads them.
  const auto uses = graph.uses();
  std::unordered_set<const Node*> drop;
  for (Node* n : cleanup)
    if (n->op == "Const" && uses_of(uses, n).empty() && !is_output(n))
      drop.insert(n);
  graph.remove_nodes([&](const Node& n) { return drop.count(&n) > 0; });
}

}  // namespace

PassSpec fold_old_batch_norms() {
  return {"fold_old_batch_norms",
          "Fold inference batch norms (BatchNormWithGlobalNormalization, FusedBatchNorm V1-V3) into the conv weights "
          "before them, plus a BiasAdd",
          {},
          run};
}

}  // namespace tfprod::passes
