// Convolutions, computed channels-last (NCHW/NCDHW inputs are transposed in
// and out). A 2-D convolution runs as a 3-D one with depth 1.
//
// Conv2D / Conv3D, input x[n, d, h, w, c], filter f[kd, kh, kw, c/G, co]
// (G groups when the filter's input depth divides c):
//   y[n, od, oh, ow, o] = sum_{i,j,k,c'} x[n, od*sd + i*dd - pd, oh*sh + j*dh - ph,
//                                          ow*sw + k*dw - pw, g*C' + c'] * f[i, j, k, c', o]
// with g = o / (co / G) and out-of-range x read as 0; padding per
// nn_internal.h. Computed as im2col + GEMM: rows = output positions,
// columns = (i, j, k, c'), times the filter viewed as a [K, co] matrix.
//
// Conv2DBackpropInput (input_sizes, filter, dy): the gradient of Conv2D with
// respect to x, i.e. a transposed convolution:
//   dx[n, p, c] = sum over output positions q and taps t with q*s + t*d - pad = p
//                 of dy[n, q, o] * f[t, c, o]
// computed as cols = dy * F^T followed by a scatter-add (col2im).
//
// DepthwiseConv2dNative, filter f[kh, kw, c, m]:
//   y[n, oh, ow, c*m + k] = sum_{i,j} x[n, oh*sh + i*dh - ph, ow*sw + j*dw - pw, c] * f[i, j, c, k]
#include <algorithm>
#include <array>
#include <cstring>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

using nn::Window;

struct ConvGeom {
  int64_t n = 1, c_in = 1, c_out = 1, groups = 1;
  std::array<Window, 3> w;  // depth, height, width
  int64_t cg() const { return c_in / groups; }
  int64_t taps() const { return w[0].k * w[1].k * w[2].k; }
  int64_t kdim() const { return taps() * cg(); }
  int64_t in_sp() const { return w[0].in * w[1].in * w[2].in; }
  int64_t out_sp() const { return w[0].out * w[1].out * w[2].out; }
  bool pointwise() const {
    for (const auto& d : w)
      if (d.k != 1 || d.stride != 1 || d.pad_before != 0 || d.out != d.in) return false;
    return groups == 1;
  }
};

// Reads strides, dilations and padding for a conv whose channels-last input
// has `spatial` dims (2 or 3); fills g.w[*].in from `in_shape` and k from
// `ksize`, then computes the windows.
void conv_windows(const KernelContext& ctx, ConvGeom& g, const Shape& in_shape, const std::vector<int64_t>& ksize,
                  bool first) {
  const std::size_t rank = in_shape.size();
  const std::size_t sp = rank - 2, off = 3 - sp;
  const auto strides = nn::spatial_attr(ctx, ctx.attr_ints("strides"), rank, first, "strides");
  const auto dil = nn::spatial_attr(ctx, ctx.attr_ints("dilations", std::vector<int64_t>(rank, 1)), rank, first,
                                    "dilations");
  const nn::Padding p = nn::padding_attr(ctx);
  std::vector<int64_t> ex = ctx.attr_ints("explicit_paddings", {});
  if (p == nn::Padding::kExplicit && ex.size() != 2 * rank)
    ctx.fail("explicit_paddings must have {} entries, has {}", 2 * rank, ex.size());
  for (std::size_t i = 0; i < sp; ++i) {
    Window& w = g.w[off + i];
    w.in = in_shape[1 + i];
    w.k = ksize[i];
    w.stride = strides[i];
    w.dilation = dil[i];
    const std::size_t dim = first ? 2 + i : 1 + i;  // position in the data format
    nn::compute_window(ctx, w, p, p == nn::Padding::kExplicit ? ex[2 * dim] : 0,
                       p == nn::Padding::kExplicit ? ex[2 * dim + 1] : 0);
  }
}

