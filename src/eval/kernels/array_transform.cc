// Family: array, re-arrangements. Transpose, Tile, Pad, PadV2, MirrorPad
// (REFLECT / SYMMETRIC), ReverseV2 and Reverse: each maps every output index
// to a source element through per-dimension offset tables (remap).
#include "eval/kernels/array_common.h"

namespace tfprod::eval {

namespace {

void transpose(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const std::vector<int64_t> perm = ints_arg(ctx, 1, "perm");
  const std::size_t rank = x.shape.size();
  if (perm.size() != rank)
    ctx.fail("perm has {} entries, the input {} has rank {}", perm.size(), shape_string(x.shape), rank);
  std::vector<bool> seen(rank, false);
  Shape shape(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const int64_t p = perm[d];
    if (p < 0 || p >= static_cast<int64_t>(rank)) ctx.fail("perm[{}] = {} is out of range [0, {})", d, p, rank);
    if (seen[static_cast<std::size_t>(p)]) ctx.fail("perm {} is not a permutation", shape_string(Shape(perm.begin(), perm.end())));
    seen[static_cast<std::size_t>(p)] = true;
    shape[d] = x.shape[static_cast<std::size_t>(p)];
  }
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, shape, [&](std::size_t d, int64_t i) { return i * strides[static_cast<std::size_t>(perm[d])]; }));
}

void tile(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const std::vector<int64_t> multiples = ints_arg(ctx, 1, "multiples");
  const std::size_t rank = x.shape.size();
  if (multiples.size() != rank)
    ctx.fail("multiples has {} entries, the input {} has rank {}", multiples.size(), shape_string(x.shape), rank);
  Shape shape(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    if (multiples[d] < 0) ctx.fail("multiples[{}] = {} is negative", d, multiples[d]);
    if (x.shape[d] != 0 && multiples[d] > std::numeric_limits<int64_t>::max() / x.shape[d])
      ctx.fail("tiling shape {} by {} overflows", shape_string(x.shape), shape_string(Shape(multiples.begin(), multiples.end())));
    shape[d] = x.shape[d] * multiples[d];
  }
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, shape, [&](std::size_t d, int64_t i) { return (i % x.shape[d]) * strides[d]; }));
}

// paddings: an int [rank, 2] tensor of non-negative (before, after) pairs.
std::vector<std::pair<int64_t, int64_t>> paddings_arg(const KernelContext& ctx, const Tensor& x) {
  const Tensor& p = ctx.input(1);
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (p.dtype != tfprod::tf::DT_INT32 && p.dtype != tfprod::tf::DT_INT64)
    ctx.fail("paddings must be int32 or int64, got {}", dtype_name(p.dtype));
  if (p.shape != Shape{rank, 2})
    ctx.fail("paddings must have shape [{}, 2] for an input of shape {}, got {}", rank, shape_string(x.shape),
             shape_string(p.shape));
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t before = element_as_int(p, 2 * d), after = element_as_int(p, 2 * d + 1);
    if (before < 0 || after < 0) ctx.fail("paddings must be non-negative: {} {} in dimension {}", before, after, d);
    out.emplace_back(before, after);
  }
  return out;
}

Shape padded_shape(const KernelContext& ctx, const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& pads) {
  Shape shape(x.shape.size());
  constexpr int64_t kMax = int64_t{1} << 62;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (pads[d].first > kMax || pads[d].second > kMax || x.shape[d] + pads[d].first + pads[d].second > kMax)
      ctx.fail("padding dimension {} of shape {} overflows", d, shape_string(x.shape));
    shape[d] = x.shape[d] + pads[d].first + pads[d].second;
  }
  return shape;
}

void pad(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const auto pads = paddings_arg(ctx, x);
  const Tensor* fill = nullptr;
  if (ctx.num_inputs() > 2) {
    fill = &ctx.input(2);
    if (fill->dtype != x.dtype || fill->num_elements() != 1 || !fill->shape.empty())
      ctx.fail("constant_values must be a scalar {}, got {} {}", dtype_name(x.dtype), dtype_name(fill->dtype),
               shape_string(fill->shape));
  }
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(
                        x, padded_shape(ctx, x, pads),
                        [&](std::size_t d, int64_t i) -> int64_t {
                          const int64_t c = i - pads[d].first;
                          return c < 0 || c >= x.shape[d] ? -1 : c * strides[d];
                        },
                        fill));
}

void mirror_pad(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const auto pads = paddings_arg(ctx, x);
  const std::string mode = ctx.attr_string("mode");
  if (mode != "REFLECT" && mode != "SYMMETRIC") ctx.unsupported_attr("mode", mode);
  const int64_t shift = mode == "REFLECT" ? 1 : 0;
  for (std::size_t d = 0; d < pads.size(); ++d) {
    const int64_t limit = x.shape[d] - shift;
    if (pads[d].first > limit || pads[d].second > limit)
      ctx.fail("{} paddings {}, {} of dimension {} must be at most {} (its size {}{})", mode, pads[d].first,
               pads[d].second, d, limit, x.shape[d], shift ? " - 1" : "");
  }
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, padded_shape(ctx, x, pads), [&](std::size_t d, int64_t i) {
                   const int64_t n = x.shape[d];
                   int64_t c = i - pads[d].first;
                   if (c < 0) c = -c - 1 + shift;               // REFLECT: -c, SYMMETRIC: -c - 1
                   if (c >= n) c = 2 * n - 1 - shift - c;       // REFLECT: 2n-2-c, SYMMETRIC: 2n-1-c
                   return c * strides[d];
                 }));
}

void reverse_axes(KernelContext& ctx, const Tensor& x, const std::vector<bool>& flip) {
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, x.shape, [&](std::size_t d, int64_t i) {
                   return (flip[d] ? x.shape[d] - 1 - i : i) * strides[d];
                 }));
}

void reverse_v2(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<bool> flip(x.shape.size(), false);
  for (int64_t a : ints_arg(ctx, 1, "axis")) {
    int64_t axis = a;
    if (!normalize_axis(&axis, rank)) ctx.fail("axis {} is out of range [{}, {})", a, -rank, rank);
    if (flip[static_cast<std::size_t>(axis)]) ctx.fail("axis {} specified more than once", axis);
    flip[static_cast<std::size_t>(axis)] = true;
  }
  reverse_axes(ctx, x, flip);
}

// Reverse (v1): a bool vector with one entry per dimension.
void reverse_v1(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const Tensor& dims = ctx.input(1);
  if (dims.dtype != tfprod::tf::DT_BOOL || dims.shape != Shape{static_cast<int64_t>(x.shape.size())})
    ctx.fail("dims must be a bool vector of {} entries, got {} {}", x.shape.size(), dtype_name(dims.dtype),
             shape_string(dims.shape));
  std::vector<bool> flip;
  for (uint8_t b : values<uint8_t>(dims)) flip.push_back(b != 0);
  reverse_axes(ctx, x, flip);
}

}  // namespace

void register_array_transform(KernelTable& t) {
  t["Transpose"] = {transpose};
  t["Tile"] = {tile};
  t["Pad"] = {pad};
  t["PadV2"] = {pad};
  t["MirrorPad"] = {mirror_pad};
  t["ReverseV2"] = {reverse_v2};
  t["Reverse"] = {reverse_v1};
}

}  // namespace tfprod::eval
