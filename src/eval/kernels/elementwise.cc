// Family: element-wise binary ops. Every op is a scalar functor run by one
// broadcasting loop (elementwise_broadcast.h): arithmetic (Add .. Pow, with
// TF's integer semantics: truncating Div, flooring FloorDiv/FloorMod, errors on
// integer division by zero and negative integer powers, wrap-around on
// overflow), comparisons to DT_BOOL, and LogicalAnd/Or. Half and bfloat16 are
// computed in float32. Select, SelectV2, AddN and ClipByValue live in
// elementwise_select.cc.
#include <cmath>
#include <limits>
#include <type_traits>

#include "eval/kernel.h"
#include "eval/kernels/elementwise_broadcast.h"
#include "eval/kernels/elementwise_ops.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

// Which operand types an op takes, and whether it yields DT_BOOL.
struct Numeric {
  template <class T>
  static constexpr bool accepts = true;
  static constexpr bool kCompare = false, kBool = false, kString = false;
  template <class T>
  static const char* check_rhs(T) { return nullptr; }
};
struct FloatOnly : Numeric {
  template <class T>
  static constexpr bool accepts = std::is_floating_point_v<T>;
};
struct Compare : Numeric {
  static constexpr bool kCompare = true;
};
struct Logical : Numeric {
  template <class T>
  static constexpr bool accepts = false;
  static constexpr bool kCompare = true, kBool = true;
};
// Integer division and modulus reject a zero divisor, as TF does.
struct SafeDivision : Numeric {
  template <class T>
  static const char* check_rhs(T y) {
    if constexpr (std::is_integral_v<T>) return y == 0 ? "Integer division by zero" : nullptr;
    return nullptr;
  }
};

struct Add : Numeric {
  static constexpr bool kString = true;
  template <class T>
  T operator()(const T& a, const T& b) const {
    if constexpr (std::is_same_v<T, std::string>) return a + b;
    else return wrap_add(a, b);
  }
};
struct Sub : Numeric {
  template <class T>
  T operator()(T a, T b) const { return wrap_sub(a, b); }
};
struct Mul : Numeric {
  template <class T>
  T operator()(T a, T b) const { return wrap_mul(a, b); }
};
struct RealDiv : FloatOnly {
  template <class T>
  T operator()(T a, T b) const { return a / b; }
};
// Div and TruncateDiv: true division for floats, truncation for integers.
struct TruncDiv : SafeDivision {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return a / b;
    else if (std::is_signed_v<T> && b == T(-1)) return wrap_neg(a);  // no trap on MIN / -1
    else return static_cast<T>(a / b);
  }
};
struct TruncateDivOp : TruncDiv {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::trunc(a / b);
    else return TruncDiv::operator()(a, b);
  }
};
struct FloorDiv : SafeDivision {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::floor(a / b);
    } else if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(a / b);
    } else {
      if (b == T(-1)) return wrap_neg(a);
      const T z = static_cast<T>(a / b);
      return (z * b != a && ((a < 0) != (b < 0))) ? static_cast<T>(z - 1) : z;
    }
  }
};
struct FloorMod : SafeDivision {
  template <class T>
  T operator()(T a, T b) const {
    T r;
    if constexpr (std::is_floating_point_v<T>) {
      r = std::fmod(a, b);
    } else {
      if (std::is_signed_v<T> && b == T(-1)) return 0;
      r = static_cast<T>(a % b);
    }
    return (r != 0 && ((b < 0) != (r < 0))) ? static_cast<T>(r + b) : r;
  }
};
// TruncateMod / Mod: the remainder has the sign of the dividend.
struct TruncMod : SafeDivision {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else if (std::is_signed_v<T> && b == T(-1)) return 0;
    else return static_cast<T>(a % b);
  }
};
// Maximum and Minimum propagate NaN (TF uses Eigen's PropagateNaN).
struct Maximum : Numeric {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a > b ? a : b;
  }
};
struct Minimum : Numeric {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? a : b;
  }
};
struct SquaredDifference : Numeric {
  template <class T>
  T operator()(T a, T b) const {
    const T d = wrap_sub(a, b);
    return wrap_mul(d, d);
  }
};
struct Pow : Numeric {
  template <class T>
  static const char* check_rhs(T y) {
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
      return y < 0 ? "Integers to negative integer powers are not allowed" : nullptr;
    return nullptr;
  }
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {
      T result = 1;
      for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
        if (e & 1) result = wrap_mul(result, a);
        a = wrap_mul(a, a);
      }
      return result;
    }
  }
};
struct DivNoNan : FloatOnly {
  template <class T>
  T operator()(T a, T b) const { return b == T(0) ? T(0) : a / b; }
};
struct MulNoNan : FloatOnly {
  template <class T>
  T operator()(T a, T b) const { return b == T(0) ? T(0) : a * b; }
};

