// flatten_atrous_conv: turn the SpaceToBatchND / conv / BatchToSpaceND
// sandwich that tf.nn.atrous_conv2d (and old dilated convs) emit into one
// convolution with dilations.
//
//   x -> SpaceToBatchND(block, pads) -> Conv2D(W) -> BatchToSpaceND(block, crops)
//     =>
//   x -> Conv2D(W, dilations=[1, bh, bw, 1], padding=...)   (named like the BatchToSpaceND)
//
// Maths, per spatial dim with block b: the inner conv (stride 1) on the
// batch-split tensor reads positions p*b + o of the padded input, so the
// sandwich is a VALID convolution with dilation b on x padded by
// pad_before + b * inner_before before (pad_after + b * inner_after after),
// cropped by crop_before / crop_after. inner_before / inner_after are 0 for
// an inner VALID conv and (k-1)/2, (k-1) - (k-1)/2 for SAME. Hence
//   before = pad_before + b * inner_before - crop_before  (likewise after),
// written as padding VALID (both 0), SAME (what SAME gives for the dilated
// kernel (k-1)*b+1) or EXPLICIT with explicit_paddings.
//
// Preconditions, else untouched: Conv2D / DepthwiseConv2dNative, NHWC,
// strides and dilations 1; block shape, paddings and crops Consts with two
// spatial dims and equal blocks; filter Const (its size decides the
// padding); before, after >= 0; SpaceToBatchND and the conv read by the next
// node alone.
#include <array>
#include <unordered_set>

#include "tfprod/tensor_values.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

std::optional<std::vector<int64_t>> const_ints(const Node* n) {
  if (n->op != "Const" || !n->attr("value") || !n->attr("value")->has_tensor()) return std::nullopt;
  Tensor t = tensor_from_proto(n->attr("value")->tensor(), n->name());
  if (t.dtype != tfprod::tf::DT_INT32 && t.dtype != tfprod::tf::DT_INT64) return std::nullopt;
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.num_elements(); ++i) v.push_back(eval::element_as_int(t, i));
  return v;
}

std::optional<Shape> const_shape(const Node* n) {
  if (n->op != "Const" || !n->attr("value") || !n->attr("value")->has_tensor()) return std::nullopt;
  return shape_from_proto(n->attr("value")->tensor().tensor_shape());
}

bool all_ones(const Node* n, const char* key) {
  const auto* a = n->attr(key);
  if (!a) return true;
  for (int64_t v : a->list().i())
    if (v != 1) return false;
  return true;
}

// Padding (before, after) per spatial dim, or nullopt when it does not fit.
std::optional<std::array<int64_t, 4>> flat_padding(const Node* stb, const Node* conv, const Node* bts) {
  auto block = const_ints(stb->inputs[1].node), pads = const_ints(stb->inputs[2].node);
  auto block2 = const_ints(bts->inputs[1].node), crops = const_ints(bts->inputs[2].node);
  auto filter = const_shape(conv->inputs[1].node);
  if (!block || !pads || !block2 || !crops || !filter || block->size() != 2 || *block != *block2 ||
      pads->size() != 4 || crops->size() != 4 || filter->size() != 4)
    return std::nullopt;
  const auto* p = conv->attr("padding");
  if (!p || (p->s() != "VALID" && p->s() != "SAME")) return std::nullopt;
  const bool same = p->s() == "SAME";
  std::array<int64_t, 4> out{};
  for (int d = 0; d < 2; ++d) {
    const int64_t b = (*block)[d], k = (*filter)[d];
    if (b <= 0) return std::nullopt;
    const int64_t inner_before = same ? (k - 1) / 2 : 0, inner_after = same ? (k - 1) - (k - 1) / 2 : 0;
    out[2 * d] = (*pads)[2 * d] + b * inner_before - (*crops)[2 * d];
    out[2 * d + 1] = (*pads)[2 * d + 1] + b * inner_after - (*crops)[2 * d + 1];
    if (out[2 * d] < 0 || out[2 * d + 1] < 0) return std::nullopt;
  }
  return out;
}

