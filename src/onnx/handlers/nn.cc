// Convolutions, pools, batch norm (a training-mode one as primitives) and LRN: ONNX has them NCHW only, so an
// NHWC TF op becomes Transpose(to NCHW) -> op -> Transpose(to NHWC); the
// transpose optimizer cancels the pairs between consecutive ops.
//
//   x[N,H,W,C] -> Conv2D(w[KH,KW,I,O], SAME)   =>   x -> Transpose(0,3,1,2) -> Conv(w'[O,I,KH,KW], pads)
//                                                     -> Transpose(0,2,3,1)
//
// SAME padding becomes explicit pads computed from the static input shape
// (TF puts the odd pixel after: before = total / 2). Average pools exclude the
// padding from the count, as TF does (count_include_pad = 0). Depthwise
// filters [KH,KW,C,M] become [C*M,1,KH,KW] with group = C.
#include <fmt/format.h>

#include "onnx/registry.h"
#include "tfprod/error.h"

namespace tfprod::onnx_export {

namespace {

struct Layout {
  bool nhwc = true;
  // A 4-D attribute (strides, ksize, dilations) in the node's data format -> H, W.
  std::vector<int64_t> spatial(const std::vector<int64_t>& v) const {
    if (v.size() != 4) return {1, 1};
    return nhwc ? std::vector<int64_t>{v[1], v[2]} : std::vector<int64_t>{v[2], v[3]};
  }
};

Layout layout_of(const Node& n) {
  const std::string f = tf_string(n, "data_format", "NHWC");
  if (f != "NHWC" && f != "NCHW") unsupported(n, "data_format " + f);
  return {f == "NHWC"};
}

// The input in NCHW, and where the NCHW result goes before its way back.
std::string nchw_input(const Node& n, Builder& b, const Layout& l) {
  const std::string x = b.in(n, 0);
  return l.nhwc ? b.transpose(x, kToNchw, n.name() + "/onnx/to_nchw") : x;
}

void finish(const Node& n, Builder& b, const Layout& l, onnx::NodeProto& op, const std::string& result) {
  if (l.nhwc) b.transpose(result, kToNhwc, n.name() + "/onnx/to_nhwc", b.out(n));
  (void)op;
}

std::string result_name(const Node& n, Builder& b, const Layout& l) {
  return l.nhwc ? b.fresh(n.name() + "/onnx/nchw") : b.out(n);
}

// Explicit [begin_h, begin_w, end_h, end_w] pads for TF's padding mode.
std::vector<int64_t> pads_for(const Node& n, Builder& b, const Layout& l, const std::vector<int64_t>& kernel,
                              const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations) {
  const std::string padding = tf_string(n, "padding", "VALID");
  const Shape& in = b.info(n, 0).shape;
  if (in.size() != 4) unsupported(n, fmt::format("an input of rank {}", in.size()));
  const int64_t size[2] = {l.nhwc ? in[1] : in[2], l.nhwc ? in[2] : in[3]};
  if (padding == "VALID") return {0, 0, 0, 0};
  if (padding == "EXPLICIT") {
    const std::vector<int64_t> e = tf_ints(n, "explicit_paddings");
    if (e.size() != 8) unsupported(n, "explicit_paddings without 8 values");
    const std::size_t h = l.nhwc ? 2 : 4, w = l.nhwc ? 4 : 6;
    return {e[h], e[w], e[h + 1], e[w + 1]};
  }
  if (padding != "SAME") unsupported(n, "padding " + padding);
  std::vector<int64_t> pads(4);
  for (int i = 0; i < 2; ++i) {
    const int64_t out = (size[i] + strides[i] - 1) / strides[i];
    const int64_t total = std::max<int64_t>((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size[i], 0);
    pads[i] = total / 2;
    pads[i + 2] = total - total / 2;
  }
  return pads;
}

void conv2d(const Node& n, Builder& b) {
  const Layout l = layout_of(n);
  const Tensor* w = b.constant(n, 1);
  if (!w || w->shape.size() != 4) unsupported(n, "a filter that is not a 4-D constant");
  const bool depthwise = n.op == "DepthwiseConv2dNative";
  Tensor filter;
  int64_t group = 1;
  if (depthwise) {
    filter = permute_tensor(*w, {2, 3, 0, 1});  // [C, M, KH, KW]
    group = w->shape[2];
    filter.shape = {w->shape[2] * w->shape[3], 1, w->shape[0], w->shape[1]};
  } else {
    filter = permute_tensor(*w, {3, 2, 0, 1});  // OIHW
    const int64_t in_channels = b.info(n, 0).shape.at(l.nhwc ? 3 : 1);
    if (w->shape[2] != in_channels) {  // grouped convolution
      if (in_channels % w->shape[2]) unsupported(n, "input channels that the filter's do not divide");
      group = in_channels / w->shape[2];
    }
  }
  const std::vector<int64_t> kernel{w->shape[0], w->shape[1]};
  const std::vector<int64_t> strides = l.spatial(tf_ints(n, "strides"));
  const auto* d = n.attr("dilations");
  const std::vector<int64_t> dilations = d ? l.spatial(tf_ints(n, "dilations")) : std::vector<int64_t>{1, 1};
  const std::vector<int64_t> pads = pads_for(n, b, l, kernel, strides, dilations);
  const std::string x = nchw_input(n, b, l);
  const std::string y = result_name(n, b, l);
  auto& op = b.add("Conv", {x, b.initializer(n.name() + "/onnx/filter", std::move(filter))}, {y});
  set_attr(op, "kernel_shape", kernel);
  set_attr(op, "strides", strides);
  set_attr(op, "dilations", dilations);
  set_attr(op, "pads", pads);
  if (group != 1) set_attr(op, "group", group);
  finish(n, b, l, op, y);
}

// Conv2DBackpropInput(input_sizes, filter[KH,KW,O,I], x): a ConvTranspose
// whose pads are the forward convolution's (on the static output size) and
// whose output_padding makes up the rest of that size.
void conv2d_transpose(const Node& n, Builder& b) {
  const Layout l = layout_of(n);
  const Tensor* w = b.constant(n, 1);
  if (!w || w->shape.size() != 4) unsupported(n, "a filter that is not a 4-D constant");
  const Shape& out = b.out_info(n).shape;
  const Shape& in = b.info(n, 2).shape;
  if (out.size() != 4 || in.size() != 4) unsupported(n, "tensors that are not 4-D");
  const std::vector<int64_t> kernel{w->shape[0], w->shape[1]};
  const std::vector<int64_t> strides = l.spatial(tf_ints(n, "strides"));
  const auto* d = n.attr("dilations");
  const std::vector<int64_t> dilations = d ? l.spatial(tf_ints(n, "dilations")) : std::vector<int64_t>{1, 1};
  const int64_t out_hw[2] = {l.nhwc ? out[1] : out[2], l.nhwc ? out[2] : out[3]};
  const int64_t in_hw[2] = {l.nhwc ? in[1] : in[2], l.nhwc ? in[2] : in[3]};
  const std::string padding = tf_string(n, "padding", "VALID");
  if (padding != "SAME" && padding != "VALID") unsupported(n, "padding " + padding);
  std::vector<int64_t> pads(4, 0), extra(2, 0);
  for (int i = 0; i < 2; ++i) {
    if (padding == "SAME") {
      const int64_t o = (out_hw[i] + strides[i] - 1) / strides[i];
      const int64_t total =
          std::max<int64_t>((o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - out_hw[i], 0);
      pads[i] = total / 2;
      pads[i + 2] = total - total / 2;
    }
    extra[i] = out_hw[i] - (strides[i] * (in_hw[i] - 1) + (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[i + 2]);
    if (extra[i] < 0 || extra[i] >= strides[i]) unsupported(n, "an output size no ConvTranspose gives");
  }
  const std::string x0 = b.in(n, 2);
  const std::string x = l.nhwc ? b.transpose(x0, kToNchw, n.name() + "/onnx/to_nchw") : x0;
  const std::string y = result_name(n, b, l);
  // OpenCV 4.6 refuses asymmetric pads: then the full result is cropped.
  const bool crop = pads[0] != pads[2] || pads[1] != pads[3];
  const std::string full = crop ? b.fresh(n.name() + "/onnx/full") : y;
  auto& op = b.add("ConvTranspose", {x, b.initializer(n.name() + "/onnx/filter", permute_tensor(*w, {3, 2, 0, 1}))},
                   {full});
  set_attr(op, "kernel_shape", kernel);
  set_attr(op, "strides", strides);
  set_attr(op, "dilations", dilations);
  if (!crop) {
    set_attr(op, "pads", pads);
    if (extra[0] || extra[1]) set_attr(op, "output_padding", extra);
  } else {
    const std::string base = n.name() + "/onnx/crop_";
    b.add("Slice", {full, b.ints(base + "starts", {pads[0], pads[1]}),
                    b.ints(base + "ends", {pads[0] + out_hw[0], pads[1] + out_hw[1]}), b.ints(base + "axes", {2, 3})},
          {y});
  }
  finish(n, b, l, op, y);
}

void pool(const Node& n, Builder& b) {
  const Layout l = layout_of(n);
  const std::vector<int64_t> kernel = l.spatial(tf_ints(n, "ksize"));
  const std::vector<int64_t> strides = l.spatial(tf_ints(n, "strides"));
  if (tf_ints(n, "ksize").size() != 4 || tf_ints(n, "ksize")[0] != 1 || tf_ints(n, "ksize")[l.nhwc ? 3 : 1] != 1)
    unsupported(n, "pooling across the batch or channels");
  const std::vector<int64_t> pads = pads_for(n, b, l, kernel, strides, {1, 1});
  const std::string x = nchw_input(n, b, l);
  const std::string y = result_name(n, b, l);
  auto& op = b.add(n.op == "MaxPool" ? "MaxPool" : "AveragePool", {x}, {y});
  set_attr(op, "kernel_shape", kernel);
  set_attr(op, "strides", strides);
  set_attr(op, "pads", pads);
  finish(n, b, l, op, y);
}

// [C] scale or offset -> [1, C, 1].
std::string per_channel(const Node& n, Builder& b, std::size_t i, const char* what) {
  const Shape& s = b.info(n, i).shape;
  if (s.size() != 1) unsupported(n, fmt::format("a {} of shape {}", what, shape_string(s)));
  if (const Tensor* c = b.constant(n, i)) {
    Tensor t = *c;
    t.shape = {1, s[0], 1};
    return b.initializer(n.name() + "/onnx/" + what, std::move(t));
  }
  const std::string out = b.fresh(n.name() + "/onnx/" + what);
  b.add("Reshape", {b.in(n, i), b.ints(n.name() + "/onnx/" + what + "_shape", {1, s[0], 1})}, {out});
  return out;
}

// Training mode: normalized by the batch's own mean and variance over N, H
// and W (what a net saved with is_training=true, e.g. with empty mean and
// variance, computes at inference too). As primitives, because ONNX's
// MeanVarianceNormalization has no epsilon, on x as [1, C, N*H*W] (C first,
// then a Reshape), because OpenCV 4.6 reduces only trailing axes.
void batch_norm_training(const Node& n, Builder& b, const Layout& l) {
  const Shape& s = b.info(n, 0).shape;
  const Shape nchw = l.nhwc ? Shape{s[0], s[3], s[1], s[2]} : s;
  const std::string base = n.name() + "/onnx/";
  const std::string x = nchw_input(n, b, l);
  const std::string cnhw = b.transpose(x, {1, 0, 2, 3}, base + "cnhw");
  const std::string flat = b.fresh(base + "flat");
  b.add("Reshape", {cnhw, b.ints(base + "flat_shape", {1, nchw[1], nchw[0] * nchw[2] * nchw[3]})}, {flat});
  auto reduce_mean = [&](const std::string& in, const char* what) {
    const std::string out = b.fresh(base + what);
    auto& op = b.add("ReduceMean", {in}, {out});
    set_attr(op, "axes", std::vector<int64_t>{2});
    set_attr(op, "keepdims", int64_t{1});
    return out;
  };
  auto binary = [&](const char* op, const std::string& a, const std::string& c, const char* what) {
    const std::string out = b.fresh(base + what);
    b.add(op, {a, c}, {out});
    return out;
  };
  const std::string mean = reduce_mean(flat, "mean");
  const std::string centered = binary("Sub", flat, mean, "centered");
  const std::string variance = reduce_mean(binary("Mul", centered, centered, "squared"), "variance");
  const std::string eps = b.scalar(base + "epsilon", tfprod::tf::DT_FLOAT, tf_float(n, "epsilon", 1e-4f));
  const std::string stddev = b.fresh(base + "stddev");
  b.add("Sqrt", {binary("Add", variance, eps, "variance_eps")}, {stddev});
  const std::string normalized = binary("Div", centered, stddev, "normalized");
  const std::string scaled = binary("Mul", normalized, per_channel(n, b, 1, "scale"), "scaled");
  const std::string shifted = binary("Add", scaled, per_channel(n, b, 2, "offset"), "shifted");
  const std::string back = b.fresh(base + "cnhw_out");
  b.add("Reshape", {shifted, b.ints(base + "cnhw_shape", {nchw[1], nchw[0], nchw[2], nchw[3]})}, {back});
  const std::string y = result_name(n, b, l);
  auto& op = b.add("Transpose", {back}, {y});
  set_attr(op, "perm", std::vector<int64_t>{1, 0, 2, 3});
  finish(n, b, l, op, y);
}

void fused_batch_norm(const Node& n, Builder& b) {
  const Layout l = layout_of(n);
  if (b.info(n, 0).shape.size() != 4) unsupported(n, "an input that is not 4-D");
  // Outputs 1.. (batch statistics) are for training only: refused if read.
  for (const Use& u : n.uses())
    if (u.node && u.input_index >= 0 && u.node->inputs[static_cast<std::size_t>(u.input_index)].index != 0)
      unsupported(n, "a consumer of the batch statistics (output " +
                         std::to_string(u.node->inputs[static_cast<std::size_t>(u.input_index)].index) + ")");
  if (tf_bool(n, "is_training", true)) return batch_norm_training(n, b, l);
  const std::string x = nchw_input(n, b, l);
  const std::string y = result_name(n, b, l);
  auto& op = b.add("BatchNormalization", {x, b.in(n, 1), b.in(n, 2), b.in(n, 3), b.in(n, 4)}, {y});
  set_attr(op, "epsilon", tf_float(n, "epsilon", 1e-4f));  // TF's default
  finish(n, b, l, op, y);
}

void lrn(const Node& n, Builder& b) {
  const auto* r = n.attr("depth_radius");
  const int64_t radius = r ? r->i() : 5;
  const int64_t size = 2 * radius + 1;
  const Layout l{true};
  const std::string x = nchw_input(n, b, l);
  const std::string y = result_name(n, b, l);
  auto& op = b.add("LRN", {x}, {y});
  set_attr(op, "size", size);
  set_attr(op, "alpha", tf_float(n, "alpha", 1.0f) * static_cast<float>(size));
  set_attr(op, "beta", tf_float(n, "beta", 0.5f));
  set_attr(op, "bias", tf_float(n, "bias", 1.0f));
  finish(n, b, l, op, y);
}

}  // namespace

void register_nn(HandlerTable& t) {
  t["Conv2D"] = t["DepthwiseConv2dNative"] = &conv2d;
  t["Conv2DBackpropInput"] = &conv2d_transpose;
  t["MaxPool"] = t["AvgPool"] = &pool;
  t["FusedBatchNorm"] = t["FusedBatchNormV2"] = t["FusedBatchNormV3"] = &fused_batch_norm;
  t["LRN"] = &lrn;
}

}  // namespace tfprod::onnx_export