struct Greater : Compare {
  template <class T>
  bool operator()(T a, T b) const { return a > b; }
};
struct GreaterEqual : Compare {
  template <class T>
  bool operator()(T a, T b) const { return a >= b; }
};
struct Less : Compare {
  template <class T>
  bool operator()(T a, T b) const { return a < b; }
};
struct LessEqual : Compare {
  template <class T>
  bool operator()(T a, T b) const { return a <= b; }
};
struct Equal : Compare {
  static constexpr bool kBool = true, kString = true;
  template <class T>
  bool operator()(const T& a, const T& b) const { return a == b; }
};
struct NotEqual : Compare {
  static constexpr bool kBool = true, kString = true;
  template <class T>
  bool operator()(const T& a, const T& b) const { return a != b; }
};
struct LogicalAnd : Logical {
  bool operator()(uint8_t a, uint8_t b) const { return a != 0 && b != 0; }
};
struct LogicalOr : Logical {
  bool operator()(uint8_t a, uint8_t b) const { return a != 0 || b != 0; }
};

template <class Op>
void binary(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  if (x.dtype != y.dtype) ctx.fail("operands have different dtypes {} and {}", dtype_name(x.dtype), dtype_name(y.dtype));
  Broadcast bc;
  if (auto error = plan_broadcast({x.shape, y.shape}, &bc)) {
    // Equal / NotEqual with incompatible_shape_error = false: a scalar answer.
    if constexpr (Op::kString && Op::kCompare) {
      if (!ctx.attr_bool("incompatible_shape_error", true)) {
        Tensor out = make_tensor(tfprod::tf::DT_BOOL, {});
        values<uint8_t>(out)[0] = Op{}(0, 1);
        ctx.set_output(0, std::move(out));
        return;
      }
    }
    ctx.fail("{}", *error);
  }
  const DataType dtype = x.dtype;
  const DataType out_dtype = Op::kCompare ? tfprod::tf::DT_BOOL : dtype;
  Tensor out;
  if (dtype == tfprod::tf::DT_STRING) {
    if constexpr (Op::kString) {
      out = make_tensor(out_dtype, bc.out_shape);
      if constexpr (Op::kCompare)
        binary_apply(bc, x.strings.data(), y.strings.data(), values<uint8_t>(out).data(), Op{});
      else
        binary_apply(bc, x.strings.data(), y.strings.data(), out.strings.data(), Op{});
      ctx.set_output(0, std::move(out));
      return;
    }
    ctx.fail("dtype {} is not supported", dtype_name(dtype));
  }
  if (dtype == tfprod::tf::DT_BOOL) {
    if constexpr (Op::kBool) {
      out = make_tensor(tfprod::tf::DT_BOOL, bc.out_shape);
      binary_apply(bc, values<uint8_t>(x).data(), values<uint8_t>(y).data(), values<uint8_t>(out).data(), Op{});
      ctx.set_output(0, std::move(out));
      return;
    }
    ctx.fail("dtype {} is not supported", dtype_name(dtype));
  }
  const bool reduced = is_reduced_float(dtype);
  Tensor xw, yw;
  const Tensor* px = &x;
  const Tensor* py = &y;
  if (reduced) {
    xw = to_float32(x);
    yw = to_float32(y);
    px = &xw;
    py = &yw;
  }
  bool ok = false;
  dispatch_numeric(px->dtype, [&](auto v) {
    using T = decltype(v);
    if constexpr (Op::template accepts<T>) {
      ok = true;
      const auto a = values<T>(*px);
      const auto b = values<T>(*py);
      if (bc.out_size > 0)
        for (T e : b)
          if (const char* error = Op::check_rhs(e)) ctx.fail("{}", error);
      if constexpr (Op::kCompare) {
        out = make_tensor(tfprod::tf::DT_BOOL, bc.out_shape);
        binary_apply(bc, a.data(), b.data(), values<uint8_t>(out).data(), Op{});
      } else {
        out = make_tensor(px->dtype, bc.out_shape);
        binary_apply(bc, a.data(), b.data(), values<T>(out).data(), Op{});
      }
    }
  });
  if (!ok) ctx.fail("dtype {} is not supported", dtype_name(dtype));
  if (reduced && !Op::kCompare) out = from_float32(out, dtype);
  ctx.set_output(0, std::move(out));
}

}  // namespace

void register_elementwise(KernelTable& t) {
  t["Add"] = {binary<Add>};
  t["AddV2"] = {binary<Add>};
  t["Sub"] = {binary<Sub>};
  t["Mul"] = {binary<Mul>};
  t["RealDiv"] = {binary<RealDiv>};
  t["Div"] = {binary<TruncDiv>};
  t["TruncateDiv"] = {binary<TruncateDivOp>};
  t["FloorDiv"] = {binary<FloorDiv>};
  t["FloorMod"] = {binary<FloorMod>};
  t["TruncateMod"] = {binary<TruncMod>};
  t["Mod"] = {binary<TruncMod>};
  t["Maximum"] = {binary<Maximum>};
  t["Minimum"] = {binary<Minimum>};
  t["SquaredDifference"] = {binary<SquaredDifference>};
  t["Pow"] = {binary<Pow>};
  t["DivNoNan"] = {binary<DivNoNan>};
  t["MulNoNan"] = {binary<MulNoNan>};
  t["Greater"] = {binary<Greater>};
  t["GreaterEqual"] = {binary<GreaterEqual>};
  t["Less"] = {binary<Less>};
  t["LessEqual"] = {binary<LessEqual>};
  t["Equal"] = {binary<Equal>};
  t["NotEqual"] = {binary<NotEqual>};
  t["LogicalAnd"] = {binary<LogicalAnd>};
  t["LogicalOr"] = {binary<LogicalOr>};
  register_elementwise_select(t);
}

}  // namespace tfprod::eval
