// nn::gemm's float path built for AVX2 + FMA (see nn_gemm_impl.h); called
// only after a runtime CPU check in nn_gemm.cc. Eigen is renamed here so its
// AVX2 instantiations stay private to this file.
#define Eigen tfprod_eigen_avx2
#include "eval/kernels/nn_gemm_impl.h"
#undef Eigen

namespace tfprod::eval::nn {

void gemm_f32_avx2(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                   int64_t ldb, float* c, int64_t ldc) {
  gemm_eigen<float>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
}

}  // namespace tfprod::eval::nn
