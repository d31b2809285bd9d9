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

#include "tfprod/tensor_values.h"
#include "passes/batch_norm_folding.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

struct Match {
  Node* bn;
  Node* conv;
  Node* weights;
  std::vector<double> scale, offset;
};

// Why the BN cannot fold (empty: it can); fills m.scale / m.offset.
std::string check(Match& m) {
  const Node* bn = m.bn;
  const bool fused = bn->op != "BatchNormWithGlobalNormalization";
  if (fused && (!bn->attr("is_training") || bn->attr("is_training")->b())) return "is_training is true";
  if (bn->inputs.size() != 5) return "has not 5 inputs";
  for (const auto& u : bn->uses())
    if (u.input_index >= 0 && u.node->inputs[u.input_index].index != 0) return "a statistics output is read";
  for (const auto& u : m.conv->uses())
    if (u.node != bn) return "the conv output is read by '" + u.node->name() + "' too";
  if (m.conv->inputs.size() != 2) return "the conv has not 2 inputs";
  m.weights = m.conv->inputs[1].node;
  if (!float_const(m.weights)) return "the conv weights are not a float Const";
  const bool bn_nchw = fused && bn->attr("data_format") && bn->attr("data_format")->s() == "NCHW";
  const bool conv_nchw = m.conv->attr("data_format") && m.conv->attr("data_format")->s() == "NCHW";
  if (m.conv->op == "MatMul" ? bn_nchw : bn_nchw != conv_nchw) return "conv and batch norm data formats differ";
  // Input positions of mean, variance, beta, gamma.
  const int idx[4] = {fused ? 3 : 1, fused ? 4 : 2, fused ? 2 : 3, fused ? 1 : 4};
  std::vector<Tensor> v;
  for (int i : idx) {
    auto t = float_const(bn->inputs[i].node);
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

bool is_batch_norm(const Node* n) {
  return n->op == "BatchNormWithGlobalNormalization" || n->op == "FusedBatchNorm" || n->op == "FusedBatchNormV2" ||
         n->op == "FusedBatchNormV3";
}

// Conv(W * s) -> BiasAdd(offset), the BiasAdd under the BN's name.
void fold(Graph& graph, const Match& m, const Tensor& w, const IoRefs& io, std::vector<Node*>& cleanup) {
  Node* bn = m.bn;
  Node* conv = m.conv;
  const DataType wtype = m.weights->attr("value")->tensor().dtype();
  Node& weights = writable_const(graph, *conv, 1, m.weights->name() + "_bn_folded", io.is_output(*m.weights));
  set_value(weights, w, wtype);

  const DataType t = conv->attr("T") ? conv->attr("T")->type() : tfprod::tf::DT_FLOAT;
  Node& offset = graph.add_node(unique_name(graph, conv->name() + "_bn_offset"), "Const");
  offset.device = conv->device;
  offset.set_attr("dtype").set_type(t);
  set_value(offset, vector_tensor(m.offset), t);

  Node& bias = graph.add_node(unique_name(graph, bn->name() + "/_folded"), "BiasAdd");
  bias.device = bn->device;
  graph.set_inputs(bias, {{conv, 0}, {&offset, 0}});
  graph.set_control_inputs(bias, bn->control_inputs);
  bias.set_attr("T").set_type(t);
  if (const auto* f = conv->attr("data_format")) bias.set_attr("data_format") = *f;
  for (std::size_t i = 1; i < bn->inputs.size(); ++i) cleanup.push_back(bn->inputs[i].node);
  replace_node_uses(graph, *bn, bias);
  const std::string name = bn->name();
  graph.remove_nodes([&](const Node& n) { return &n == bn; });
  graph.rename(bias, name);
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> bns;
  for (Node* n : graph.nodes())
    if (is_batch_norm(n) && !n->inputs.empty() && n->inputs[0].index == 0 && is_weighted_producer(n->inputs[0].node))
      bns.push_back(n);
  std::vector<Node*> cleanup;
  bool changed = false;
  for (Node* bn : bns) {
    Match m{bn, bn->inputs[0].node, nullptr, {}, {}};
    std::string why = check(m);
    if (why.empty() && io.is_output(*m.conv)) why = "the conv output is a requested output";
    std::optional<Tensor> w;
    if (why.empty()) w = scale_weights(m.conv, *float_const(m.weights), m.scale);
    if (why.empty() && !w) why = "the weights' output width differs from the batch norm's";
    if (!why.empty()) {
      context.warnings.push_back("fold_old_batch_norms: '" + bn->name() + "' left as is: " + why);
      continue;
    }
    fold(graph, m, *w, io, cleanup);
    changed = true;
  }
  // The batch norms' parameter Consts, once nothing reads them.
  erase_dead(graph, cleanup, io.output_names(), [](const Node& n) { return n.op == "Const"; });
  return changed;
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
