// Element-wise ops with more than two operands: Select (TF1 rules: a cond of
// the same shape, a scalar cond, or a vector cond picking rows), SelectV2
// (numpy broadcasting of all three), AddN (left-to-right sum, half rounded
// after each add as TF's Eigen half arithmetic does) and ClipByValue
// (min(x, hi) then max(., lo), so lo wins when lo > hi).
#include <cstring>

#include "eval/half.h"
#include "eval/kernel.h"
#include "eval/kernels/elementwise_broadcast.h"
#include "eval/kernels/elementwise_ops.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

struct Bytes16 {
  uint64_t lo, hi;
};

// Calls f(E{}) with E a trivially copyable type of `size` bytes.
template <class F>
bool dispatch_size(std::size_t size, F&& f) {
  switch (size) {
    case 1: f(uint8_t{}); return true;
    case 2: f(uint16_t{}); return true;
    case 4: f(uint32_t{}); return true;
    case 8: f(uint64_t{}); return true;
    case 16: f(Bytes16{}); return true;
    default: return false;
  }
}

// out = cond ? t : e, with cond read as `cond_shape` and all three broadcast.
void select_broadcast(KernelContext& ctx, const Tensor& cond, const Shape& cond_shape, const Tensor& t, const Tensor& e) {
  if (cond.dtype != tfprod::tf::DT_BOOL) ctx.fail("condition must be DT_BOOL, got {}", dtype_name(cond.dtype));
  if (t.dtype != e.dtype) ctx.fail("operands have different dtypes {} and {}", dtype_name(t.dtype), dtype_name(e.dtype));
  Broadcast bc;
  if (auto error = plan_broadcast({cond_shape, t.shape, e.shape}, &bc)) ctx.fail("{}", *error);
  Tensor out = make_tensor(t.dtype, bc.out_shape);
  const uint8_t* c = values<uint8_t>(cond).data();
  const int64_t sc = bc.inner_stride(0), st = bc.inner_stride(1), se = bc.inner_stride(2);
  auto run = [&](const auto* tp, const auto* ep, auto* op) {
    for_each_run(bc, [&](const int64_t* off, int64_t o, int64_t n) {
      for (int64_t i = 0; i < n; ++i) op[o + i] = c[off[0] + i * sc] ? tp[off[1] + i * st] : ep[off[2] + i * se];
    });
  };
  if (t.dtype == tfprod::tf::DT_STRING) {
    run(t.strings.data(), e.strings.data(), out.strings.data());
  } else if (!dispatch_size(dtype_size(t.dtype), [&](auto v) {
               using E = decltype(v);
               run(reinterpret_cast<const E*>(t.data.data()), reinterpret_cast<const E*>(e.data.data()),
                   reinterpret_cast<E*>(out.data.data()));
             })) {
    ctx.fail("dtype {} is not supported", dtype_name(t.dtype));
  }
  ctx.set_output(0, std::move(out));
}

void select_v1(KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& t = ctx.input(1);
  const Tensor& e = ctx.input(2);
  if (t.shape != e.shape)
    ctx.fail("'then' and 'else' must have the same shape, got {} and {}", shape_string(t.shape), shape_string(e.shape));
  Shape cond_shape = cond.shape;
  if (cond.shape.size() == 1 && t.shape.size() > 1) {
    if (cond.shape[0] != t.shape[0])
      ctx.fail("a vector condition must have as many elements as 'then' has rows: {} vs {}", shape_string(cond.shape),
               shape_string(t.shape));
    cond_shape.resize(t.shape.size(), 1);  // [n] -> [n,1,...,1]
  } else if (!cond.shape.empty() && cond.shape != t.shape) {
    ctx.fail("condition shape {} must be a scalar, the shape of 'then' {}, or its first dim", shape_string(cond.shape),
             shape_string(t.shape));
  }
  select_broadcast(ctx, cond, cond_shape, t, e);
}

void select_v2(KernelContext& ctx) { select_broadcast(ctx, ctx.input(0), ctx.input(0).shape, ctx.input(1), ctx.input(2)); }

