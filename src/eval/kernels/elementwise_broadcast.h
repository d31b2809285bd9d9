// Numpy-style broadcasting shared by the element-wise and reduction kernels.
// A Broadcast describes the output shape of several operands and a walk over
// it: adjacent dims that broadcast alike are merged, so the common cases
// (same shape, a scalar operand, a trailing bias vector) become one or a few
// long contiguous runs whose per-operand step is 1 or 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tfprod/tensor.h"

namespace tfprod::eval {

struct Broadcast {
  Shape out_shape;                   // the broadcast shape
  int64_t out_size = 0;              // its element count
  Shape dims;                        // merged dims, outermost first (never empty)
  std::vector<Shape> strides;        // per operand, per merged dim (0 = repeated)
  int64_t inner_stride(std::size_t operand) const { return strides[operand].back(); }
};

// Fills `b` for the operand shapes; on incompatible shapes returns the message
// "shapes [2,3] and [4] cannot be broadcast".
std::optional<std::string> plan_broadcast(const std::vector<Shape>& shapes, Broadcast* b);

// Calls f(offsets, out_offset, n) for each contiguous run of the output:
// offsets[k] is operand k's element offset at the run's start; inside the run
// operand k advances by b.inner_stride(k) (0 or 1) per element.
template <class F>
void for_each_run(const Broadcast& b, F&& f) {
  if (b.out_size == 0) return;
  const std::size_t n_ops = b.strides.size();
  const std::size_t rank = b.dims.size();
  const int64_t inner = b.dims.back();
  std::vector<int64_t> offsets(n_ops, 0), index(rank, 0);
  for (int64_t out = 0; out < b.out_size; out += inner) {
    f(offsets.data(), out, inner);
    // Advance the outer index (all dims but the last), odometer style.
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < b.dims[d]) {
        for (std::size_t k = 0; k < n_ops; ++k) offsets[k] += b.strides[k][d];
        break;
      }
      index[d] = 0;
      for (std::size_t k = 0; k < n_ops; ++k) offsets[k] -= b.strides[k][d] * (b.dims[d] - 1);
    }
  }
}

// out[i] = op(a[i], b[i]) over the broadcast of two operands.
template <class A, class B, class O, class Op>
void binary_apply(const Broadcast& bc, const A* a, const B* b, O* out, Op op) {
  const bool sa = bc.inner_stride(0) != 0, sb = bc.inner_stride(1) != 0;
  for_each_run(bc, [&](const int64_t* off, int64_t o, int64_t n) {
    const A* pa = a + off[0];
    const B* pb = b + off[1];
    O* po = out + o;
    if (sa && sb) {
      for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], pb[i]);
    } else if (sb) {
      const A va = *pa;
      for (int64_t i = 0; i < n; ++i) po[i] = op(va, pb[i]);
    } else if (sa) {
      const B vb = *pb;
      for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], vb);
    } else {
      const O v = op(*pa, *pb);
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

}  // namespace tfprod::eval
