// Family: nn. Registers the sub-families (nn_conv, nn_matmul, nn_pool,
// nn_norm), holds their shared helpers (data formats, window geometry), and
// the row-wise ops:
//   Softmax:    y_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (last axis)
//   LogSoftmax: y_i = (x_i - max x) - log(sum_j exp(x_j - max x))
//   L2Loss:     sum(x^2) / 2  (a scalar)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {

namespace nn {

bool channels_first(const KernelContext& ctx, const std::string& fallback) {
  const std::string f = ctx.attr_string("data_format", fallback);
  if (f == "NHWC" || f == "NDHWC" || f == "NWC") return false;
  if (f == "NCHW" || f == "NCDHW" || f == "NCW") return true;
  ctx.unsupported_attr("data_format", f);
}

namespace {
// Permutes [A, B, C] -> [A, C, B] for elements of `size` bytes.
Tensor swap_last_two(const Tensor& t, Shape out_shape, int64_t a, int64_t b, int64_t c) {
  Tensor out;
  out.dtype = t.dtype;
  out.shape = std::move(out_shape);
  out.data.resize(t.data.size());
  const std::size_t size = dtype_size(t.dtype);
  const char* src = t.data.data();
  char* dst = out.data.data();
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k)
        std::memcpy(dst + ((i * c + k) * b + j) * size, src + ((i * b + j) * c + k) * size, size);
  return out;
}
}  // namespace

Tensor to_channels_last(const Tensor& t) {
  if (t.shape.size() < 3) return t;
  Shape s = t.shape;
  int64_t rest = 1;
  for (std::size_t i = 2; i < s.size(); ++i) rest *= s[i];
  const int64_t c = s[1];
  s.erase(s.begin() + 1);
  s.push_back(c);
  return swap_last_two(t, s, t.shape[0], c, rest);
}

Tensor to_channels_first(const Tensor& t) {
  if (t.shape.size() < 3) return t;
  Shape s = t.shape;
  int64_t rest = 1;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) rest *= s[i];
  const int64_t c = s.back();
  s.pop_back();
  s.insert(s.begin() + 1, c);
  return swap_last_two(t, s, t.shape[0], rest, c);
}

Padding padding_attr(const KernelContext& ctx) {
  const std::string p = ctx.attr_string("padding");
  if (p == "VALID") return Padding::kValid;
  if (p == "SAME") return Padding::kSame;
  if (p == "EXPLICIT") return Padding::kExplicit;
  ctx.unsupported_attr("padding", p);
}

void compute_window(const KernelContext& ctx, Window& w, Padding p, int64_t explicit_before, int64_t explicit_after) {
  if (w.stride <= 0 || w.dilation <= 0 || w.k <= 0)
    ctx.fail("strides, dilations and window sizes must be positive");
  const int64_t ek = (w.k - 1) * w.dilation + 1;
  switch (p) {
    case Padding::kValid:
      w.out = (w.in - ek + w.stride) / w.stride;
      w.pad_before = 0;
      break;
    case Padding::kSame: {
      w.out = (w.in + w.stride - 1) / w.stride;
      const int64_t total = std::max<int64_t>(0, (w.out - 1) * w.stride + ek - w.in);
      w.pad_before = total / 2;
      break;
    }
    case Padding::kExplicit:
      if (explicit_before < 0 || explicit_after < 0) ctx.fail("explicit paddings must be non-negative");
      w.out = (w.in + explicit_before + explicit_after - ek + w.stride) / w.stride;
      w.pad_before = explicit_before;
      break;
  }
  if (w.out < 0)
    ctx.fail("window of size {} (dilated {}) does not fit input size {}", w.k, ek, w.in);
}

std::vector<int64_t> spatial_attr(const KernelContext& ctx, const std::vector<int64_t>& v, std::size_t rank,
                                  bool first, const char* name) {
  if (v.size() != rank) ctx.fail("attr '{}' must have {} entries, has {}", name, rank, v.size());
  const std::size_t c = first ? 1 : rank - 1;
  if (v[0] != 1 || v[c] != 1) ctx.fail("attr '{}' must be 1 in the batch and channel dimensions", name);
  std::vector<int64_t> out;
  for (std::size_t i = 1; i < rank; ++i)
    if (i != c) out.push_back(v[i]);
  return out;
}

}  // namespace nn

namespace {

template <class T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
    T sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    if (log) {
      const T ls = std::log(sum);
      for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) / sum;
    }
  }
}

void softmax_common(KernelContext& ctx, bool log) {
  const Tensor& in = ctx.input(0);
  if (in.shape.empty()) ctx.fail("logits must have rank >= 1");
  const Tensor x = nn::widen(in);
  Tensor y = make_tensor(x.dtype, x.shape);
  const int64_t n = x.shape.back();
  const int64_t rows = n == 0 ? 0 : x.num_elements() / n;
  nn::dispatch_float(ctx, in.dtype, [&](auto v) {
    using T = decltype(v);
    softmax_rows(values<T>(x).data(), values<T>(y).data(), rows, n, log);
  });
  ctx.set_output(0, nn::narrow(std::move(y), in.dtype));
}

void softmax(KernelContext& ctx) { softmax_common(ctx, false); }
void log_softmax(KernelContext& ctx) { softmax_common(ctx, true); }

void l2_loss(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor x = nn::widen(in);
  Tensor y = make_tensor(x.dtype, {});
  nn::dispatch_float(ctx, in.dtype, [&](auto v) {
    using T = decltype(v);
    double sum = 0;
    for (T e : values<T>(x)) sum += static_cast<double>(e) * e;
    values<T>(y)[0] = static_cast<T>(sum / 2);
  });
  ctx.set_output(0, nn::narrow(std::move(y), in.dtype));
}

}  // namespace

void register_nn(KernelTable& table) {
  register_nn_conv(table);
  register_nn_matmul(table);
  register_nn_pool(table);
  register_nn_norm(table);
  register_nn_fused(table);
  table["Softmax"] = {softmax};
  table["LogSoftmax"] = {log_softmax};
  table["L2Loss"] = {l2_loss};
}

}  // namespace tfprod::eval
