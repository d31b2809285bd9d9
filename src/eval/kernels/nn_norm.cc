// Normalisation ops, computed channels-last in float32 (double stays double).
//
// FusedBatchNorm / V2 / V3 (x, scale, offset, mean, variance), per channel c:
//   y = scale[c] * (x - mu[c]) / sqrt(var[c] + epsilon) + offset[c]
//   is_training = false: mu, var are the mean / variance inputs.
//   is_training = true:  mu = mean of x over N,H,W (R = N*H*W elements) and
//                        var = sum (x - mu)^2 / R (biased). Outputs:
//     1 batch_mean = mu, 2 batch_variance = var * R / (R - 1) (Bessel), or with
//       exponential_avg_factor f != 1: (1 - f) * input + f * that;
//     3 reserve_space_1 = mu, 4 reserve_space_2 = var (biased), 5 (V3) empty.
//   In inference outputs 1..4 carry the mean and variance inputs.
// BatchNormWithGlobalNormalization (t, m, v, beta, gamma), last dimension:
//   y = (t - m) * rsqrt(v + variance_epsilon) * (scale_after_normalization ? gamma : 1) + beta
// LRN (4-D NHWC), r = depth_radius:
//   y[..., d] = x[..., d] / (bias + alpha * sum_{d' = d-r..d+r, in range} x[..., d']^2)^beta
#include <algorithm>
#include <cmath>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

template <class T>
std::vector<double> as_doubles(const Tensor& t) {
  auto v = values<T>(t);
  return {v.begin(), v.end()};
}

std::vector<double> param(const KernelContext& ctx, std::size_t i) {
  const Tensor t = nn::widen(ctx.input(i));
  std::vector<double> out;
  if (t.dtype == tfprod::tf::DT_FLOAT) out = as_doubles<float>(t);
  else if (t.dtype == tfprod::tf::DT_DOUBLE) out = as_doubles<double>(t);
  else ctx.fail("input {} has unsupported dtype {}", i, dtype_name(t.dtype));
  return out;
}

Tensor param_tensor(const std::vector<double>& v, DataType dtype) {
  Tensor t = make_tensor(dtype == tfprod::tf::DT_DOUBLE ? dtype : tfprod::tf::DT_FLOAT, {static_cast<int64_t>(v.size())});
  if (dtype == tfprod::tf::DT_DOUBLE) std::copy(v.begin(), v.end(), values<double>(t).begin());
  else std::transform(v.begin(), v.end(), values<float>(t).begin(), [](double d) { return static_cast<float>(d); });
  return nn::narrow(std::move(t), dtype);
}

void fused_batch_norm(KernelContext& ctx) {
  const Tensor& xin = ctx.input(0);
  const std::size_t rank = xin.shape.size();
  if (rank != 4 && rank != 5) ctx.fail("x must be 4-D or 5-D, got {}", shape_string(xin.shape));
  const bool first = nn::channels_first(ctx, rank == 4 ? "NHWC" : "NDHWC");
  const bool training = ctx.attr_bool("is_training", true);
  const double eps = ctx.attr_float("epsilon", 1e-4f);
  const double factor = ctx.attr_float("exponential_avg_factor", 1.0f);
  const Tensor x = first ? nn::to_channels_last(nn::widen(xin)) : nn::widen(xin);
  const int64_t C = x.shape.back();
  const int64_t R = C == 0 ? 0 : x.num_elements() / C;
  const auto scale = param(ctx, 1), offset = param(ctx, 2);
  auto mean_in = param(ctx, 3), var_in = param(ctx, 4);
  if (static_cast<int64_t>(scale.size()) != C || static_cast<int64_t>(offset.size()) != C)
    ctx.fail("scale and offset must have {} elements", C);
  if (!training && (static_cast<int64_t>(mean_in.size()) != C || static_cast<int64_t>(var_in.size()) != C))
    ctx.fail("mean and variance must have {} elements", C);
  std::vector<double> mu(C, 0.0), var(C, 0.0);
  Tensor y = make_tensor(x.dtype, x.shape);
  nn::dispatch_float(ctx, xin.dtype, [&](auto v) {
    using T = decltype(v);
    const T* xp = values<T>(x).data();
    T* yp = values<T>(y).data();
    if (training) {
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) mu[c] += xp[r * C + c];
      for (int64_t c = 0; c < C; ++c) mu[c] /= static_cast<double>(R);
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) {
          const double d = xp[r * C + c] - mu[c];
          var[c] += d * d;
        }
      for (int64_t c = 0; c < C; ++c) var[c] /= static_cast<double>(R);
    } else {
      mu = mean_in;
      var = var_in;
    }
    std::vector<double> mul(C);
    for (int64_t c = 0; c < C; ++c) mul[c] = scale[c] / std::sqrt(var[c] + eps);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) yp[r * C + c] = static_cast<T>((xp[r * C + c] - mu[c]) * mul[c] + offset[c]);
  });
  if (first) y = nn::to_channels_first(y);
  const DataType u = ctx.input(1).dtype;
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
  std::vector<double> out_mean = mu, out_var = var;
  if (training) {
    const double adjust = R > 1 ? static_cast<double>(R) / static_cast<double>(R - 1) : 1.0;
    for (int64_t c = 0; c < C; ++c) {
      out_var[c] = var[c] * adjust;
      if (factor != 1.0) {
        const double old_m = c < static_cast<int64_t>(mean_in.size()) ? mean_in[c] : 0.0;
        const double old_v = c < static_cast<int64_t>(var_in.size()) ? var_in[c] : 0.0;
        out_mean[c] = (1 - factor) * old_m + factor * out_mean[c];
        out_var[c] = (1 - factor) * old_v + factor * out_var[c];
      }
    }
  }
  ctx.set_output(1, param_tensor(out_mean, u));
  ctx.set_output(2, param_tensor(out_var, u));
  ctx.set_output(3, param_tensor(mu, u));
  ctx.set_output(4, param_tensor(var, u));
  if (ctx.node().op == "FusedBatchNormV3") ctx.set_output(5, make_tensor(u, {0}));
}

