// fuse_resize_pad_and_conv: merge ResizeBilinear and MirrorPad into the
// Conv2D that reads them.
//
//   x -> ResizeBilinear(size) -> MirrorPad(pads, mode) -> Conv2D(W)
//     =>
//   x -> FusedResizeAndPadConv2D(size, pads, W)          (the Conv2D's name)
//
// FusedResizeAndPadConv2D(input, size, paddings, filter; T,
// resize_align_corners, mode, strides, padding) is TF's fused op: bilinear
// resize (align_corners as given, never half-pixel centers), mirror-pad, then
// a NHWC convolution. Preconditions, else untouched: the Conv2D is NHWC with
// dilations 1 and SAME/VALID padding; the resize has half_pixel_centers
// false and input dtype T equal to the Conv2D's (the fused op reads x as T);
// the resize and the pad are read by the next node of the match alone and are
// not requested outputs.
#include <unordered_set>

#include "passes/conv_fusion_checks.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

DataType type_attr(const Node* n) { return n->attr("T") ? n->attr("T")->type() : tensorflow::DT_FLOAT; }

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::unordered_set<std::string> keep;
  for (const auto& o : context.outputs) keep.insert(std::string(node_of(o)));
  std::vector<std::string> convs;
  for (const Node* n : graph.nodes())
    if (n->op == "Conv2D") convs.push_back(n->name());
  for (const auto& name : convs) {
    Node* conv = graph.find(name);
    if (!conv || !plain_nhwc_conv(conv)) continue;
    Node* pad = conv->inputs[0].node;
    if (pad->op != "MirrorPad" || pad->inputs.size() != 2 || pad->inputs[0].index != 0) continue;
    Node* resize = pad->inputs[0].node;
    if (resize->op != "ResizeBilinear" || resize->inputs.size() != 2) continue;
    if (keep.count(pad->name()) || keep.count(resize->name())) continue;
    const auto uses = graph.uses();
    if (!sole_reader(uses, pad, conv) || !sole_reader(uses, resize, pad)) continue;
    if ((resize->attr("half_pixel_centers") && resize->attr("half_pixel_centers")->b()) ||
        type_attr(resize) != type_attr(conv))
      continue;
    tensorflow::AttrValue t, align, mode, strides, padding;
    t.set_type(type_attr(conv));
    align.set_b(resize->attr("align_corners") && resize->attr("align_corners")->b());
    mode.set_s("REFLECT");
    if (const auto* a = pad->attr("mode")) mode = *a;
    if (const auto* a = conv->attr("strides")) strides = *a;
    padding = *conv->attr("padding");

    conv->op = "FusedResizeAndPadConv2D";
    conv->inputs = {resize->inputs[0], resize->inputs[1], pad->inputs[1], conv->inputs[1]};
    for (Node* c : resize->control_inputs) conv->control_inputs.push_back(c);
    for (Node* c : pad->control_inputs) conv->control_inputs.push_back(c);
    conv->attrs().Clear();
    conv->set_attr("T") = t;
    conv->set_attr("resize_align_corners") = align;
    conv->set_attr("mode") = mode;
    conv->set_attr("strides") = strides;
    conv->set_attr("padding") = padding;
    graph.remove_nodes([&](const Node& n) { return &n == pad || &n == resize; });
  }
}

}  // namespace

PassSpec fuse_resize_pad_and_conv() {
  return {"fuse_resize_pad_and_conv", "Merge ResizeBilinear -> MirrorPad -> Conv2D into FusedResizeAndPadConv2D", {},
          run};
}

}  // namespace tfprod::passes
