// Family: image. Resizing (NHWC) and the space/batch/depth rearrangements.
//
// Resize scale per axis: s = (align_corners && out > 1) ? (in - 1) / (out - 1) : in / out
// (float32 arithmetic, as TF).
// ResizeBilinear (output float32): source coordinate
//   v = half_pixel_centers ? (o + 0.5) * s - 0.5 : o * s,
//   lo = max(floor(v), 0), hi = min(ceil(v), in - 1), t = v - floor(v);
//   top = x[lo_y, lo_x] + (x[lo_y, hi_x] - x[lo_y, lo_x]) * t_x (likewise bottom at hi_y),
//   y = top + (bottom - top) * t_y.
// ResizeNearestNeighbor (dtype kept): v = half_pixel_centers ? (o + 0.5) * s : o * s;
//   i = min(align_corners ? round(v) : floor(v), in - 1), then max(i, 0) with
//   half_pixel_centers.
// SpaceToBatchND (x, block_shape[M], paddings[M, 2]): pad the M spatial dims,
//   split each into (dim / b, b), move the block offsets in front of the batch:
//   out[(o_1..o_M) * N + n, p_1..p_M, rest] = padded[n, p_k * b_k + o_k, rest]
//   (block offsets in row-major order). BatchToSpaceND (x, block_shape, crops)
//   is its inverse followed by cropping. SpaceToBatch / BatchToSpace: 4-D with
//   a square block_size attr.
// DepthToSpace (block b, NHWC): out[n, h*b + i, w*b + j, c] = x[n, h, w, (i*b + j) * C/b^2 + c];
// SpaceToDepth is its inverse.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

float resize_scale(int64_t in, int64_t out, bool align) {
  return (align && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                            : static_cast<float>(in) / static_cast<float>(out);
}

struct ResizeArgs {
  int64_t n, h, w, c, oh, ow;
  bool align, half;
};

ResizeArgs resize_args(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.shape.size() != 4) ctx.fail("images must be 4-D, got {}", shape_string(x.shape));
  const auto size = as_ints(ctx.input(1));
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0) ctx.fail("size must hold two positive values");
  ResizeArgs a{x.shape[0], x.shape[1], x.shape[2], x.shape[3], size[0], size[1],
               ctx.attr_bool("align_corners", false), ctx.attr_bool("half_pixel_centers", false)};
  if (a.align && a.half) ctx.fail("align_corners and half_pixel_centers cannot both be true");
  if (a.h <= 0 || a.w <= 0) ctx.fail("images must not be empty, got {}", shape_string(x.shape));
  return a;
}

struct Lerp {
  int64_t lo, hi;
  float t;
};

std::vector<Lerp> bilinear_axis(int64_t in, int64_t out, bool align, bool half) {
  const float s = resize_scale(in, out, align);
  std::vector<Lerp> v(static_cast<std::size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const float src = half ? (static_cast<float>(o) + 0.5f) * s - 0.5f : static_cast<float>(o) * s;
    const float f = std::floor(src);
    v[o] = {std::max<int64_t>(static_cast<int64_t>(f), 0), std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1),
            src - f};
  }
  return v;
}

void resize_bilinear(KernelContext& ctx) {
  const ResizeArgs a = resize_args(ctx);
  const Tensor x = cast(ctx.input(0), tfprod::tf::DT_FLOAT);
  Tensor y = make_tensor(tfprod::tf::DT_FLOAT, {a.n, a.oh, a.ow, a.c});
  const auto ys = bilinear_axis(a.h, a.oh, a.align, a.half), xs = bilinear_axis(a.w, a.ow, a.align, a.half);
  const float* in = values<float>(x).data();
  float* out = values<float>(y).data();
  for (int64_t n = 0; n < a.n; ++n)
    for (int64_t oy = 0; oy < a.oh; ++oy) {
      const float* top = in + (n * a.h + ys[oy].lo) * a.w * a.c;
      const float* bot = in + (n * a.h + ys[oy].hi) * a.w * a.c;
      for (int64_t ox = 0; ox < a.ow; ++ox, out += a.c) {
        const int64_t l = xs[ox].lo * a.c, r = xs[ox].hi * a.c;
        const float tx = xs[ox].t, ty = ys[oy].t;
        for (int64_t c = 0; c < a.c; ++c) {
          const float t = top[l + c] + (top[r + c] - top[l + c]) * tx;
          const float b = bot[l + c] + (bot[r + c] - bot[l + c]) * tx;
          out[c] = t + (b - t) * ty;
        }
      }
    }
  ctx.set_output(0, std::move(y));
}

std::vector<int64_t> nearest_axis(int64_t in, int64_t out, bool align, bool half) {
  const float s = resize_scale(in, out, align);
  std::vector<int64_t> v(static_cast<std::size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const float src = half ? (static_cast<float>(o) + 0.5f) * s : static_cast<float>(o) * s;
    int64_t i = std::min<int64_t>(align ? static_cast<int64_t>(std::round(src)) : static_cast<int64_t>(std::floor(src)), in - 1);
    if (half) i = std::max<int64_t>(i, 0);
    v[o] = i;
  }
  return v;
}