void batch_norm_global(KernelContext& ctx) {
  const Tensor& tin = ctx.input(0);
  if (tin.shape.empty()) ctx.fail("input must have rank >= 1");
  const Tensor t = nn::widen(tin);
  const int64_t C = t.shape.back();
  const auto m = param(ctx, 1), v = param(ctx, 2), beta = param(ctx, 3), gamma = param(ctx, 4);
  for (const auto* p : {&m, &v, &beta, &gamma})
    if (static_cast<int64_t>(p->size()) != C) ctx.fail("parameters must have {} elements", C);
  const double eps = ctx.attr_float("variance_epsilon");
  const bool scale_after = ctx.attr_bool("scale_after_normalization", false);
  std::vector<double> mul(C);
  for (int64_t c = 0; c < C; ++c) mul[c] = (scale_after ? gamma[c] : 1.0) / std::sqrt(v[c] + eps);
  Tensor y = make_tensor(t.dtype, t.shape);
  nn::dispatch_float(ctx, tin.dtype, [&](auto z) {
    using T = decltype(z);
    const T* xp = values<T>(t).data();
    T* yp = values<T>(y).data();
    const int64_t n = t.num_elements();
    for (int64_t i = 0; i < n; ++i) yp[i] = static_cast<T>((xp[i] - m[i % C]) * mul[i % C] + beta[i % C]);
  });
  ctx.set_output(0, nn::narrow(std::move(y), tin.dtype));
}

void lrn(KernelContext& ctx) {
  const Tensor& xin = ctx.input(0);
  if (xin.shape.size() != 4) ctx.fail("input must be 4-D, got {}", shape_string(xin.shape));
  const int64_t r = ctx.attr_int("depth_radius", 5);
  const double bias = ctx.attr_float("bias", 1.0f), alpha = ctx.attr_float("alpha", 1.0f),
               beta = ctx.attr_float("beta", 0.5f);
  const Tensor x = nn::widen(xin);
  Tensor y = make_tensor(x.dtype, x.shape);
  const int64_t C = x.shape[3], rows = C == 0 ? 0 : x.num_elements() / C;
  nn::dispatch_float(ctx, xin.dtype, [&](auto z) {
    using T = decltype(z);
    const T* xp = values<T>(x).data();
    T* yp = values<T>(y).data();
    for (int64_t row = 0; row < rows; ++row, xp += C, yp += C)
      for (int64_t d = 0; d < C; ++d) {
        double sum = 0;
        for (int64_t e = std::max<int64_t>(0, d - r); e <= std::min(C - 1, d + r); ++e)
          sum += static_cast<double>(xp[e]) * xp[e];
        yp[d] = static_cast<T>(xp[d] / std::pow(bias + alpha * sum, beta));
      }
  });
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
}

}  // namespace

void register_nn_norm(KernelTable& t) {
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) t[op] = {fused_batch_norm};
  t["BatchNormWithGlobalNormalization"] = {batch_norm_global};
  t["LRN"] = {lrn};
}

}  // namespace tfprod::eval
