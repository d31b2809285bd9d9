// fuse_resize_and_conv: merge a ResizeBilinear into the Conv2D that reads it.
//
//   x -> ResizeBilinear(size) -> Conv2D(W)
//     =>
//   x -> FusedResizeAndPadConv2D(size, zeros[4,2], W, mode=REFLECT)   (the Conv2D's name)
//
// TF's fused op always pads; all-zero paddings (a new int32 Const
// "<conv>_dummy_paddings") make the pad a no-op, so the result is resize then
// convolve. Preconditions, else untouched: the Conv2D is NHWC with
// dilations 1 and SAME/VALID padding; the resize has half_pixel_centers
// false, input dtype T equal to the Conv2D's, is read by the Conv2D alone and
// is not a requested output.
#include <unordered_set>

#include "passes/conv_fusion_checks.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

DataType type_attr(const Node* n) { return n->attr("T") ? n->attr("T")->type() : tensorflow::DT_FLOAT; }

std::string unique_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::unordered_set<std::string> keep;
  for (const auto& o : context.outputs) keep.insert(std::string(node_of(o)));
  std::vector<std::string> convs;
  for (const Node* n : graph.nodes())
    if (n->op == "Conv2D") convs.push_back(n->name());
  for (const auto& name : convs) {
    Node* conv = graph.find(name);
    if (!conv || !plain_nhwc_conv(conv)) continue;
    Node* resize = conv->inputs[0].node;
    if (resize->op != "ResizeBilinear" || resize->inputs.size() != 2 || keep.count(resize->name())) continue;
    if (!sole_reader(graph.uses(), resize, conv)) continue;
    if ((resize->attr("half_pixel_centers") && resize->attr("half_pixel_centers")->b()) ||
        type_attr(resize) != type_attr(conv))
      continue;
    tensorflow::AttrValue t, align, mode, strides, padding;
    t.set_type(type_attr(conv));
    align.set_b(resize->attr("align_corners") && resize->attr("align_corners")->b());
    mode.set_s("REFLECT");
    if (const auto* a = conv->attr("strides")) strides = *a;
    padding = *conv->attr("padding");

    Node& zeros = graph.add_node(unique_name(graph, name + "_dummy_paddings"), "Const");
    zeros.device = conv->device;
    zeros.set_attr("dtype").set_type(tensorflow::DT_INT32);
    Tensor z;
    z.dtype = tensorflow::DT_INT32;
    z.shape = {4, 2};
    z.data.assign(8 * sizeof(int32_t), '\0');
    tensor_to_proto(std::move(z), zeros.set_attr("value").mutable_tensor());

    conv->op = "FusedResizeAndPadConv2D";
    conv->inputs = {resize->inputs[0], resize->inputs[1], {&zeros, 0}, conv->inputs[1]};
    for (Node* c : resize->control_inputs) conv->control_inputs.push_back(c);
    conv->attrs().Clear();
    conv->set_attr("T") = t;
    conv->set_attr("resize_align_corners") = align;
    conv->set_attr("mode") = mode;
    conv->set_attr("strides") = strides;
    conv->set_attr("padding") = padding;
    graph.remove_nodes([&](const Node& n) { return &n == resize; });
  }
}

}  // namespace

PassSpec fuse_resize_and_conv() {
  return {"fuse_resize_and_conv", "Merge ResizeBilinear -> Conv2D into FusedResizeAndPadConv2D (zero padding)", {},
          run};
}

}  // namespace tfprod::passes
