// Shape and array ops. Every tensor's shape is known at export time, so
// Reshape, Squeeze and ExpandDims become a Reshape to the static output
// shape, Shape/Size/Rank become constants, and Pack stacks Reshapes. Slices
// get their bounds resolved against the static input shape.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "onnx/registry.h"
#include "tfprod/tensor_values.h"

namespace tfprod::onnx_export {

namespace {

std::vector<int64_t> const_ints(const Node& n, Builder& b, std::size_t i, const char* what) {
  const Tensor* t = b.constant(n, i);
  if (!t) unsupported(n, std::string(what) + " that is not constant");
  std::vector<int64_t> v(static_cast<std::size_t>(t->num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = eval::element_as_int(*t, static_cast<int64_t>(i));
  return v;
}

int64_t axis_in(const Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) unsupported(n, fmt::format("axis {} for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

void reshape_to(const Node& n, Builder& b, const std::string& x, Shape shape, const std::string& out) {
  // A symbolic batch: a leading dim that is the input's leading dim is copied (0).
  const Shape& in = b.info(n, 0).shape;
  if (b.dynamic_batch && !shape.empty() && !in.empty() && shape[0] == in[0]) shape[0] = 0;
  b.add("Reshape", {x, b.ints(n.name() + "/onnx/shape", shape)}, {out});
}

// Reshape, Squeeze, ExpandDims: the static output shape.
void reshape(const Node& n, Builder& b) { reshape_to(n, b, b.in(n, 0), b.out_info(n).shape, b.out(n)); }

void transpose(const Node& n, Builder& b) {
  std::vector<int64_t> perm = const_ints(n, b, 1, "a permutation");
  b.transpose(b.in(n, 0), perm, "", b.out(n));
}

void concat(const Node& n, Builder& b) {
  const bool v2 = n.op == "ConcatV2";
  const std::size_t axis_input = v2 ? n.inputs.size() - 1 : 0;
  const int64_t rank = static_cast<int64_t>(b.out_info(n).shape.size());
  const int64_t axis = axis_in(n, const_ints(n, b, axis_input, "an axis").at(0), rank);
  std::vector<std::string> ins;
  for (std::size_t i = 0; i < n.inputs.size(); ++i)
    if (i != axis_input) ins.push_back(b.in(n, i));
  set_attr(b.add("Concat", ins, {b.out(n)}), "axis", axis);
}

void pack(const Node& n, Builder& b) {
  const int64_t rank = static_cast<int64_t>(b.out_info(n).shape.size());
  const auto* a = n.attr("axis");
  const int64_t axis = axis_in(n, a ? a->i() : 0, rank);
  std::vector<std::string> ins;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    Shape s = b.info(n, i).shape;
    s.insert(s.begin() + axis, 1);
    const std::string r = b.fresh(n.name() + "/onnx/expanded");
    reshape_to(n, b, b.in(n, i), s, r);
    ins.push_back(r);
  }
  set_attr(b.add("Concat", ins, {b.out(n)}), "axis", axis);
}

// Split `x` along `axis` into pieces of `sizes`, written to `outs`.
void split(const Node& n, Builder& b, const std::string& x, int64_t axis, const std::vector<int64_t>& sizes,
           const std::vector<std::string>& outs) {
  if (b.opset() >= 13) {
    set_attr(b.add("Split", {x, b.ints(n.name() + "/onnx/split", sizes)}, outs), "axis", axis);
  } else {
    auto& s = b.add("Split", {x}, outs);
    set_attr(s, "axis", axis);
    set_attr(s, "split", sizes);
  }
}

int num_outputs(const Node& n, const char* attr) {
  const auto* a = n.attr(attr);
  if (!a || a->i() <= 0) unsupported(n, std::string("a missing '") + attr + "'");
  return static_cast<int>(a->i());
}

void unpack(const Node& n, Builder& b) {
  const Shape& in = b.info(n, 0).shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  const auto* a = n.attr("axis");
  const int64_t axis = axis_in(n, a ? a->i() : 0, rank);
  const int count = num_outputs(n, "num");
  std::vector<std::string> pieces;
  for (int i = 0; i < count; ++i) pieces.push_back(b.fresh(n.name() + "/onnx/piece"));
  split(n, b, b.in(n, 0), axis, std::vector<int64_t>(static_cast<std::size_t>(count), 1), pieces);
  for (int i = 0; i < count; ++i) reshape_to(n, b, pieces[static_cast<std::size_t>(i)], b.out_info(n, i).shape, b.out(n, i));
}

void split_op(const Node& n, Builder& b) {
  const bool v = n.op == "SplitV";
  const std::size_t value = v ? 0 : 1, dim = v ? 2 : 0;
  const int64_t rank = static_cast<int64_t>(b.info(n, value).shape.size());
  const int64_t axis = axis_in(n, const_ints(n, b, dim, "an axis").at(0), rank);
  const int count = num_outputs(n, "num_split");
  std::vector<int64_t> sizes;
  std::vector<std::string> outs;
  for (int i = 0; i < count; ++i) {
    sizes.push_back(b.out_info(n, i).shape.at(static_cast<std::size_t>(axis)));
    outs.push_back(b.out(n, i));
  }
  split(n, b, b.in(n, value), axis, sizes, outs);
}

void pad(const Node& n, Builder& b) {
  const std::vector<int64_t> p = const_ints(n, b, 1, "paddings");
  const std::size_t rank = p.size() / 2;
  std::vector<int64_t> pads(2 * rank);
  for (std::size_t i = 0; i < rank; ++i) {
    pads[i] = p[2 * i];
    pads[rank + i] = p[2 * i + 1];
  }
  std::string mode = "constant";
  if (n.op == "MirrorPad") {
    const std::string m = tf_string(n, "mode");
    if (m != "REFLECT") unsupported(n, "MirrorPad mode " + m);
    mode = "reflect";
  }
  std::vector<std::string> ins{b.in(n, 0), b.ints(n.name() + "/onnx/pads", pads)};
  if (n.op == "PadV2") ins.push_back(b.in(n, 2));
  set_attr(b.add("Pad", ins, {b.out(n)}), "mode", mode);
}

void slice(const Node& n, Builder& b) {
  const Shape& in = b.info(n, 0).shape;
  const std::vector<int64_t> begin = const_ints(n, b, 1, "a begin"), size = const_ints(n, b, 2, "a size");
  std::vector<int64_t> starts, ends, axes;
  for (std::size_t i = 0; i < begin.size() && i < in.size(); ++i) {
    starts.push_back(begin[i]);
    ends.push_back(size[i] < 0 ? in[i] : begin[i] + size[i]);
    axes.push_back(static_cast<int64_t>(i));
  }
  const std::string base = n.name() + "/onnx/";
  b.add("Slice", {b.in(n, 0), b.ints(base + "starts", starts), b.ints(base + "ends", ends), b.ints(base + "axes", axes)},
        {b.out(n)});
}

// StridedSlice without ellipsis or new axes: bounds resolved against the
// static shape; shrunk axes go with a Reshape to the output shape.
void strided_slice(const Node& n, Builder& b) {
  auto mask = [&](const char* k) { const auto* a = n.attr(k); return a ? a->i() : 0; };
  if (mask("ellipsis_mask") || mask("new_axis_mask")) unsupported(n, "ellipsis_mask or new_axis_mask");
  const Shape& in = b.info(n, 0).shape;
  const std::vector<int64_t> begin = const_ints(n, b, 1, "a begin"), end = const_ints(n, b, 2, "an end"),
                             strides = const_ints(n, b, 3, "strides");
  const int64_t begin_mask = mask("begin_mask"), end_mask = mask("end_mask"), shrink = mask("shrink_axis_mask");
  std::vector<int64_t> starts, ends, axes, steps;
  for (std::size_t i = 0; i < begin.size() && i < in.size(); ++i) {
    const int64_t dim = in[i], s = strides[i];
    if (s == 0) unsupported(n, "a zero stride");
    auto clamp = [&](int64_t v, bool masked, bool is_begin) {
      if (masked) return s > 0 ? (is_begin ? 0 : dim) : (is_begin ? dim - 1 : -dim - 1);
      if (v < 0) v += dim;
      return s > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t st, en;
    if (shrink >> i & 1) {
      st = begin[i] < 0 ? begin[i] + dim : begin[i];
      en = st + 1;
    } else {
      st = clamp(begin[i], begin_mask >> i & 1, true);
      en = clamp(end[i], end_mask >> i & 1, false);
      if (s < 0 && en == -1) en = -dim - 1;  // before index 0, not the last element
    }
    starts.push_back(st);
    ends.push_back(en);
    axes.push_back(static_cast<int64_t>(i));
    steps.push_back(shrink >> i & 1 ? 1 : s);
  }
  const std::string base = n.name() + "/onnx/";
  const std::string sliced = shrink ? b.fresh(base + "sliced") : b.out(n);
  b.add("Slice", {b.in(n, 0), b.ints(base + "starts", starts), b.ints(base + "ends", ends), b.ints(base + "axes", axes),
                  b.ints(base + "steps", steps)},
        {sliced});
  if (shrink) reshape_to(n, b, sliced, b.out_info(n).shape, b.out(n));
}

void tile(const Node& n, Builder& b) {
  b.add("Tile", {b.in(n, 0), b.ints(n.name() + "/onnx/repeats", const_ints(n, b, 1, "multiples"))}, {b.out(n)});
}

// Shape, Size, Rank: known at export time.
void shape_of(const Node& n, Builder& b) {
  const Shape& s = b.info(n, 0).shape;
  std::vector<int64_t> v = s;
  if (n.op == "Size") v = {num_elements(s)};
  if (n.op == "Rank") v = {static_cast<int64_t>(s.size())};
  const TensorInfo& out = b.out_info(n);
  Tensor t = eval::make_tensor(out.dtype, out.shape);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (out.dtype == tfprod::tf::DT_INT32)
      eval::values<int32_t>(t)[i] = static_cast<int32_t>(v[i]);
    else
      eval::values<int64_t>(t)[i] = v[i];
  }
  b.add("Identity", {b.initializer(n.name() + "/onnx/value", std::move(t))}, {b.out(n)});
}

void gather(const Node& n, Builder& b) {
  int64_t axis = 0;
  if (n.op == "GatherV2") {
    axis = axis_in(n, const_ints(n, b, 2, "an axis").at(0), static_cast<int64_t>(b.info(n, 0).shape.size()));
    const auto* bd = n.attr("batch_dims");
    if (bd && bd->i() != 0) unsupported(n, "batch_dims");
  }
  set_attr(b.add("Gather", {b.in(n, 0), b.in(n, 1)}, {b.out(n)}), "axis", axis);
}

void depth_space(const Node& n, Builder& b) {
  if (tf_string(n, "data_format", "NHWC") != "NHWC") unsupported(n, "a data_format other than NHWC");
  const std::string x = b.transpose(b.in(n, 0), kToNchw, n.name() + "/onnx/to_nchw");
  const std::string y = b.fresh(n.name() + "/onnx/nchw");
  const auto* bs = n.attr("block_size");
  auto& op = b.add(n.op, {x}, {y});
  set_attr(op, "blocksize", bs ? bs->i() : int64_t{2});
  b.transpose(y, kToNhwc, n.name() + "/onnx/to_nhwc", b.out(n));
}

void resize(const Node& n, Builder& b) {
  const bool nearest = n.op == "ResizeNearestNeighbor";
  const bool align = tf_bool(n, "align_corners"), half = tf_bool(n, "half_pixel_centers");
  const Shape& out = b.out_info(n).shape;
  if (out.size() != 4) unsupported(n, "an input that is not 4-D");
  const std::string x = b.transpose(b.in(n, 0), kToNchw, n.name() + "/onnx/to_nchw");
  const std::string y = b.fresh(n.name() + "/onnx/nchw");
  Tensor empty = eval::make_tensor(tfprod::tf::DT_FLOAT, {0});
  const std::string base = n.name() + "/onnx/";
  auto& op = b.add("Resize", {x, b.initializer(base + "roi", empty), b.initializer(base + "scales", empty),
                              b.ints(base + "sizes", {out[0], out[3], out[1], out[2]})},
                   {y});
  set_attr(op, "mode", std::string(nearest ? "nearest" : "linear"));
  set_attr(op, "coordinate_transformation_mode",
           std::string(align ? "align_corners" : half ? (nearest ? "tf_half_pixel_for_nn" : "half_pixel") : "asymmetric"));
  if (nearest) set_attr(op, "nearest_mode", std::string(align ? "round_prefer_ceil" : "floor"));
  b.transpose(y, kToNhwc, n.name() + "/onnx/to_nhwc", b.out(n));
}

}  // namespace

void register_array(HandlerTable& t) {
  t["Reshape"] = t["Squeeze"] = t["ExpandDims"] = &reshape;
  t["Transpose"] = &transpose;
  t["ConcatV2"] = t["Concat"] = &concat;
  t["Pack"] = &pack;
  t["Unpack"] = &unpack;
  t["Split"] = t["SplitV"] = &split_op;
  t["Pad"] = t["PadV2"] = t["MirrorPad"] = &pad;
  t["Slice"] = &slice;
  t["StridedSlice"] = &strided_slice;
  t["Tile"] = &tile;
  t["Shape"] = t["Size"] = t["Rank"] = &shape_of;
  t["Gather"] = t["GatherV2"] = &gather;
  t["DepthToSpace"] = t["SpaceToDepth"] = &depth_space;
  t["ResizeBilinear"] = t["ResizeNearestNeighbor"] = &resize;
}

}  // namespace tfprod::onnx_export
