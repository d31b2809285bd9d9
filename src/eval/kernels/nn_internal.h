// Shared pieces of the nn and image families: sub-family registrations,
// float dispatch (half/bfloat16 widened to float32), data formats, and TF's
// windowed-output geometry.
//
// Window geometry (TF's GetWindowedOutputSize), effective kernel
// ek = (k - 1) * dilation + 1:
//   VALID:    out = ceil((in - ek + 1) / stride),  pad_before = 0
//   SAME:     out = ceil(in / stride),  pad_total = max(0, (out - 1) * stride + ek - in),
//             pad_before = pad_total / 2 (the extra pixel goes after)
//   EXPLICIT: out = (in + before + after - ek) / stride + 1
#pragma once

#include <string>
#include <vector>

#include "eval/kernel.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

void register_nn_conv(KernelTable& table);    // Conv2D, Conv3D, DepthwiseConv2dNative, Conv2DBackpropInput
void register_nn_matmul(KernelTable& table);  // MatMul, BatchMatMul*, BiasAdd*
void register_nn_pool(KernelTable& table);    // MaxPool*, AvgPool*
void register_nn_norm(KernelTable& table);    // FusedBatchNorm*, BatchNormWithGlobalNormalization, LRN
void register_nn_fused(KernelTable& table);   // FusedPadConv2D, FusedResizeAndPadConv2D

namespace nn {

// Calls f(float{}) or f(double{}) for a floating dtype (half and bfloat16 run
// as float); fails for others.
template <class F>
void dispatch_float(const KernelContext& ctx, DataType dtype, F&& f) {
  if (dtype == tfprod::tf::DT_DOUBLE)
    f(double{});
  else if (dtype == tfprod::tf::DT_FLOAT || is_reduced_float(dtype))
    f(float{});
  else
    ctx.fail("dtype {} is not supported", dtype_name(dtype));
}

// Widens half/bf16 to float32 (a copy otherwise); narrows back to `dtype`.
inline Tensor widen(const Tensor& t) { return to_float32(t); }
// `t` itself, or its float32 widening held in `storage` (no copy for float/double).
inline const Tensor& widen_ref(const Tensor& t, Tensor& storage) {
  if (!is_reduced_float(t.dtype)) return t;
  storage = to_float32(t);
  return storage;
}
inline Tensor narrow(Tensor t, DataType dtype) {
  return is_reduced_float(dtype) ? from_float32(t, dtype) : t;
}

// Row-major C[m, n] = op(A) * op(B), op(X) = transpose ? X^T : X, with row
// strides lda, ldb, ldc (nn_gemm.cc: Eigen, AVX2 + FMA when the CPU has it).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
          float* c, int64_t ldc);
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
          int64_t ldb, double* c, int64_t ldc);

// "NHWC"/"NDHWC"/"NWC" (channels last) or "NCHW"/"NCDHW" (channels first).
bool channels_first(const KernelContext& ctx, const std::string& fallback = "NHWC");

// Moves axis 1 to the end ([N,C,...] -> [N,...,C]) or back, for any dtype.
Tensor to_channels_last(const Tensor& t);
Tensor to_channels_first(const Tensor& t);

enum class Padding { kValid, kSame, kExplicit };
Padding padding_attr(const KernelContext& ctx);

struct Window {
  int64_t in = 1, k = 1, stride = 1, dilation = 1;
  int64_t out = 1, pad_before = 0;
};
// Fills w.out and w.pad_before; fails on a window that does not fit.
void compute_window(const KernelContext& ctx, Window& w, Padding p, int64_t explicit_before = 0,
                    int64_t explicit_after = 0);

// A per-dimension attr (strides, ksize, dilations) given in the data format's
// order, returned for the spatial dimensions only (rank - 2 of them);
// the batch and channel entries must be 1.
std::vector<int64_t> spatial_attr(const KernelContext& ctx, const std::vector<int64_t>& v, std::size_t rank,
                                  bool first, const char* name);

}  // namespace nn
}  // namespace tfprod::eval
