// fuse_pad_and_conv: merge a MirrorPad into the Conv2D that reads it.
//
//   x -> MirrorPad(pads, mode) -> Conv2D(W)     =>   x -> FusedPadConv2D(pads, W, mode)
//                                                    (the Conv2D's name)
//
// FusedPadConv2D(input, paddings, filter; T, mode, strides, padding) is TF's
// fused op: mirror-pad the NHWC input, then convolve. It has no data_format,
// dilations or explicit padding, hence the preconditions (else untouched):
// the Conv2D is NHWC with dilations 1 and SAME/VALID padding; the MirrorPad
// is read by the Conv2D alone and is not a requested output.
#include <unordered_set>

#include "passes/conv_fusion_checks.h"
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

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
    if (pad->op != "MirrorPad" || pad->inputs.size() != 2 || keep.count(pad->name())) continue;
    if (!sole_reader(graph.uses(), pad, conv)) continue;
    tensorflow::AttrValue t, mode, strides, padding;
    t.set_type(tensorflow::DT_FLOAT);
    if (const auto* a = conv->attr("T")) t = *a;
    mode.set_s("REFLECT");
    if (const auto* a = pad->attr("mode")) mode = *a;
    if (const auto* a = conv->attr("strides")) strides = *a;
    padding = *conv->attr("padding");

    conv->op = "FusedPadConv2D";
    conv->inputs = {pad->inputs[0], pad->inputs[1], conv->inputs[1]};
    for (Node* c : pad->control_inputs) conv->control_inputs.push_back(c);
    conv->attrs().Clear();
    conv->set_attr("T") = t;
    conv->set_attr("mode") = mode;
    conv->set_attr("strides") = strides;
    conv->set_attr("padding") = padding;
    graph.remove_nodes([&](const Node& n) { return &n == pad; });
  }
}

}  // namespace

PassSpec fuse_pad_and_conv() {
  return {"fuse_pad_and_conv", "Merge MirrorPad -> Conv2D into FusedPadConv2D", {}, run};
}

}  // namespace tfprod::passes
