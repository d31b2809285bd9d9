// fold_batch_norms: fold a per-channel Mul by a constant into the weights of
// the convolution (or MatMul) before it.
//
//   x -> Conv2D(W) -> Mul(c) -> ...            =>  x -> Conv2D(W * c) -> ...
//   x -> Conv2D(W) -> BiasAdd(b) -> Mul(c)     =>  x -> Conv2D(W * c) -> BiasAdd(b * c)
//                     (or Add(b))                   (the last node takes the Mul's name)
//
// since conv(x, W) * c = conv(x, W * c) when c varies only along the output
// channel, and (y + b) * c = y * c + b * c. An Add of a Const becomes a
// BiasAdd with the bias as a [C] vector.
//
// Producers: Conv2D (W[kh,kw,ci,co], channel = last index),
// DepthwiseConv2dNative (W[kh,kw,c,m], channel c*m + k) and MatMul (W[k,n],
// or [n,k] with transpose_b). c (and b) must be a float Const that broadcasts
// along the channel axis only: a scalar, or [.., C] for channels-last /
// MatMul outputs, or [C, 1, 1] / [1, C, 1, 1] for NCHW; either Mul operand
// may be the constant.
//
// Preconditions, else the match is left untouched: weights float Const; the
// conv output (and the bias node's) is read by the next node of the match
// alone; a BiasAdd's data_format is the conv's. Weights or bias Consts that
// others read as well are copied, not changed.
#include <unordered_set>

#include "tfprod/tensor_values.h"
#include "passes/batch_norm_folding.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool nchw(const Node* n) { return n->attr("data_format") && n->attr("data_format")->s() == "NCHW"; }

// A constant that varies along the conv output's channel axis only, as a
// [n] vector; nullopt when it does not fit.
std::optional<std::vector<double>> per_channel(const Node* conv, const Tensor& c, int64_t n) {
  const auto v = eval::values<double>(c);
  if (v.size() == 1 && c.shape.size() <= (conv->op == "MatMul" ? 2u : 4u)) return std::vector<double>(n, v[0]);
  const std::size_t out_rank = conv->op == "MatMul" ? 2 : 4;
  const std::size_t axis_from_end = (conv->op != "MatMul" && nchw(conv)) ? 3 : 1;  // 1 = last
  const std::size_t r = c.shape.size();
  if (r > out_rank || r < axis_from_end) return std::nullopt;
  for (std::size_t i = 0; i < r; ++i)
    if (c.shape[i] != (i == r - axis_from_end ? n : 1)) return std::nullopt;
  return std::vector<double>(v.begin(), v.end());
}

DataType dtype_of(const Node& n) { return n.attr("dtype") ? n.attr("dtype")->type() : tfprod::tf::DT_FLOAT; }

// Folds one Mul when it matches; true when the graph changed.
bool fold(Graph& g, Node* mul, const std::unordered_set<std::string>& keep) {
  if (mul->inputs.size() != 2) return false;
  for (int side = 0; side < 2; ++side) {
    const Endpoint y = mul->inputs[side];
    Node* scale_node = mul->inputs[1 - side].node;
    auto c = float_const(scale_node);
    if (!c || y.index != 0 || !only_read_by(*y.node, *mul)) continue;
    Node* bias = nullptr;
    Node* conv = y.node;
    std::size_t bias_input = 0;
    if (!is_weighted_producer(conv)) {
      bias = conv;
      if (bias->inputs.size() != 2) continue;
      if (bias->op == "BiasAdd") {
        conv = bias->inputs[0].node;
        bias_input = 1;
        if (nchw(bias) != (conv->op != "MatMul" && nchw(conv))) continue;
      } else if (bias->op == "Add" || bias->op == "AddV2") {
        bias_input = is_weighted_producer(bias->inputs[0].node) ? 1 : 0;
        conv = bias->inputs[1 - bias_input].node;
      } else {
        continue;
      }
      if (!is_weighted_producer(conv) || bias->inputs[1 - bias_input].index != 0 || !only_read_by(*conv, *bias))
        continue;
    }
    // Nodes that disappear or change name must not be requested outputs.
    if (keep.count(conv->name()) || (bias && keep.count(bias->name()))) continue;
    if (conv->inputs.size() != 2) continue;
    auto w = float_const(conv->inputs[1].node);
    if (!w) continue;
    const int64_t n = output_channels(conv, w->shape).first;
    if (n <= 0) continue;
    auto s = per_channel(conv, *c, n);
    if (!s) continue;
    std::optional<std::vector<double>> b;
    if (bias) {
      auto bv = float_const(bias->inputs[bias_input].node);
      if (!bv || bias->inputs[bias_input].index != 0) continue;
      if (bias->op == "BiasAdd" && bv->shape == Shape{n})
        b = std::vector<double>(eval::values<double>(*bv).begin(), eval::values<double>(*bv).end());
      else if (bias->op != "BiasAdd")
        b = per_channel(conv, *bv, n);
      if (!b) continue;
    }

    Node& wn = writable_const(g, *conv, 1, conv->inputs[1].node->name() + "_folded");
    set_value(wn, *scale_weights(conv, *w, *s), dtype_of(wn));
    Node* last = conv;
    if (bias) {
      for (int64_t i = 0; i < n; ++i) (*b)[i] *= (*s)[i];
      Node& bn = writable_const(g, *bias, bias_input, bias->inputs[bias_input].node->name() + "_folded");
      set_value(bn, vector_tensor(*b), dtype_of(bn));
      if (bias->op != "BiasAdd") {
        bias->op = "BiasAdd";
        g.set_inputs(*bias, {{conv, 0}, {&bn, 0}});
        if (const auto* f = conv->attr("data_format"); f && conv->op != "MatMul") bias->set_attr("data_format") = *f;
      }
      last = bias;
    }
    // `last` replaces the Mul, under its name.
    replace_node_uses(g, *mul, *last);
    for (Node* ctl : mul->control_inputs) g.add_control_input(*last, ctl);
    const std::string name = mul->name();
    g.remove_nodes([&](const Node& x) { return &x == mul; });
    g.rename(*last, name);
    erase_dead(g, {scale_node}, keep, [&](const Node& x) { return &x == scale_node; });
    return true;
  }
  return false;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<std::string> muls;
  for (const Node* n : graph.nodes())
    if (n->op == "Mul") muls.push_back(n->name());
  bool changed = false;
  for (const auto& name : muls) {
    Node* mul = graph.find(name);
    if (mul && mul->op == "Mul") changed |= fold(graph, mul, io.output_names());
  }
  return changed;
}

}  // namespace

PassSpec fold_batch_norms() {
  return {"fold_batch_norms",
          "Fold a per-channel Mul by a Const after Conv2D / DepthwiseConv2dNative / MatMul (and an optional bias) "
          "into the weights",
          {},
          run};
}

}  // namespace tfprod::passes