// Copies the patch rows of output positions [p0, p1) of image `x` into
// `cols` (row-major [p1 - p0, K]), channel block [c0, c0 + cg).
template <class T>
void im2col(const ConvGeom& g, const T* x, int64_t p0, int64_t p1, int64_t c0, T* cols) {
  const int64_t cg = g.cg(), oh = g.w[1].out, ow = g.w[2].out;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t od = p / (oh * ow), oy = (p / ow) % oh, ox = p % ow;
    T* row = cols + (p - p0) * g.kdim();
    for (int64_t i = 0; i < g.w[0].k; ++i) {
      const int64_t z = od * g.w[0].stride + i * g.w[0].dilation - g.w[0].pad_before;
      const bool zin = z >= 0 && z < g.w[0].in;
      for (int64_t j = 0; j < g.w[1].k; ++j) {
        const int64_t y = oy * g.w[1].stride + j * g.w[1].dilation - g.w[1].pad_before;
        const bool yin = zin && y >= 0 && y < g.w[1].in;
        for (int64_t k = 0; k < g.w[2].k; ++k, row += cg) {
          const int64_t xx = ox * g.w[2].stride + k * g.w[2].dilation - g.w[2].pad_before;
          if (yin && xx >= 0 && xx < g.w[2].in)
            std::memcpy(row, x + ((z * g.w[1].in + y) * g.w[2].in + xx) * g.c_in + c0, cg * sizeof(T));
          else
            std::fill(row, row + cg, T(0));
        }
      }
    }
  }
}

// Adds the patch rows back into image `dx` (the transpose of im2col).
template <class T>
void col2im(const ConvGeom& g, const T* cols, int64_t p0, int64_t p1, int64_t c0, T* dx) {
  const int64_t cg = g.cg(), oh = g.w[1].out, ow = g.w[2].out;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t od = p / (oh * ow), oy = (p / ow) % oh, ox = p % ow;
    const T* row = cols + (p - p0) * g.kdim();
    for (int64_t i = 0; i < g.w[0].k; ++i) {
      const int64_t z = od * g.w[0].stride + i * g.w[0].dilation - g.w[0].pad_before;
      const bool zin = z >= 0 && z < g.w[0].in;
      for (int64_t j = 0; j < g.w[1].k; ++j) {
        const int64_t y = oy * g.w[1].stride + j * g.w[1].dilation - g.w[1].pad_before;
        const bool yin = zin && y >= 0 && y < g.w[1].in;
        for (int64_t k = 0; k < g.w[2].k; ++k, row += cg) {
          const int64_t xx = ox * g.w[2].stride + k * g.w[2].dilation - g.w[2].pad_before;
          if (!yin || xx < 0 || xx >= g.w[2].in) continue;
          T* dst = dx + ((z * g.w[1].in + y) * g.w[2].in + xx) * g.c_in + c0;
          for (int64_t c = 0; c < cg; ++c) dst[c] += row[c];
        }
      }
    }
  }
}

// A per-thread im2col buffer of at least n elements, kept between calls
// (fresh large allocations would cost a page fault per 4 KiB on every run).
template <class T>
T* scratch(std::size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// Output positions per im2col chunk: about 4 MiB of patches (fewer chunks
// means fewer repacks of the filter inside the GEMM).
int64_t chunk_rows(const ConvGeom& g, std::size_t elem) {
  return std::max<int64_t>(16, static_cast<int64_t>((4u << 20) / elem) / std::max<int64_t>(1, g.kdim()));
}

template <class T>
void conv_forward(const ConvGeom& g, const T* x, const T* f, T* y) {
  const int64_t K = g.kdim(), cog = g.c_out / g.groups, P = g.out_sp();
  if (g.pointwise()) {
    nn::gemm(false, false, g.n * P, g.c_out, K, x, K, f, g.c_out, y, g.c_out);
    return;
  }
  const int64_t chunk = std::min(P, chunk_rows(g, sizeof(T)));
  T* cols = scratch<T>(static_cast<std::size_t>(chunk * K));
  for (int64_t n = 0; n < g.n; ++n) {
    const T* xn = x + n * g.in_sp() * g.c_in;
    T* yn = y + n * P * g.c_out;
    for (int64_t p0 = 0; p0 < P; p0 += chunk) {
      const int64_t rows = std::min(chunk, P - p0);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        im2col(g, xn, p0, p0 + rows, gi * g.cg(), cols);
        nn::gemm(false, false, rows, cog, K, cols, K, f + gi * cog, g.c_out, yn + p0 * g.c_out + gi * cog,
                 g.c_out);
      }
    }
  }
}

