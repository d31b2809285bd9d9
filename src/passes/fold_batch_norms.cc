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

#include "eval/tensor_util.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

using Uses = std::unordered_map<const Node*, std::vector<Use>>;

const std::vector<Use>& uses_of(const Uses& uses, const Node* n) {
  static const std::vector<Use> none;
  auto it = uses.find(n);
  return it == uses.end() ? none : it->second;
}

bool only_reader(const Uses& uses, const Node* n, const Node* reader) {
  for (const auto& u : uses_of(uses, n))
    if (u.node != reader) return false;
  return true;
}

// The value of a float Const, widened to double; nullopt otherwise.
std::optional<Tensor> const_value(const Node* n) {
  if (n->op != "Const" || !n->attr("value") || !n->attr("value")->has_tensor()) return std::nullopt;
  Tensor t = tensor_from_proto(n->attr("value")->tensor(), n->name());
  const DataType d = t.dtype;
  if (d != tensorflow::DT_FLOAT && d != tensorflow::DT_HALF && d != tensorflow::DT_DOUBLE && d != tensorflow::DT_BFLOAT16)
    return std::nullopt;
  return eval::cast(t, tensorflow::DT_DOUBLE);
}

bool is_producer(const Node* n) {
  return n->op == "Conv2D" || n->op == "DepthwiseConv2dNative" || n->op == "MatMul";
}

bool nchw(const Node* n) { return n->attr("data_format") && n->attr("data_format")->s() == "NCHW"; }

std::string unique_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

// Output channels of the conv's weights (0 when the shape does not fit),
// and the divisor that turns a flat weight index into a channel.
std::pair<int64_t, int64_t> weight_channels(const Node* conv, const Shape& s) {
  if (conv->op == "Conv2D" && s.size() == 4) return {s[3], 1};
  if (conv->op == "DepthwiseConv2dNative" && s.size() == 4) return {s[2] * s[3], 1};
  if (conv->op == "MatMul" && s.size() == 2) {
    if (conv->attr("transpose_b") && conv->attr("transpose_b")->b()) return {s[0], s[1]};
    return {s[1], 1};
  }
  return {0, 1};
}

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

// Writes `value` (double) into a Const as `dtype`.
void set_value(Node& n, Tensor value, DataType dtype) {
  tensor_to_proto(eval::cast(value, dtype), n.set_attr("value").mutable_tensor());
}

// `target` for the Const `n` read by `reader` at input `i`: `n` itself when
// nobody else reads it, else a new copy wired in its place.
Node& writable_const(Graph& g, const Uses& uses, Node* reader, std::size_t i, const std::string& suffix) {
  Node* n = reader->inputs[i].node;
  if (uses_of(uses, n).size() == 1) return *n;
  Node& copy = g.add_node(unique_name(g, n->name() + suffix), "Const");
  copy.device = n->device;
  copy.set_attr("dtype").set_type(n->attr("dtype") ? n->attr("dtype")->type() : tensorflow::DT_FLOAT);
  reader->inputs[i] = {&copy, 0};
  return copy;
}

Tensor vector_tensor(const std::vector<double>& v) {
  Tensor t;
  t.dtype = tensorflow::DT_DOUBLE;
  t.shape = {static_cast<int64_t>(v.size())};
  t.data.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  return t;
}

