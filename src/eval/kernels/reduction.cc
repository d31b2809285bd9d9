// Family: reductions. Sum, Mean, Prod, Max, Min, All, Any over the axes of
// input 1 (negative axes allowed, duplicates rejected as TF does, keep_dims),
// and ArgMax/ArgMin. Floating sums and products accumulate in double; integer
// ones wrap like TF's; integer Mean divides with truncation (int8..int32 summed
// in int64 as TF does). Reducing an empty dim gives TF's identities (0, 1,
// -inf/lowest, +inf/highest, NaN for a float Mean, 0 for an integer Mean).
// Max and Min propagate NaN.
#include <cmath>
#include <limits>
#include <type_traits>

#include "eval/kernel.h"
#include "eval/kernels/elementwise_broadcast.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

// Accumulator type: double for floats, uint64 (wrapping) for integers.
template <class T>
using Wide = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

struct SumR {
  template <class T>
  using Acc = Wide<T>;
  template <class T>
  static Acc<T> init() { return 0; }
  template <class T>
  static void add(Acc<T>& a, T x) { a += static_cast<Acc<T>>(x); }
  template <class T>
  static T finish(Acc<T> a, int64_t) { return static_cast<T>(a); }
};
struct MeanR : SumR {
  template <class T>
  static T finish(Wide<T> a, int64_t count) {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(a / static_cast<double>(count));  // 0/0 = NaN
    } else if (count == 0) {
      return 0;
    } else if constexpr (std::is_signed_v<T>) {
      return static_cast<T>(static_cast<int64_t>(a) / count);
    } else {
      return static_cast<T>(a / static_cast<uint64_t>(count));
    }
  }
};
struct ProdR : SumR {
  template <class T>
  static Wide<T> init() { return 1; }
  template <class T>
  static void add(Wide<T>& a, T x) { a *= static_cast<Wide<T>>(x); }
};
struct MaxR {
  template <class T>
  using Acc = T;
  template <class T>
  static T init() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::lowest();
  }
  template <class T>
  static void add(T& a, T x) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) a = x;
    if (a < x) a = x;
  }
  template <class T>
  static T finish(T a, int64_t) { return a; }
};
struct MinR : MaxR {
  template <class T>
  static T init() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::max();
  }
  template <class T>
  static void add(T& a, T x) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) a = x;
    if (x < a) a = x;
  }
};
// All / Any on bool (uint8) data.
struct AllR : MaxR {
  template <class T>
  static T init() { return 1; }
  template <class T>
  static void add(T& a, T x) { a = a && x; }
};
struct AnyR : MaxR {
  template <class T>
  static T init() { return 0; }
  template <class T>
  static void add(T& a, T x) { a = a || x; }
};

// The reduction geometry: which dims go, the output shape, and a walk over
// the input that pairs every element with its accumulator.
struct Reduction {
  Shape out_shape;
  Broadcast walk;  // operand 0 = input, operand 1 = accumulators
  int64_t out_size = 0;
  int64_t count = 0;  // input elements per output element
};

Reduction plan_reduction(KernelContext& ctx, const Shape& in_shape) {
  const int64_t rank = static_cast<int64_t>(in_shape.size());
  std::vector<bool> reduced(in_shape.size(), false);
  for (int64_t axis : as_ints(ctx.input(1))) {
    const int64_t given = axis;
    if (!normalize_axis(&axis, rank))
      ctx.fail("Invalid reduction dimension ({} for input with {} dimension(s))", given, rank);
    if (reduced[axis]) ctx.fail("Invalid reduction arguments: Axes contains duplicate dimension: {}", axis);
    reduced[axis] = true;
  }
  const bool keep = ctx.attr_bool("keep_dims", ctx.attr_bool("keepdims", false));
  Reduction r;
  Shape acc_shape;
  r.count = 1;
  for (std::size_t d = 0; d < in_shape.size(); ++d) {
    acc_shape.push_back(reduced[d] ? 1 : in_shape[d]);
    if (reduced[d]) r.count *= in_shape[d];
    if (!reduced[d] || keep) r.out_shape.push_back(acc_shape.back());
  }
  r.out_size = num_elements(acc_shape);
  if (auto error = plan_broadcast({in_shape, acc_shape}, &r.walk)) ctx.fail("{}", *error);
  return r;
}

template <class R, class T>
void reduce_typed(const Reduction& r, const T* in, T* out) {
  using Acc = typename R::template Acc<T>;
  std::vector<Acc> acc(static_cast<std::size_t>(r.out_size), R::template init<T>());
  const bool per_element = r.walk.inner_stride(1) != 0;
  for_each_run(r.walk, [&](const int64_t* off, int64_t, int64_t n) {
    const T* src = in + off[0];
    Acc* a = acc.data() + off[1];
    if (per_element) {
      for (int64_t i = 0; i < n; ++i) R::template add<T>(a[i], src[i]);
    } else {
      Acc v = *a;
      for (int64_t i = 0; i < n; ++i) R::template add<T>(v, src[i]);
      *a = v;
    }
  });
  for (std::size_t i = 0; i < acc.size(); ++i) out[i] = R::template finish<T>(acc[i], r.count);
}

