// nn::gemm: row-major C = op(A) * op(B) through Eigen (nn_gemm_impl.h),
// single-threaded. Where the build adds nn_gemm_avx2.cc (x86-64 with GCC or
// Clang) and the CPU has AVX2 and FMA, float products run through that copy.
#include "eval/kernels/nn_gemm_impl.h"
#include "eval/kernels/nn_internal.h"

namespace tfprod::eval::nn {

#ifdef TFPROD_GEMM_AVX2
void gemm_f32_avx2(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                   int64_t ldb, float* c, int64_t ldc);
namespace {
bool cpu_has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
}
}  // namespace
#endif

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
          float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
#ifdef TFPROD_GEMM_AVX2
  if (cpu_has_avx2()) return gemm_f32_avx2(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
#endif
  gemm_eigen<float>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
          int64_t ldb, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  gemm_eigen<double>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
}

}  // namespace tfprod::eval::nn
