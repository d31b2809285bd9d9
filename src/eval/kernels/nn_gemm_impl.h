// The Eigen GEMM behind nn::gemm, included by nn_gemm.cc (baseline ISA) and
// nn_gemm_avx2.cc (built with AVX2 + FMA, with the Eigen namespace renamed by
// a macro so that none of its template instantiations can be shared with, or
// replace, the baseline ones at link time). Everything here has internal
// linkage.
//   C[m, n] = op(A)[m, k] * op(B)[k, n], op(X) = X or X^T; all row-major with
//   row strides lda, ldb, ldc.
#pragma once

#include <Eigen/Dense>
#include <cstdint>

namespace {

template <class T>
void gemm_eigen(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
                T* c, int64_t ldc) {
  using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
  ConstMap am(a, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(lda));
  ConstMap bm(b, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(ldb));
  Eigen::Map<RowMat, 0, Eigen::OuterStride<>> cm(c, m, n, Eigen::OuterStride<>(ldc));
  if (!ta && !tb) cm.noalias() = am * bm;
  else if (ta && !tb) cm.noalias() = am.transpose() * bm;
  else if (!ta && tb) cm.noalias() = am * bm.transpose();
  else cm.noalias() = am.transpose() * bm.transpose();
}

}  // namespace
