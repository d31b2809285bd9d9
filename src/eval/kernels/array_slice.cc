// Family: array, slicing. Slice (begin, size with -1) and StridedSlice with
// TF's full mask semantics: the sparse spec (with ellipsis and new axes) is
// expanded to one entry per input dimension, indices are canonicalised and
// clamped per stride direction, and shrunk / new axes shape the result.
#include "eval/kernels/array_common.h"

namespace tfprod::eval {

namespace {

void slice(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const std::vector<int64_t> begin = ints_arg(ctx, 1, "begin");
  std::vector<int64_t> size = ints_arg(ctx, 2, "size");
  const std::size_t rank = x.shape.size();
  if (begin.size() != rank || size.size() != rank)
    ctx.fail("begin and size must have {} entries (the input's rank), got {} and {}", rank, begin.size(), size.size());
  for (std::size_t d = 0; d < rank; ++d) {
    if (size[d] == -1) size[d] = x.shape[d] - begin[d];
    if (begin[d] < 0 || begin[d] > x.shape[d])
      ctx.fail("expected begin[{}] in [0, {}], but got {}", d, x.shape[d], begin[d]);
    if (size[d] < 0 || size[d] > x.shape[d] - begin[d])
      ctx.fail("expected size[{}] in [0, {}], but got {}", d, x.shape[d] - begin[d], size[d]);
  }
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, Shape(size.begin(), size.end()),
                             [&](std::size_t d, int64_t i) { return (begin[d] + i) * strides[d]; }));
}

constexpr int64_t kShrink = -1, kNewAxis = -2;

struct DenseSpec {
  std::vector<int64_t> begin, end, strides;
  std::vector<bool> begin_masked, end_masked, shrink;
  std::vector<int64_t> final_dims;  // per sparse entry: a dense dim, kShrink or kNewAxis
};

void strided_slice(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const std::vector<int64_t> sb = ints_arg(ctx, 1, "begin");
  const std::vector<int64_t> se = ints_arg(ctx, 2, "end");
  const std::vector<int64_t> ss = ints_arg(ctx, 3, "strides");
  if (ctx.input(1).shape.size() != 1 || sb.size() != ss.size() || se.size() != ss.size() || ss.size() >= 32)
    ctx.fail("begin, end and strides must be 1-D of one length (under 32), got shapes {}, {} and {}",
             shape_string(ctx.input(1).shape), shape_string(ctx.input(2).shape), shape_string(ctx.input(3).shape));
  const int64_t begin_mask = ctx.attr_int("begin_mask", 0), end_mask = ctx.attr_int("end_mask", 0);
  int64_t ellipsis_mask = ctx.attr_int("ellipsis_mask", 0);
  const int64_t new_axis_mask = ctx.attr_int("new_axis_mask", 0);
  const int64_t shrink_mask = ctx.attr_int("shrink_axis_mask", 0);
  if (ellipsis_mask & (ellipsis_mask - 1)) ctx.fail("multiple ellipses in slice spec not allowed");

  // The sparse spec: n entries, plus an implicit trailing ellipsis.
  auto n = static_cast<int64_t>(ss.size());
  bool ellipsis_seen = false;
  int64_t new_axes_after_ellipsis = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (ellipsis_seen && (new_axis_mask >> i & 1)) ++new_axes_after_ellipsis;
    if (ellipsis_mask >> i & 1) ellipsis_seen = true;
  }
  if (!ellipsis_seen) ellipsis_mask |= int64_t{1} << n++;

  const auto rank = static_cast<int64_t>(x.shape.size());
  DenseSpec dense;
  dense.begin.assign(rank, 0);
  dense.end.assign(rank, 0);
  dense.strides.assign(rank, 1);
  dense.begin_masked.assign(rank, false);
  dense.end_masked.assign(rank, false);
  dense.shrink.assign(rank, false);
  int64_t full = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (ellipsis_mask >> i & 1) {
      const int64_t next = std::min(rank - (n - i) + 1 + new_axes_after_ellipsis, rank);
      for (; full < next; ++full) {
        dense.begin_masked[full] = dense.end_masked[full] = true;
        dense.final_dims.push_back(full);
      }
    } else if (new_axis_mask >> i & 1) {
      dense.final_dims.push_back(kNewAxis);
    } else {
      if (full == rank) ctx.fail("index out of range using input dim {}; input has only {} dims", full, rank);
      dense.begin[full] = sb[i];
      dense.end[full] = se[i];
      dense.strides[full] = ss[i];
      dense.begin_masked[full] = begin_mask >> i & 1;
      dense.end_masked[full] = end_mask >> i & 1;
      if (shrink_mask >> i & 1) {
        dense.shrink[full] = true;
        dense.final_dims.push_back(kShrink);
      } else {
        dense.final_dims.push_back(full);
      }
      ++full;
    }
  }

  // Canonical begin and size per input dimension.
  Shape processing(rank);
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t dim = x.shape[d];
    const int64_t stride = dense.strides[d];
    if (stride == 0) ctx.fail("strides[{}] must be non-zero", d);
    int64_t& b = dense.begin[d];
    int64_t& e = dense.end[d];
    if (dense.shrink[d]) {
      if (stride < 0) ctx.fail("only stride 1 allowed on non-range indexing");
      const int64_t fwd = b < 0 ? dim + b : b;
      if (fwd < 0 || fwd >= dim) ctx.fail("slice index {} of dimension {} out of bounds", b, d);
      b = fwd;
      e = fwd + 1;
    } else {
      const int64_t lo = stride > 0 ? 0 : -1, hi = stride > 0 ? dim : dim - 1;
      auto canonical = [&](int64_t v, bool masked, bool is_begin) {
        if (masked) return (stride > 0) == is_begin ? lo : hi;
        const int64_t fwd = v < 0 ? dim + v : v;
        return std::clamp(fwd, lo, hi);
      };
      b = canonical(b, dense.begin_masked[d], true);
      e = canonical(e, dense.end_masked[d], false);
    }
    const int64_t interval = e - b;
    if (interval == 0 || (interval < 0) != (stride < 0)) {
      processing[d] = 0;
    } else {
      processing[d] = interval / stride + (interval % stride != 0 ? 1 : 0);
    }
  }
  Shape final_shape;
  for (int64_t g : dense.final_dims) {
    if (g >= 0) final_shape.push_back(processing[g]);
    if (g == kNewAxis) final_shape.push_back(1);
  }
  const Shape in_strides = strides_of(x.shape);
  Tensor out = remap_by(x, processing, [&](std::size_t d, int64_t i) {
    return (dense.begin[d] + i * dense.strides[d]) * in_strides[d];
  });
  out.shape = std::move(final_shape);
  ctx.set_output(0, std::move(out));
}

}  // namespace

void register_array_slice(KernelTable& t) {
  t["Slice"] = {slice};
  t["StridedSlice"] = {strided_slice};
}

}  // namespace tfprod::eval