void set_ints(Node& n, const char* key, const std::vector<int64_t>& v) {
  auto* list = n.set_attr(key).mutable_list();
  list->clear_i();
  for (int64_t x : v) list->add_i(x);
}

// BatchToSpaceND(Conv(SpaceToBatchND(x, block, pads), filter), block, crops).
// The conv takes the BatchToSpaceND's name, so its own must be free to go
// (kRemove: read by the BatchToSpaceND alone, not an output) though the node
// stays.
OpPattern atrous_pattern() {
  using S = OpPattern::Status;
  OpPattern stb{"stb", {"SpaceToBatchND"}, {{"x", {}}, {"block", {}}, {"pads", {}}}, S::kRemove, {}, 0};
  OpPattern conv{"conv", {"Conv2D", "DepthwiseConv2dNative"}, {std::move(stb), {"filter", {}}}, S::kRemove, {}, 0};
  return {"bts", {"BatchToSpaceND"}, {std::move(conv), {"block2", {}}, {"crops", {}}}};
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  const OpPattern pattern = atrous_pattern();
  std::vector<std::string> names;
  for (const Node* n : graph.nodes())
    if (n->op == "BatchToSpaceND") names.push_back(n->name());
  bool changed = false;
  for (const auto& name : names) {
    Node* bts = graph.find(name);
    if (!bts) continue;
    auto m = match_pattern(*bts, pattern, io.output_names());
    if (!m) continue;
    Node* conv = m->at("conv");
    Node* stb = m->at("stb");
    if ((conv->attr("data_format") && conv->attr("data_format")->s() != "NHWC") || !all_ones(conv, "strides") ||
        !all_ones(conv, "dilations"))
      continue;
    auto pad = flat_padding(stb, conv, bts);
    if (!pad) {
      context.warnings.push_back("flatten_atrous_conv: '" + name + "' left as is: its block shape, paddings, crops "
                                 "or filter are not Consts that give a non-negative padding");
      continue;
    }
    const auto block = *const_ints(stb->inputs[1].node);
    const int64_t bh = block[0], bw = block[1];
    const Shape f = *const_shape(conv->inputs[1].node);
    std::string padding = "EXPLICIT";
    if (*pad == std::array<int64_t, 4>{}) padding = "VALID";
    const int64_t th = (f[0] - 1) * bh, tw = (f[1] - 1) * bw;
    if (*pad == std::array<int64_t, 4>{th / 2, th - th / 2, tw / 2, tw - tw / 2}) padding = "SAME";

    std::vector<Node*> consts = {stb->inputs[1].node, stb->inputs[2].node, bts->inputs[1].node, bts->inputs[2].node};
    graph.set_input(*conv, 0, stb->inputs[0]);
    for (Node* c : stb->control_inputs) graph.add_control_input(*conv, c);
    for (Node* c : bts->control_inputs) graph.add_control_input(*conv, c);
    conv->set_attr("padding").set_s(padding);
    set_ints(*conv, "dilations", {1, bh, bw, 1});
    if (padding == "EXPLICIT")
      set_ints(*conv, "explicit_paddings", {0, 0, (*pad)[0], (*pad)[1], (*pad)[2], (*pad)[3], 0, 0});
    else
      conv->remove_attr("explicit_paddings");
    replace_node_uses(graph, *bts, *conv);
    graph.remove_nodes([&](const Node& n) { return &n == bts || &n == stb; });
    graph.rename(*conv, name);
    erase_dead(graph, consts, io.output_names());
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec flatten_atrous_conv() {
  return {"flatten_atrous_conv",
          "Replace SpaceToBatchND -> Conv2D / DepthwiseConv2dNative -> BatchToSpaceND by one convolution with "
          "dilations",
          {},
          run};
}

}  // namespace tfprod::passes
