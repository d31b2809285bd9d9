// Pooling, computed channels-last; a 2-D pool runs as a 3-D one with depth 1.
//   MaxPool: y[n, o, c] = max over window taps t inside the input of x[n, o*s + t - pad, c]
//   AvgPool: y[n, o, c] = (sum over the same taps) / (number of such taps)
// i.e. padded positions are ignored, so SAME AvgPool divides border outputs
// by the count of real elements (TF's behaviour), and never by the full
// window size. Windows and padding follow nn_internal.h (dilation 1).
// MaxPoolV2 takes ksize and strides as inputs 1 and 2; MaxPool3D/AvgPool3D
// use NDHWC / NCDHW.
#include <algorithm>
#include <array>
#include <limits>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

using nn::Window;

struct PoolGeom {
  int64_t n = 1, c = 1;
  std::array<Window, 3> w;  // depth, height, width
};

template <class T>
void pool(const PoolGeom& g, bool is_max, const T* x, T* y) {
  const Window &wd = g.w[0], &wh = g.w[1], &ww = g.w[2];
  const int64_t C = g.c;
  std::vector<double> acc(static_cast<std::size_t>(C));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t od = 0; od < wd.out; ++od)
      for (int64_t oy = 0; oy < wh.out; ++oy)
        for (int64_t ox = 0; ox < ww.out; ++ox) {
          T* out = y + (((n * wd.out + od) * wh.out + oy) * ww.out + ox) * C;
          if (is_max) std::fill(out, out + C, std::numeric_limits<T>::lowest());
          else std::fill(acc.begin(), acc.end(), 0.0);
          int64_t count = 0;
          const int64_t z0 = od * wd.stride - wd.pad_before, y0 = oy * wh.stride - wh.pad_before,
                        x0 = ox * ww.stride - ww.pad_before;
          for (int64_t z = std::max<int64_t>(z0, 0); z < std::min(z0 + wd.k, wd.in); ++z)
            for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + wh.k, wh.in); ++iy)
              for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + ww.k, ww.in); ++ix) {
                const T* in = x + (((n * wd.in + z) * wh.in + iy) * ww.in + ix) * C;
                ++count;
                if (is_max) {
                  for (int64_t c = 0; c < C; ++c) out[c] = std::max(out[c], in[c]);
                } else {
                  for (int64_t c = 0; c < C; ++c) acc[c] += in[c];
                }
              }
          if (!is_max)
            for (int64_t c = 0; c < C; ++c) out[c] = count ? static_cast<T>(acc[c] / count) : T(0);
        }
}

void pool_nd(KernelContext& ctx, std::size_t spatial, bool is_max, bool v2) {
  const Tensor& xin = ctx.input(0);
  const std::size_t rank = spatial + 2;
  if (xin.shape.size() != rank) ctx.fail("input must have rank {}, got {}", rank, shape_string(xin.shape));
  const bool first = nn::channels_first(ctx, spatial == 2 ? "NHWC" : "NDHWC");
  const auto ksize = nn::spatial_attr(ctx, v2 ? as_ints(ctx.input(1)) : ctx.attr_ints("ksize"), rank, first, "ksize");
  const auto strides =
      nn::spatial_attr(ctx, v2 ? as_ints(ctx.input(2)) : ctx.attr_ints("strides"), rank, first, "strides");
  const nn::Padding p = nn::padding_attr(ctx);
  const std::vector<int64_t> ex = ctx.attr_ints("explicit_paddings", {});
  if (p == nn::Padding::kExplicit && ex.size() != 2 * rank)
    ctx.fail("explicit_paddings must have {} entries, has {}", 2 * rank, ex.size());
  const Tensor x = first ? nn::to_channels_last(nn::widen(xin)) : nn::widen(xin);
  PoolGeom g;
  g.n = x.shape[0];
  g.c = x.shape[rank - 1];
  Shape out_shape{g.n};
  for (std::size_t i = 0; i < spatial; ++i) {
    Window& w = g.w[3 - spatial + i];
    w.in = x.shape[1 + i];
    w.k = ksize[i];
    w.stride = strides[i];
    const std::size_t dim = first ? 2 + i : 1 + i;
    nn::compute_window(ctx, w, p, p == nn::Padding::kExplicit ? ex[2 * dim] : 0,
                       p == nn::Padding::kExplicit ? ex[2 * dim + 1] : 0);
    if (p == nn::Padding::kExplicit && (ex[2 * dim] >= w.k || ex[2 * dim + 1] >= w.k))
      ctx.fail("explicit padding must be smaller than the window");
    out_shape.push_back(w.out);
  }
  out_shape.push_back(g.c);
  Tensor y = make_tensor(x.dtype, out_shape);
  if (is_max && !(x.dtype == tfprod::tf::DT_FLOAT || x.dtype == tfprod::tf::DT_DOUBLE)) {
    const bool ok = dispatch_numeric(x.dtype, [&](auto v) {
      using T = decltype(v);
      pool<T>(g, true, values<T>(x).data(), values<T>(y).data());
    });
    if (!ok) ctx.fail("dtype {} is not supported", dtype_name(xin.dtype));
  } else {
    nn::dispatch_float(ctx, xin.dtype, [&](auto v) {
      using T = decltype(v);
      pool<T>(g, is_max, values<T>(x).data(), values<T>(y).data());
    });
  }
  if (first) y = nn::to_channels_first(y);
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
}

void max_pool(KernelContext& ctx) { pool_nd(ctx, 2, true, false); }
void max_pool_v2(KernelContext& ctx) { pool_nd(ctx, 2, true, true); }
void avg_pool(KernelContext& ctx) { pool_nd(ctx, 2, false, false); }
void max_pool_3d(KernelContext& ctx) { pool_nd(ctx, 3, true, false); }
void avg_pool_3d(KernelContext& ctx) { pool_nd(ctx, 3, false, false); }

}  // namespace

void register_nn_pool(KernelTable& t) {
  t["MaxPool"] = {max_pool};
  t["MaxPoolV2"] = {max_pool_v2};
  t["AvgPool"] = {avg_pool};
  t["MaxPool3D"] = {max_pool_3d};
  t["AvgPool3D"] = {avg_pool_3d};
}

}  // namespace tfprod::eval
