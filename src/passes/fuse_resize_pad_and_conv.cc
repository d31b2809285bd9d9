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

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  return fuse_convs(graph, plain_conv_reading(mirror_pad_of(resize_bilinear(0))), io.output_names(),
                    [](Graph& g, const PatternMatch& m) {
                      Node* conv = m.at("conv");
                      Node* pad = m.at("pad");
                      Node* resize = m.at("resize");
                      if (type_attr(*resize) != type_attr(*conv)) return false;
                      become_fused(g, *conv, "FusedResizeAndPadConv2D",
                                   {resize->inputs[0], resize->inputs[1], pad->inputs[1], conv->inputs[1]},
                                   {resize, pad}, resize_conv_attrs(*conv, *resize, pad));
                      return true;
                    });
}

}  // namespace

PassSpec fuse_resize_pad_and_conv() {
  return {"fuse_resize_pad_and_conv", "Merge ResizeBilinear -> MirrorPad -> Conv2D into FusedResizeAndPadConv2D", {},
          run};
}

}  // namespace tfprod::passes
