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

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  return fuse_convs(graph, plain_conv_reading(resize_bilinear()), io.output_names(), [](Graph& g, const PatternMatch& m) {
    Node* conv = m.at("conv");
    Node* resize = m.at("resize");
    if (type_attr(*resize) != type_attr(*conv)) return false;
    auto attrs = resize_conv_attrs(*conv, *resize, nullptr);

    Tensor z;
    z.dtype = tfprod::tf::DT_INT32;
    z.shape = {4, 2};
    z.data.assign(8 * sizeof(int32_t), '\0');
    Node& zeros = add_const(g, unique_name(g, conv->name() + "_dummy_paddings"), std::move(z));
    zeros.device = conv->device;

    become_fused(g, *conv, "FusedResizeAndPadConv2D",
                 {resize->inputs[0], resize->inputs[1], {&zeros, 0}, conv->inputs[1]}, {resize}, attrs);
    return true;
  });
}

}  // namespace

PassSpec fuse_resize_and_conv() {
  return {"fuse_resize_and_conv", "Merge ResizeBilinear -> Conv2D into FusedResizeAndPadConv2D (zero padding)", {},
          run};
}

}  // namespace tfprod::passes
