// Matrix products and bias addition.
//   MatMul:        C[m, n] = sum_k A'[m, k] B'[k, n], A' = transpose_a ? A^T : A (same for B)
//   BatchMatMul(V2, V3): the same per batch over [..., M, K] x [..., K, N], with
//                  adj_x / adj_y (transpose; the dtypes here are real). V1 needs
//                  equal batch dims; V2 and V3 broadcast them NumPy-style.
//   BiasAdd:       y[..., c] = x[..., c] + b[c] (NHWC), y[n, c, ...] = x[n, c, ...] + b[c] (NCHW)
//   BiasAddV1:     always the last dimension.
// Half and bfloat16 are widened to float32; products use Eigen's GEMM.
#include <Eigen/Dense>
#include <algorithm>
#include <type_traits>

#include "eval/kernels/nn_internal.h"

namespace tfprod::eval {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// f(T{}) for the dtypes products support (after widening).
template <class F>
void dispatch_gemm(const KernelContext& ctx, DataType dtype, F&& f) {
  switch (dtype) {
    case tfprod::tf::DT_FLOAT: case tfprod::tf::DT_HALF: case tfprod::tf::DT_BFLOAT16: f(float{}); break;
    case tfprod::tf::DT_DOUBLE: f(double{}); break;
    case tfprod::tf::DT_INT32: f(int32_t{}); break;
    case tfprod::tf::DT_INT64: f(int64_t{}); break;
    default: ctx.fail("dtype {} is not supported", dtype_name(dtype));
  }
}

// c = op(a) * op(b); a is stored [ar, ac], b [br, bc] (row-major).
template <class T>
void gemm(const T* a, int64_t ar, int64_t ac, bool ta, const T* b, int64_t br, int64_t bc, bool tb, T* c) {
  const int64_t m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  if constexpr (std::is_floating_point_v<T>) {
    nn::gemm(ta, tb, m, n, k, a, ac, b, bc, c, n);
  } else {
    Eigen::Map<const RowMat<T>> am(a, ar, ac);
    Eigen::Map<const RowMat<T>> bm(b, br, bc);
    Eigen::Map<RowMat<T>> cm(c, m, n);
    if (!ta && !tb) cm.noalias() = am * bm;
    else if (ta && !tb) cm.noalias() = am.transpose() * bm;
    else if (!ta && tb) cm.noalias() = am * bm.transpose();
    else cm.noalias() = am.transpose() * bm.transpose();
  }
}

void matmul(KernelContext& ctx) {
  const Tensor& ain = ctx.input(0);
  const Tensor& bin = ctx.input(1);
  if (ain.shape.size() != 2 || bin.shape.size() != 2)
    ctx.fail("inputs must be matrices, got {} and {}", shape_string(ain.shape), shape_string(bin.shape));
  if (ain.dtype != bin.dtype) ctx.fail("inputs differ in dtype: {} and {}", dtype_name(ain.dtype), dtype_name(bin.dtype));
  const bool ta = ctx.attr_bool("transpose_a", false), tb = ctx.attr_bool("transpose_b", false);
  const int64_t m = ta ? ain.shape[1] : ain.shape[0], k = ta ? ain.shape[0] : ain.shape[1];
  const int64_t kb = tb ? bin.shape[1] : bin.shape[0], n = tb ? bin.shape[0] : bin.shape[1];
  if (k != kb) ctx.fail("inner dimensions differ: {} and {} (shapes {}, {})", k, kb, shape_string(ain.shape), shape_string(bin.shape));
  Tensor as, bs;
  const Tensor &a = nn::widen_ref(ain, as), &b = nn::widen_ref(bin, bs);
  Tensor c = make_tensor(a.dtype, {m, n});
  dispatch_gemm(ctx, ain.dtype, [&](auto v) {
    using T = decltype(v);
    gemm<T>(values<T>(a).data(), a.shape[0], a.shape[1], ta, values<T>(b).data(), b.shape[0], b.shape[1], tb,
            values<T>(c).data());
  });
  ctx.set_output(0, nn::narrow(std::move(c), ain.dtype));
}

void batch_matmul(KernelContext& ctx, bool broadcast) {
  const Tensor& xin = ctx.input(0);
  const Tensor& yin = ctx.input(1);
  const std::size_t rx = xin.shape.size(), ry = yin.shape.size();
  if (rx < 2 || ry < 2) ctx.fail("inputs must have rank >= 2, got {} and {}", shape_string(xin.shape), shape_string(yin.shape));
  if (xin.dtype != yin.dtype) ctx.fail("inputs differ in dtype: {} and {}", dtype_name(xin.dtype), dtype_name(yin.dtype));
  const bool ax = ctx.attr_bool("adj_x", false), ay = ctx.attr_bool("adj_y", false);
  const int64_t xr = xin.shape[rx - 2], xc = xin.shape[rx - 1], yr = yin.shape[ry - 2], yc = yin.shape[ry - 1];
  const int64_t m = ax ? xc : xr, k = ax ? xr : xc, kb = ay ? yc : yr, n = ay ? yr : yc;
  if (k != kb) ctx.fail("inner dimensions differ: {} and {} (shapes {}, {})", k, kb, shape_string(xin.shape), shape_string(yin.shape));
  // Broadcast batch dims, aligned right.
  const std::size_t rb = std::max(rx, ry) - 2;
  Shape batch(rb), xb(rb, 1), yb(rb, 1);
  for (std::size_t i = 0; i + 2 < rx; ++i) xb[rb - (rx - 2) + i] = xin.shape[i];
  for (std::size_t i = 0; i + 2 < ry; ++i) yb[rb - (ry - 2) + i] = yin.shape[i];
  for (std::size_t i = 0; i < rb; ++i) {
    if (xb[i] != yb[i] && (!broadcast || (xb[i] != 1 && yb[i] != 1)))
      ctx.fail("batch dimensions of {} and {} do not {}", shape_string(xin.shape), shape_string(yin.shape),
               broadcast ? "broadcast" : "match");
    batch[i] = xb[i] == 1 ? yb[i] : xb[i];
  }
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor xs_, ys_;
  const Tensor &x = nn::widen_ref(xin, xs_), &y = nn::widen_ref(yin, ys_);
  const DataType out_dtype = ctx.attr_type("Tout", xin.dtype);
  if (out_dtype != xin.dtype) ctx.unsupported_attr("Tout", dtype_name(out_dtype));
  Tensor z = make_tensor(x.dtype, out_shape);
  const int64_t nb = num_elements(batch);
  const Shape xs = strides_of(xb), ys = strides_of(yb);
  dispatch_gemm(ctx, xin.dtype, [&](auto v) {
    using T = decltype(v);
    const T* xp = values<T>(x).data();
    const T* yp = values<T>(y).data();
    T* zp = values<T>(z).data();
    for (int64_t b = 0; b < nb; ++b) {
      int64_t xo = 0, yo = 0, rest = b;
      for (std::size_t i = rb; i-- > 0;) {
        const int64_t idx = rest % batch[i];
        rest /= batch[i];
        if (xb[i] != 1) xo += idx * xs[i];
        if (yb[i] != 1) yo += idx * ys[i];
      }
      gemm<T>(xp + xo * xr * xc, xr, xc, ax, yp + yo * yr * yc, yr, yc, ay, zp + b * m * n);
    }
  });
  ctx.set_output(0, nn::narrow(std::move(z), xin.dtype));
}

void batch_matmul_v1(KernelContext& ctx) { batch_matmul(ctx, false); }
void batch_matmul_v2(KernelContext& ctx) { batch_matmul(ctx, true); }

void bias_add_common(KernelContext& ctx, bool v1) {
  const Tensor& xin = ctx.input(0);
  const Tensor& bin = ctx.input(1);
  if (xin.shape.size() < 2) ctx.fail("input must have rank >= 2, got {}", shape_string(xin.shape));
  if (bin.shape.size() != 1) ctx.fail("bias must be 1-D, got {}", shape_string(bin.shape));
  const bool first = !v1 && nn::channels_first(ctx);
  const std::size_t cdim = first ? 1 : xin.shape.size() - 1;
  const int64_t c = xin.shape[cdim];
  if (bin.shape[0] != c) ctx.fail("bias length {} does not match dimension {} of input {}", bin.shape[0], cdim, shape_string(xin.shape));
  int64_t inner = 1;
  for (std::size_t i = cdim + 1; i < xin.shape.size(); ++i) inner *= xin.shape[i];
  const Tensor x = nn::widen(xin), b = nn::widen(bin);
  Tensor y = make_tensor(x.dtype, x.shape);
  const bool ok = dispatch_numeric(x.dtype, [&](auto v) {
    using T = decltype(v);
    const T* xp = values<T>(x).data();
    const T* bp = values<T>(b).data();
    T* yp = values<T>(y).data();
    const int64_t total = x.num_elements();
    if (inner == 1) {
      for (int64_t i = 0; i < total; i += c)
        for (int64_t j = 0; j < c; ++j) yp[i + j] = static_cast<T>(xp[i + j] + bp[j]);
    } else {
      for (int64_t i = 0; i < total; i += c * inner)
        for (int64_t j = 0; j < c; ++j)
          for (int64_t e = 0; e < inner; ++e) {
            const int64_t at = i + j * inner + e;
            yp[at] = static_cast<T>(xp[at] + bp[j]);
          }
    }
  });
  if (!ok) ctx.fail("dtype {} is not supported", dtype_name(xin.dtype));
  ctx.set_output(0, nn::narrow(std::move(y), xin.dtype));
}

void bias_add(KernelContext& ctx) { bias_add_common(ctx, false); }
void bias_add_v1(KernelContext& ctx) { bias_add_common(ctx, true); }

}  // namespace

void register_nn_matmul(KernelTable& t) {
  t["MatMul"] = {matmul};
  t["BatchMatMul"] = {batch_matmul_v1};
  t["BatchMatMulV2"] = {batch_matmul_v2};
  t["BatchMatMulV3"] = {batch_matmul_v2};
  t["BiasAdd"] = {bias_add};
  t["BiasAddV1"] = {bias_add_v1};
}

}  // namespace tfprod::eval