// Folds one Mul when it matches; true when the graph changed.
bool fold(Graph& g, Node* mul, const std::unordered_set<std::string>& keep) {
  if (mul->inputs.size() != 2) return false;
  const Uses uses = g.uses();
  for (int side = 0; side < 2; ++side) {
    const Endpoint y = mul->inputs[side];
    Node* scale_node = mul->inputs[1 - side].node;
    auto c = const_value(scale_node);
    if (!c || y.index != 0 || !only_reader(uses, y.node, mul)) continue;
    Node* bias = nullptr;
    Node* conv = y.node;
    std::size_t bias_input = 0;
    if (!is_producer(conv)) {
      bias = conv;
      if (bias->inputs.size() != 2) continue;
      if (bias->op == "BiasAdd") {
        conv = bias->inputs[0].node;
        bias_input = 1;
        if (nchw(bias) != (conv->op != "MatMul" && nchw(conv))) continue;
      } else if (bias->op == "Add" || bias->op == "AddV2") {
        bias_input = is_producer(bias->inputs[0].node) ? 1 : 0;
        conv = bias->inputs[1 - bias_input].node;
      } else {
        continue;
      }
      if (!is_producer(conv) || bias->inputs[1 - bias_input].index != 0 || !only_reader(uses, conv, bias)) continue;
    }
    // Nodes that disappear or change name must not be requested outputs.
    if (keep.count(conv->name()) || (bias && keep.count(bias->name()))) continue;
    if (conv->inputs.size() != 2) continue;
    auto w = const_value(conv->inputs[1].node);
    if (!w) continue;
    const auto [n, div] = weight_channels(conv, w->shape);
    if (n <= 0) continue;
    auto s = per_channel(conv, *c, n);
    if (!s) continue;
    std::optional<std::vector<double>> b;
    if (bias) {
      auto bv = const_value(bias->inputs[bias_input].node);
      if (!bv || bias->inputs[bias_input].index != 0) continue;
      if (bias->op == "BiasAdd" && bv->shape == Shape{n})
        b = std::vector<double>(eval::values<double>(*bv).begin(), eval::values<double>(*bv).end());
      else if (bias->op != "BiasAdd")
        b = per_channel(conv, *bv, n);
      if (!b) continue;
    }

    auto wv = eval::values<double>(*w);
    for (std::size_t i = 0; i < wv.size(); ++i) wv[i] *= (*s)[(static_cast<int64_t>(i) / div) % n];
    Node& wn = writable_const(g, uses, conv, 1, "_folded");
    set_value(wn, std::move(*w), wn.attr("dtype") ? wn.attr("dtype")->type() : tensorflow::DT_FLOAT);
    Node* last = conv;
    if (bias) {
      for (int64_t i = 0; i < n; ++i) (*b)[i] *= (*s)[i];
      Node& bn = writable_const(g, uses, bias, bias_input, "_folded");
      set_value(bn, vector_tensor(*b), bn.attr("dtype") ? bn.attr("dtype")->type() : tensorflow::DT_FLOAT);
      if (bias->op != "BiasAdd") {
        bias->op = "BiasAdd";
        bias->inputs = {{conv, 0}, {&bn, 0}};
        if (const auto* f = conv->attr("data_format"); f && conv->op != "MatMul") bias->set_attr("data_format") = *f;
      }
      last = bias;
    }
    // `last` replaces the Mul, under its name.
    for (Node* r : g.nodes()) {
      for (auto& in : r->inputs)
        if (in.node == mul) in = {last, in.index};
      for (auto& ctl : r->control_inputs)
        if (ctl == mul) ctl = last;
    }
    for (Node* ctl : mul->control_inputs) last->control_inputs.push_back(ctl);
    const std::string name = mul->name();
    const Node* scale_const = scale_node;
    g.remove_nodes([&](const Node& x) { return &x == mul; });
    g.rename(*last, name);
    const Uses after = g.uses();
    if (uses_of(after, scale_const).empty() && !keep.count(scale_const->name()))
      g.remove_nodes([&](const Node& x) { return &x == scale_const; });
    return true;
  }
  return false;
}

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::unordered_set<std::string> keep;
  for (const auto& o : context.outputs) keep.insert(std::string(node_of(o)));
  std::vector<std::string> muls;
  for (const Node* n : graph.nodes())
    if (n->op == "Mul") muls.push_back(n->name());
  for (const auto& name : muls) {
    Node* mul = graph.find(name);
    if (mul && mul->op == "Mul") fold(graph, mul, keep);
  }
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
