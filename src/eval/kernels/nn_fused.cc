// TF's fused convolutions, as the transforms fuse_pad_and_conv,
// fuse_resize_and_conv and fuse_resize_pad_and_conv emit them. Both run the
// existing kernels in sequence on a small private graph:
//
//   FusedPadConv2D(x, paddings, filter; T, mode, strides, padding):
//     Conv2D(MirrorPad(x, paddings, mode), filter)                      (NHWC)
//   FusedResizeAndPadConv2D(x, size, paddings, filter; T, resize_align_corners,
//                           mode, strides, padding):
//     Conv2D(MirrorPad(ResizeBilinear(x, size, align_corners), paddings, mode), filter)
//
// Half and bfloat16 are computed in float32, double in double (TF computes
// the resize in T; float32 resize then cast is within rounding for float).
#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

// Runs the kernel of `node.op` on `inputs` and returns output 0; errors are
// reported against the fused node.
Tensor call(const KernelContext& outer, const Node& node, std::vector<const Tensor*> inputs) {
  const KernelDef* k = find_kernel(node.op);
  if (!k) outer.fail("no {} kernel", node.op);
  std::mt19937_64 rng(0);
  KernelContext ctx(node, std::move(inputs), &rng);
  try {
    k->fn(ctx);
  } catch (const Error& e) {
    outer.fail("{}", e.what());
  }
  if (ctx.outputs().empty()) outer.fail("{} gave no output", node.op);
  return std::move(ctx.outputs()[0]);
}

void fused(KernelContext& ctx, bool with_resize) {
  const DataType t = ctx.input(0).dtype;
  const DataType work = t == tfprod::tf::DT_DOUBLE ? tfprod::tf::DT_DOUBLE : tfprod::tf::DT_FLOAT;
  if (work == tfprod::tf::DT_FLOAT && t != tfprod::tf::DT_FLOAT && !is_reduced_float(t))
    ctx.fail("dtype {} is not supported", dtype_name(t));
  const std::size_t pad_i = with_resize ? 2 : 1, filter_i = pad_i + 1;
  Graph g;
  Tensor x = cast(ctx.input(0), work);
  if (with_resize) {
    Node& resize = g.add_node("resize", "ResizeBilinear");
    resize.set_attr("T").set_type(work);
    resize.set_attr("align_corners").set_b(ctx.attr_bool("resize_align_corners", false));
    x = cast(call(ctx, resize, {&x, &ctx.input(1)}), work);
  }
  Node& pad = g.add_node("mirror_pad", "MirrorPad");
  pad.set_attr("T").set_type(work);
  pad.set_attr("mode") = ctx.attr("mode");
  Tensor padded = call(ctx, pad, {&x, &ctx.input(pad_i)});

  Node& conv = g.add_node("conv", "Conv2D");
  conv.set_attr("T").set_type(work);
  conv.set_attr("strides") = ctx.attr("strides");
  conv.set_attr("padding") = ctx.attr("padding");
  conv.set_attr("data_format").set_s("NHWC");
  const Tensor filter = cast(ctx.input(filter_i), work);
  ctx.set_output(0, cast(call(ctx, conv, {&padded, &filter}), t));
}

void fused_pad_conv2d(KernelContext& ctx) { fused(ctx, false); }
void fused_resize_and_pad_conv2d(KernelContext& ctx) { fused(ctx, true); }

}  // namespace

void register_nn_fused(KernelTable& t) {
  t["FusedPadConv2D"] = {fused_pad_conv2d};
  t["FusedResizeAndPadConv2D"] = {fused_resize_and_pad_conv2d};
}

}  // namespace tfprod::eval
