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

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  return fuse_convs(graph, plain_conv_reading(mirror_pad_of({"x", {}})), io.output_names(),
                    [](Graph& g, const PatternMatch& m) {
                      Node* conv = m.at("conv");
                      Node* pad = m.at("pad");
                      tfprod::tf::AttrValue t, mode, strides;
                      t.set_type(tfprod::tf::DT_FLOAT);
                      if (const auto* a = conv->attr("T")) t = *a;
                      mode.set_s("REFLECT");
                      if (const auto* a = pad->attr("mode")) mode = *a;
                      if (const auto* a = conv->attr("strides")) strides = *a;
                      const tfprod::tf::AttrValue padding = *conv->attr("padding");
                      become_fused(g, *conv, "FusedPadConv2D", {pad->inputs[0], pad->inputs[1], conv->inputs[1]},
                                   {pad}, {{"T", t}, {"mode", mode}, {"strides", strides}, {"padding", padding}});
                      return true;
                    });
}

}  // namespace

PassSpec fuse_pad_and_conv() {
  return {"fuse_pad_and_conv", "Merge MirrorPad -> Conv2D into FusedPadConv2D", {}, run};
}

}  // namespace tfprod::passes