void add_n(KernelContext& ctx) {
  const std::size_t n = ctx.num_inputs();
  if (n == 0) ctx.fail("needs at least one input");
  const Tensor& first = ctx.input(0);
  for (std::size_t i = 1; i < n; ++i) {
    const Tensor& in = ctx.input(i);
    if (in.dtype != first.dtype || in.shape != first.shape)
      ctx.fail("input {} is {} {}, input 0 is {} {}", i, dtype_name(in.dtype), shape_string(in.shape),
               dtype_name(first.dtype), shape_string(first.shape));
  }
  const DataType dtype = first.dtype;
  if (is_reduced_float(dtype)) {
    const bool half = dtype == tfprod::tf::DT_HALF;
    auto round = [&](float v) { return half ? half_to_float(float_to_half(v)) : bfloat16_to_float(float_to_bfloat16(v)); };
    Tensor acc = to_float32(first);
    auto dst = values<float>(acc);
    for (std::size_t i = 1; i < n; ++i) {
      Tensor w = to_float32(ctx.input(i));
      auto src = values<float>(w);
      for (std::size_t j = 0; j < dst.size(); ++j) dst[j] = round(dst[j] + src[j]);
    }
    ctx.set_output(0, from_float32(acc, dtype));
    return;
  }
  Tensor out = first;
  if (!dispatch_numeric(dtype, [&](auto v) {
        using T = decltype(v);
        auto dst = values<T>(out);
        for (std::size_t i = 1; i < n; ++i) {
          auto src = values<T>(ctx.input(i));
          for (std::size_t j = 0; j < dst.size(); ++j) dst[j] = wrap_add(dst[j], src[j]);
        }
      }))
    ctx.fail("dtype {} is not supported", dtype_name(dtype));
  ctx.set_output(0, std::move(out));
}

void clip_by_value(KernelContext& ctx) {
  const Tensor& x0 = ctx.input(0);
  const Tensor& lo0 = ctx.input(1);
  const Tensor& hi0 = ctx.input(2);
  const DataType dtype = x0.dtype;
  if (lo0.dtype != dtype || hi0.dtype != dtype)
    ctx.fail("clip bounds must be {}, got {} and {}", dtype_name(dtype), dtype_name(lo0.dtype), dtype_name(hi0.dtype));
  Broadcast bc;
  if (auto error = plan_broadcast({x0.shape, lo0.shape, hi0.shape}, &bc)) ctx.fail("{}", *error);
  const bool reduced = is_reduced_float(dtype);
  Tensor x = reduced ? to_float32(x0) : Tensor{};
  Tensor lo = reduced ? to_float32(lo0) : Tensor{};
  Tensor hi = reduced ? to_float32(hi0) : Tensor{};
  const Tensor& px = reduced ? x : x0;
  const Tensor& plo = reduced ? lo : lo0;
  const Tensor& phi = reduced ? hi : hi0;
  Tensor out = make_tensor(px.dtype, bc.out_shape);
  if (!dispatch_numeric(px.dtype, [&](auto v) {
        using T = decltype(v);
        const T* a = values<T>(px).data();
        const T* l = values<T>(plo).data();
        const T* h = values<T>(phi).data();
        T* o = values<T>(out).data();
        const int64_t sa = bc.inner_stride(0), sl = bc.inner_stride(1), sh = bc.inner_stride(2);
        for_each_run(bc, [&](const int64_t* off, int64_t start, int64_t n) {
          for (int64_t i = 0; i < n; ++i) {
            const T xv = a[off[0] + i * sa], lv = l[off[1] + i * sl], hv = h[off[2] + i * sh];
            const T r = hv < xv ? hv : xv;
            o[start + i] = r < lv ? lv : r;
          }
        });
      }))
    ctx.fail("dtype {} is not supported", dtype_name(dtype));
  ctx.set_output(0, reduced ? from_float32(out, dtype) : std::move(out));
}

}  // namespace

void register_elementwise_select(KernelTable& t) {
  t["Select"] = {select_v1};
  t["SelectV2"] = {select_v2};
  t["AddN"] = {add_n};
  t["ClipByValue"] = {clip_by_value};
}

}  // namespace tfprod::eval