template <class R, bool kBool = false>
void reduce(KernelContext& ctx) {
  const Tensor& x0 = ctx.input(0);
  const DataType dtype = x0.dtype;
  const Reduction r = plan_reduction(ctx, x0.shape);
  if constexpr (kBool) {
    if (dtype != tfprod::tf::DT_BOOL) ctx.fail("expected DT_BOOL, got {}", dtype_name(dtype));
    Tensor out = make_tensor(dtype, r.out_shape);
    reduce_typed<R, uint8_t>(r, values<uint8_t>(x0).data(), values<uint8_t>(out).data());
    ctx.set_output(0, std::move(out));
  } else {
    const bool reduced = is_reduced_float(dtype);
    Tensor widened;
    if (reduced) widened = to_float32(x0);
    const Tensor& x = reduced ? widened : x0;
    Tensor out = make_tensor(x.dtype, r.out_shape);
    if (!dispatch_numeric(x.dtype, [&](auto v) {
          using T = decltype(v);
          reduce_typed<R, T>(r, values<T>(x).data(), values<T>(out).data());
        }))
      ctx.fail("dtype {} is not supported", dtype_name(dtype));
    ctx.set_output(0, reduced ? from_float32(out, dtype) : std::move(out));
  }
}

// First index of the max (min); NaN never wins, as with Eigen's arg reducers
// starting from (0, lowest).
template <bool kMax>
void arg_reduce(KernelContext& ctx) {
  const Tensor& x0 = ctx.input(0);
  const Tensor& axis_t = ctx.input(1);
  if (axis_t.num_elements() != 1) ctx.fail("dimension must be a scalar, got shape {}", shape_string(axis_t.shape));
  const int64_t rank = static_cast<int64_t>(x0.shape.size());
  int64_t axis = element_as_int(axis_t, 0);
  const int64_t given = axis;
  if (!normalize_axis(&axis, rank)) ctx.fail("Expected dimension in the range [{}, {}), but got {}", -rank, rank, given);
  const int64_t n = x0.shape[axis];
  if (n == 0) ctx.fail("Reduction axis {} is empty in shape {}", axis, shape_string(x0.shape));
  Shape out_shape;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis) continue;
    out_shape.push_back(x0.shape[d]);
    (d < axis ? outer : inner) *= x0.shape[d];
  }
  const DataType out_type = ctx.attr_type("output_type", tfprod::tf::DT_INT64);
  if (out_type != tfprod::tf::DT_INT64 && out_type != tfprod::tf::DT_INT32)
    ctx.unsupported_attr("output_type", dtype_name(out_type));
  const bool reduced = is_reduced_float(x0.dtype);
  Tensor widened;
  if (reduced) widened = to_float32(x0);
  if (x0.dtype == tfprod::tf::DT_BOOL) {  // compared as 0 / 1
    widened = x0;
    widened.dtype = tfprod::tf::DT_UINT8;
  }
  const Tensor& x = reduced || x0.dtype == tfprod::tf::DT_BOOL ? widened : x0;
  std::vector<int64_t> index(static_cast<std::size_t>(outer * inner), 0);
  if (!dispatch_numeric(x.dtype, [&](auto v) {
        using T = decltype(v);
        const T* src = values<T>(x).data();
        const T start = kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t i = 0; i < inner; ++i) {
            T best = start;
            int64_t best_k = 0;
            const T* p = src + o * n * inner + i;
            for (int64_t k = 0; k < n; ++k) {
              const T e = p[k * inner];
              if (kMax ? e > best : e < best) {
                best = e;
                best_k = k;
              }
            }
            index[static_cast<std::size_t>(o * inner + i)] = best_k;
          }
        }
      }))
    ctx.fail("dtype {} is not supported", dtype_name(x0.dtype));
  Tensor out = make_tensor(out_type, out_shape);
  if (out_type == tfprod::tf::DT_INT64) {
    auto dst = values<int64_t>(out);
    for (std::size_t i = 0; i < index.size(); ++i) dst[i] = index[i];
  } else {
    auto dst = values<int32_t>(out);
    for (std::size_t i = 0; i < index.size(); ++i) dst[i] = static_cast<int32_t>(index[i]);
  }
  ctx.set_output(0, std::move(out));
}

}  // namespace

void register_reduction(KernelTable& t) {
  t["Sum"] = {reduce<SumR>};
  t["Mean"] = {reduce<MeanR>};
  t["Prod"] = {reduce<ProdR>};
  t["Max"] = {reduce<MaxR>};
  t["Min"] = {reduce<MinR>};
  t["All"] = {reduce<AllR, true>};
  t["Any"] = {reduce<AnyR, true>};
  t["ArgMax"] = {arg_reduce<true>};
  t["ArgMin"] = {arg_reduce<false>};
}

}  // namespace tfprod::eval