template <class T>
void conv_backprop_input(const ConvGeom& g, const T* dy, const T* f, T* dx) {
  const int64_t K = g.kdim(), cog = g.c_out / g.groups, P = g.out_sp();
  const int64_t chunk = std::min(P, chunk_rows(g, sizeof(T)));
  T* cols = scratch<T>(static_cast<std::size_t>(chunk * K));
  for (int64_t n = 0; n < g.n; ++n) {
    const T* dyn = dy + n * P * g.c_out;
    T* dxn = dx + n * g.in_sp() * g.c_in;
    for (int64_t p0 = 0; p0 < P; p0 += chunk) {
      const int64_t rows = std::min(chunk, P - p0);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        // cols[rows, K] = dy[rows, cog] * F_g[K, cog]^T
        nn::gemm(false, true, rows, K, cog, dyn + p0 * g.c_out + gi * cog, g.c_out, f + gi * cog, g.c_out,
                 cols, K);
        col2im(g, cols, p0, p0 + rows, gi * g.cg(), dxn);
      }
    }
  }
}

// Conv2D (spatial = 2) and Conv3D (spatial = 3).
void conv_nd(KernelContext& ctx, std::size_t spatial) {
  const Tensor& xin = ctx.input(0);
  const Tensor& fin = ctx.input(1);
  const std::size_t rank = spatial + 2;
  if (xin.shape.size() != rank || fin.shape.size() != rank)
    ctx.fail("input and filter must have rank {}, got {} and {}", rank, shape_string(xin.shape),
             shape_string(fin.shape));
  const bool first = nn::channels_first(ctx, spatial == 2 ? "NHWC" : "NDHWC");
  Tensor xs, fs;
  const Tensor& x = first ? (xs = nn::to_channels_last(nn::widen(xin))) : nn::widen_ref(xin, xs);
  const Tensor& f = nn::widen_ref(fin, fs);
  ConvGeom g;
  g.n = x.shape[0];
  g.c_in = x.shape[rank - 1];
  g.c_out = f.shape[rank - 1];
  const int64_t fc = f.shape[rank - 2];
  if (fc <= 0 || g.c_in % fc != 0) ctx.fail("input depth {} is not a multiple of filter depth {}", g.c_in, fc);
  g.groups = g.c_in / fc;
  if (g.c_out % g.groups != 0) ctx.fail("output depth {} is not a multiple of {} groups", g.c_out, g.groups);
  conv_windows(ctx, g, x.shape, std::vector<int64_t>(f.shape.begin(), f.shape.begin() + spatial), first);
  Shape out_shape{g.n};
  for (std::size_t i = 3 - spatial; i < 3; ++i) out_shape.push_back(g.w[i].out);
  out_shape.push_back(g.c_out);
  Tensor y = make_tensor(x.dtype, out_shape);
  nn::dispatch_float(ctx, xin.dtype, [&](auto v) {
    using T = decltype(v);
    if (y.num_elements() > 0) conv_forward<T>(g, values<T>(x).data(), values<T>(f).data(), values<T>(y).data());
  });
  if (first) y = nn::to_channels_first(y);
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
}

void conv2d(KernelContext& ctx) { conv_nd(ctx, 2); }
void conv3d(KernelContext& ctx) { conv_nd(ctx, 3); }