void resize_nearest(KernelContext& ctx) {
  const ResizeArgs a = resize_args(ctx);
  const Tensor& x = ctx.input(0);
  Tensor y = make_tensor(x.dtype, {a.n, a.oh, a.ow, a.c});
  const auto ys = nearest_axis(a.h, a.oh, a.align, a.half), xs = nearest_axis(a.w, a.ow, a.align, a.half);
  const std::size_t px = static_cast<std::size_t>(a.c) * dtype_size(x.dtype);
  char* out = y.data.data();
  for (int64_t n = 0; n < a.n; ++n)
    for (int64_t oy = 0; oy < a.oh; ++oy)
      for (int64_t ox = 0; ox < a.ow; ++ox, out += px)
        std::memcpy(out, x.data.data() + ((n * a.h + ys[oy]) * a.w + xs[ox]) * px, px);
  ctx.set_output(0, std::move(y));
}

// Shared geometry: `batch` is the small-batch side (space), `big` the
// block-batch side; pads are [M, 2] (paddings or crops).
struct SpaceBatch {
  int64_t n = 0;                // batch of the space side
  std::vector<int64_t> block, pad0, space, small;  // per spatial dim: block, pad/crop before, padded size, blocked size
  int64_t rest = 1;             // elements after the spatial dims
  int64_t prod = 1;
};

SpaceBatch space_batch_geom(const KernelContext& ctx, const Shape& shape, const std::vector<int64_t>& block,
                            const Tensor& pads, bool to_batch) {
  const std::size_t m = block.size();
  if (pads.shape != Shape{static_cast<int64_t>(m), 2})
    ctx.fail("{} must have shape [{}, 2], got {}", to_batch ? "paddings" : "crops", m, shape_string(pads.shape));
  if (shape.size() < m + 1) ctx.fail("input {} has fewer than {} spatial dims", shape_string(shape), m);
  SpaceBatch g;
  g.block = block;
  for (int64_t b : block) {
    if (b < 1) ctx.fail("block_shape must be positive");
    g.prod *= b;
  }
  for (std::size_t i = m + 1; i < shape.size(); ++i) g.rest *= shape[i];
  for (std::size_t k = 0; k < m; ++k) {
    const int64_t p0 = element_as_int(pads, 2 * k), p1 = element_as_int(pads, 2 * k + 1);
    if (p0 < 0 || p1 < 0) ctx.fail("paddings and crops must be non-negative");
    g.pad0.push_back(p0);
    if (to_batch) {
      const int64_t padded = shape[k + 1] + p0 + p1;
      if (padded % block[k] != 0) ctx.fail("padded dim {} ({}) is not divisible by block {}", k + 1, padded, block[k]);
      g.space.push_back(padded);
      g.small.push_back(padded / block[k]);
    } else {
      g.small.push_back(shape[k + 1]);
      g.space.push_back(shape[k + 1] * block[k] - p0 - p1);  // cropped size
      if (g.space.back() < 0) ctx.fail("crops exceed dim {}", k + 1);
    }
  }
  if (to_batch) {
    g.n = shape[0];
  } else {
    if (shape[0] % g.prod != 0) ctx.fail("batch {} is not divisible by the block size product {}", shape[0], g.prod);
    g.n = shape[0] / g.prod;
  }
  return g;
}

// Walks every (block batch, blocked position) pair and calls
// f(big_offset, space_offset_or_-1) in units of `rest` elements; for
// SpaceToBatch the space side is the unpadded input, for BatchToSpace the
// cropped output (positions outside it give -1).
template <class F>
void space_batch_walk(const SpaceBatch& g, const Shape& space_shape, F&& f) {
  const std::size_t m = g.block.size();
  int64_t nsmall = 1;
  for (int64_t s : g.small) nsmall *= s;
  std::vector<int64_t> off(m), pos(m);
  for (int64_t ob = 0; ob < g.n * g.prod; ++ob) {
    const int64_t n = ob % g.n;
    int64_t rest = ob / g.n;
    for (std::size_t k = m; k-- > 0;) {
      off[k] = rest % g.block[k];
      rest /= g.block[k];
    }
    for (int64_t p = 0; p < nsmall; ++p) {
      int64_t r = p, at = n, inside = 1;
      for (std::size_t k = m; k-- > 0;) {
        pos[k] = r % g.small[k];
        r /= g.small[k];
      }
      for (std::size_t k = 0; k < m; ++k) {
        const int64_t s = pos[k] * g.block[k] + off[k] - g.pad0[k];
        if (s < 0 || s >= space_shape[k + 1]) inside = 0;
        at = at * space_shape[k + 1] + s;
      }
      f(ob * nsmall + p, inside ? at : -1);
    }
  }
}