void conv2d_backprop_input(KernelContext& ctx) {
  const auto sizes = as_ints(ctx.input(0));
  const Tensor& fin = ctx.input(1);
  const Tensor& dyin = ctx.input(2);
  if (fin.shape.size() != 4 || dyin.shape.size() != 4)
    ctx.fail("filter and out_backprop must be 4-D, got {} and {}", shape_string(fin.shape), shape_string(dyin.shape));
  const bool first = nn::channels_first(ctx);
  const Tensor dy = first ? nn::to_channels_last(nn::widen(dyin)) : nn::widen(dyin);
  const Tensor f = nn::widen(fin);
  Shape in_shape;  // channels last
  if (sizes.size() == 4) {
    in_shape = first ? Shape{sizes[0], sizes[2], sizes[3], sizes[1]} : Shape(sizes.begin(), sizes.end());
  } else if (sizes.size() == 2) {
    in_shape = {dy.shape[0], sizes[0], sizes[1], f.shape[2]};
  } else {
    ctx.fail("input_sizes must have 4 (or 2) entries, has {}", sizes.size());
  }
  ConvGeom g;
  g.n = in_shape[0];
  g.c_in = in_shape[3];
  g.c_out = f.shape[3];
  if (f.shape[2] <= 0 || g.c_in % f.shape[2] != 0) ctx.fail("input depth {} does not match filter {}", g.c_in, shape_string(f.shape));
  g.groups = g.c_in / f.shape[2];
  conv_windows(ctx, g, in_shape, {f.shape[0], f.shape[1]}, first);
  if (dy.shape != Shape{g.n, g.w[1].out, g.w[2].out, g.c_out})
    ctx.fail("out_backprop {} does not match the convolution of input {} (expects [{},{},{},{}] channels-last)",
             shape_string(dyin.shape), shape_string(in_shape), g.n, g.w[1].out, g.w[2].out, g.c_out);
  Tensor dx = make_tensor(dy.dtype, in_shape);
  nn::dispatch_float(ctx, dyin.dtype, [&](auto v) {
    using T = decltype(v);
    if (dx.num_elements() > 0 && dy.num_elements() > 0)
      conv_backprop_input<T>(g, values<T>(dy).data(), values<T>(f).data(), values<T>(dx).data());
  });
  if (first) dx = nn::to_channels_first(dx);
  ctx.set_output(0, nn::narrow(std::move(dx), dyin.dtype));
}

template <class T>
void depthwise(const ConvGeom& g, int64_t mult, const T* x, const T* f, T* y) {
  const int64_t C = g.c_in, CM = C * mult;
  const Window &wh = g.w[1], &ww = g.w[2];
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < wh.out; ++oy)
      for (int64_t ox = 0; ox < ww.out; ++ox) {
        T* out = y + ((n * wh.out + oy) * ww.out + ox) * CM;
        for (int64_t i = 0; i < wh.k; ++i) {
          const int64_t iy = oy * wh.stride + i * wh.dilation - wh.pad_before;
          if (iy < 0 || iy >= wh.in) continue;
          for (int64_t j = 0; j < ww.k; ++j) {
            const int64_t ix = ox * ww.stride + j * ww.dilation - ww.pad_before;
            if (ix < 0 || ix >= ww.in) continue;
            const T* in = x + ((n * wh.in + iy) * ww.in + ix) * C;
            const T* fk = f + (i * ww.k + j) * CM;
            if (mult == 1) {
              for (int64_t c = 0; c < C; ++c) out[c] += in[c] * fk[c];
            } else {
              for (int64_t c = 0; c < C; ++c)
                for (int64_t m = 0; m < mult; ++m) out[c * mult + m] += in[c] * fk[c * mult + m];
            }
          }
        }
      }
}

void depthwise_conv2d(KernelContext& ctx) {
  const Tensor& xin = ctx.input(0);
  const Tensor& fin = ctx.input(1);
  if (xin.shape.size() != 4 || fin.shape.size() != 4)
    ctx.fail("input and filter must be 4-D, got {} and {}", shape_string(xin.shape), shape_string(fin.shape));
  const bool first = nn::channels_first(ctx);
  const Tensor x = first ? nn::to_channels_last(nn::widen(xin)) : nn::widen(xin);
  const Tensor f = nn::widen(fin);
  ConvGeom g;
  g.n = x.shape[0];
  g.c_in = x.shape[3];
  if (f.shape[2] != g.c_in) ctx.fail("filter {} does not match input depth {}", shape_string(f.shape), g.c_in);
  const int64_t mult = f.shape[3];
  conv_windows(ctx, g, x.shape, {f.shape[0], f.shape[1]}, first);
  Tensor y = make_tensor(x.dtype, {g.n, g.w[1].out, g.w[2].out, g.c_in * mult});
  nn::dispatch_float(ctx, xin.dtype, [&](auto v) {
    using T = decltype(v);
    depthwise<T>(g, mult, values<T>(x).data(), values<T>(f).data(), values<T>(y).data());
  });
  if (first) y = nn::to_channels_first(y);
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
}

}  // namespace

void register_nn_conv(KernelTable& t) {
  t["Conv2D"] = {conv2d};
  t["Conv3D"] = {conv3d};
  t["Conv2DBackpropInput"] = {conv2d_backprop_input};
  t["DepthwiseConv2dNative"] = {depthwise_conv2d};
}

}  // namespace tfprod::eval