void space_batch(KernelContext& ctx, const std::vector<int64_t>& block, const Tensor& pads, bool to_batch) {
  const Tensor& x = ctx.input(0);
  const SpaceBatch g = space_batch_geom(ctx, x.shape, block, pads, to_batch);
  const std::size_t m = block.size();
  Shape out_shape{to_batch ? g.n * g.prod : g.n};
  for (std::size_t k = 0; k < m; ++k) out_shape.push_back(to_batch ? g.small[k] : g.space[k]);
  out_shape.insert(out_shape.end(), x.shape.begin() + m + 1, x.shape.end());
  Tensor y = make_tensor(x.dtype, out_shape);
  const std::size_t chunk = static_cast<std::size_t>(g.rest) * dtype_size(x.dtype);
  const Shape& space_shape = to_batch ? x.shape : out_shape;
  space_batch_walk(g, space_shape, [&](int64_t big, int64_t space) {
    if (space < 0) return;
    if (to_batch) std::memcpy(y.data.data() + big * chunk, x.data.data() + space * chunk, chunk);
    else std::memcpy(y.data.data() + space * chunk, x.data.data() + big * chunk, chunk);
  });
  ctx.set_output(0, std::move(y));
}

void space_to_batch_nd(KernelContext& ctx) { space_batch(ctx, as_ints(ctx.input(1)), ctx.input(2), true); }
void batch_to_space_nd(KernelContext& ctx) { space_batch(ctx, as_ints(ctx.input(1)), ctx.input(2), false); }
void space_to_batch(KernelContext& ctx) {
  const int64_t b = ctx.attr_int("block_size");
  space_batch(ctx, {b, b}, ctx.input(1), true);
}
void batch_to_space(KernelContext& ctx) {
  const int64_t b = ctx.attr_int("block_size");
  space_batch(ctx, {b, b}, ctx.input(1), false);
}

void depth_space(KernelContext& ctx, bool to_space) {
  const Tensor& xin = ctx.input(0);
  if (xin.shape.size() != 4) ctx.fail("input must be 4-D, got {}", shape_string(xin.shape));
  const int64_t b = ctx.attr_int("block_size");
  if (b < 2) ctx.fail("block_size must be at least 2, got {}", b);
  const bool first = nn::channels_first(ctx);
  const Tensor x = first ? nn::to_channels_last(xin) : xin;
  const int64_t n = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3];
  Shape out_shape;
  if (to_space) {
    if (c % (b * b) != 0) ctx.fail("depth {} is not divisible by block_size^2 = {}", c, b * b);
    out_shape = {n, h * b, w * b, c / (b * b)};
  } else {
    if (h % b != 0 || w % b != 0) ctx.fail("height and width ({}, {}) must be divisible by {}", h, w, b);
    out_shape = {n, h / b, w / b, c * b * b};
  }
  Tensor y = make_tensor(x.dtype, out_shape);
  // Walk the deep side [n, sh, sw, (i, j, sc)] against the shallow side [n, sh*b + i, sw*b + j, sc].
  const Shape& deep = to_space ? x.shape : out_shape;
  const int64_t sc = deep[3] / (b * b), sh = deep[1], sw = deep[2];
  const std::size_t esz = dtype_size(x.dtype), chunk = static_cast<std::size_t>(sc) * esz;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t yy = 0; yy < sh; ++yy)
      for (int64_t xx = 0; xx < sw; ++xx)
        for (int64_t i = 0; i < b; ++i)
          for (int64_t j = 0; j < b; ++j) {
            const int64_t d = (((in * sh + yy) * sw + xx) * b * b + i * b + j) * sc;
            const int64_t s = ((in * sh * b + yy * b + i) * sw * b + xx * b + j) * sc;
            if (to_space) std::memcpy(y.data.data() + s * esz, x.data.data() + d * esz, chunk);
            else std::memcpy(y.data.data() + d * esz, x.data.data() + s * esz, chunk);
          }
  if (first) y = nn::to_channels_first(y);
  ctx.set_output(0, std::move(y));
}

void depth_to_space(KernelContext& ctx) { depth_space(ctx, true); }
void space_to_depth(KernelContext& ctx) { depth_space(ctx, false); }

}  // namespace

void register_image(KernelTable& t) {
  t["ResizeBilinear"] = {resize_bilinear};
  t["ResizeNearestNeighbor"] = {resize_nearest};
  t["SpaceToBatchND"] = {space_to_batch_nd};
  t["BatchToSpaceND"] = {batch_to_space_nd};
  t["SpaceToBatch"] = {space_to_batch};
  t["BatchToSpace"] = {batch_to_space};
  t["DepthToSpace"] = {depth_to_space};
  t["SpaceToDepth"] = {space_to_depth};
}

}  // namespace tfprod::eval
