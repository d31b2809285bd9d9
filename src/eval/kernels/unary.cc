// Family: unary element-wise ops. Activations (Relu .. Softsign, following
// TF's formulas, e.g. Elu as exp(x) - 1 and Softplus with TF's thresholds),
// math functions, rounding (Round is half-to-even), IsNan/IsInf/IsFinite and
// LogicalNot to DT_BOOL, ZerosLike/OnesLike for any dtype. Half and bfloat16
// are computed in float32 and narrowed back. (Cast lives in control.cc.)
#include <cmath>
#include <limits>
#include <type_traits>

#include "eval/kernel.h"
#include "eval/kernels/elementwise_ops.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

// kInt: integers accepted too (else floating point only); kBoolOut: the
// result is DT_BOOL.
struct FloatOp {
  static constexpr bool kInt = false, kBoolOut = false;
  void init(const KernelContext&) {}
};
struct NumericOp : FloatOp {
  static constexpr bool kInt = true;
};
struct PredicateOp : FloatOp {
  static constexpr bool kBoolOut = true;
};

#define TFPROD_FLOAT_UNARY(NAME, EXPR)     \
  struct NAME : FloatOp {                  \
    template <class T>                     \
    T operator()(T x) const { return EXPR; } \
  };
TFPROD_FLOAT_UNARY(Sqrt, std::sqrt(x))
TFPROD_FLOAT_UNARY(Rsqrt, T(1) / std::sqrt(x))
TFPROD_FLOAT_UNARY(Exp, std::exp(x))
TFPROD_FLOAT_UNARY(Expm1, std::expm1(x))
TFPROD_FLOAT_UNARY(Log, std::log(x))
TFPROD_FLOAT_UNARY(Log1p, std::log1p(x))
TFPROD_FLOAT_UNARY(Sin, std::sin(x))
TFPROD_FLOAT_UNARY(Cos, std::cos(x))
TFPROD_FLOAT_UNARY(Tan, std::tan(x))
TFPROD_FLOAT_UNARY(Asin, std::asin(x))
TFPROD_FLOAT_UNARY(Acos, std::acos(x))
TFPROD_FLOAT_UNARY(Atan, std::atan(x))
TFPROD_FLOAT_UNARY(Sinh, std::sinh(x))
TFPROD_FLOAT_UNARY(Cosh, std::cosh(x))
TFPROD_FLOAT_UNARY(Tanh, std::tanh(x))
TFPROD_FLOAT_UNARY(Erf, std::erf(x))
TFPROD_FLOAT_UNARY(Erfc, std::erfc(x))
TFPROD_FLOAT_UNARY(Reciprocal, T(1) / x)
TFPROD_FLOAT_UNARY(Sigmoid, T(1) / (T(1) + std::exp(-x)))
TFPROD_FLOAT_UNARY(Softsign, x / (std::abs(x) + T(1)))
TFPROD_FLOAT_UNARY(Elu, x < T(0) ? std::exp(x) - T(1) : x)
TFPROD_FLOAT_UNARY(Selu, x < T(0) ? T(1.7580993408473768599402175208123) * (std::exp(x) - T(1))
                                  : T(1.0507009873554804934193349852946) * x)
TFPROD_FLOAT_UNARY(Rint, std::nearbyint(x))
#undef TFPROD_FLOAT_UNARY

// TF: x above -threshold -> x; below threshold -> exp(x); else log(exp(x) + 1),
// with threshold = log(epsilon) + 2 for the op's own dtype.
struct Softplus : FloatOp {
  double threshold = 0;
  void init(const KernelContext& ctx) {
    double eps = std::numeric_limits<float>::epsilon();
    switch (ctx.input(0).dtype) {
      case tfprod::tf::DT_DOUBLE: eps = std::numeric_limits<double>::epsilon(); break;
      case tfprod::tf::DT_HALF: eps = 0.0009765625; break;
      case tfprod::tf::DT_BFLOAT16: eps = 0.0078125; break;
      default: break;
    }
    threshold = std::log(eps) + 2;
  }
  template <class T>
  T operator()(T x) const {
    const T th = static_cast<T>(threshold);
    if (x > -th) return x;
    const T e = std::exp(x);
    return x < th ? e : std::log(e + T(1));
  }
};
struct LeakyRelu : FloatOp {
  float alpha = 0.2f;
  void init(const KernelContext& ctx) { alpha = ctx.attr_float("alpha", 0.2f); }
  template <class T>
  T operator()(T x) const { return x > T(0) ? x : x * static_cast<T>(alpha); }
};

struct Relu : NumericOp {
  template <class T>
  T operator()(T x) const { return x < T(0) ? T(0) : x; }
};
struct Relu6 : NumericOp {
  template <class T>
  T operator()(T x) const {
    const T r = x < T(0) ? T(0) : x;
    return T(6) < r ? T(6) : r;
  }
};
struct Square : NumericOp {
  template <class T>
  T operator()(T x) const { return wrap_mul(x, x); }
};
struct Abs : NumericOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::abs(x);
    else return x < T(0) ? wrap_neg(x) : x;
  }
};
struct Neg : NumericOp {
  template <class T>
  T operator()(T x) const { return wrap_neg(x); }
};
struct Sign : NumericOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) return x;
    return static_cast<T>((T(0) < x) - (x < T(0)));
  }
};
// Rounding ops are the identity on integers.
struct Floor : NumericOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::floor(x);
    else return x;
  }
};
struct Ceil : NumericOp {
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::ceil(x);
    else return x;
  }
};
struct Round : NumericOp {  // half to even, as TF's round
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x);
    else return x;
  }
};

struct IsNan : PredicateOp {
  template <class T>
  bool operator()(T x) const { return std::isnan(x); }
};
struct IsInf : PredicateOp {
  template <class T>
  bool operator()(T x) const { return std::isinf(x); }
};
struct IsFinite : PredicateOp {
  template <class T>
  bool operator()(T x) const { return std::isfinite(x); }
};

template <class Op>
void unary(KernelContext& ctx) {
  const Tensor& x0 = ctx.input(0);
  const DataType dtype = x0.dtype;
  const bool reduced = is_reduced_float(dtype);
  Tensor widened;
  if (reduced) widened = to_float32(x0);
  const Tensor& x = reduced ? widened : x0;
  Op op;
  op.init(ctx);
  Tensor out;
  bool ok = false;
  dispatch_numeric(x.dtype, [&](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T> || Op::kInt) {
      ok = true;
      const auto src = values<T>(x);
      if constexpr (Op::kBoolOut) {
        out = make_tensor(tfprod::tf::DT_BOOL, x.shape);
        auto dst = values<uint8_t>(out);
        for (std::size_t i = 0; i < src.size(); ++i) dst[i] = op(src[i]);
      } else {
        out = make_tensor(x.dtype, x.shape);
        auto dst = values<T>(out);
        for (std::size_t i = 0; i < src.size(); ++i) dst[i] = op(src[i]);
      }
    }
  });
  if (!ok) ctx.fail("dtype {} is not supported", dtype_name(dtype));
  if (reduced && !Op::kBoolOut) out = from_float32(out, dtype);
  ctx.set_output(0, std::move(out));
}

void logical_not(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype != tfprod::tf::DT_BOOL) ctx.fail("expected DT_BOOL, got {}", dtype_name(x.dtype));
  Tensor out = make_tensor(tfprod::tf::DT_BOOL, x.shape);
  auto src = values<uint8_t>(x);
  auto dst = values<uint8_t>(out);
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = src[i] == 0;
  ctx.set_output(0, std::move(out));
}

void zeros_like(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.set_output(0, make_tensor(x.dtype, x.shape));
}

void ones_like(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype == tfprod::tf::DT_STRING) ctx.fail("dtype DT_STRING is not supported");
  Tensor ones = make_tensor(tfprod::tf::DT_FLOAT, x.shape);
  for (float& v : values<float>(ones)) v = 1.0f;
  ctx.set_output(0, cast(ones, x.dtype));
}

}  // namespace

void register_unary(KernelTable& t) {
  t["Relu"] = {unary<Relu>};
  t["Relu6"] = {unary<Relu6>};
  t["Elu"] = {unary<Elu>};
  t["Selu"] = {unary<Selu>};
  t["LeakyRelu"] = {unary<LeakyRelu>};
  t["Sigmoid"] = {unary<Sigmoid>};
  t["Tanh"] = {unary<Tanh>};
  t["Softplus"] = {unary<Softplus>};
  t["Softsign"] = {unary<Softsign>};
  t["Sqrt"] = {unary<Sqrt>};
  t["Rsqrt"] = {unary<Rsqrt>};
  t["Square"] = {unary<Square>};
  t["Exp"] = {unary<Exp>};
  t["Expm1"] = {unary<Expm1>};
  t["Log"] = {unary<Log>};
  t["Log1p"] = {unary<Log1p>};
  t["Abs"] = {unary<Abs>};
  t["Neg"] = {unary<Neg>};
  t["Floor"] = {unary<Floor>};
  t["Ceil"] = {unary<Ceil>};
  t["Round"] = {unary<Round>};
  t["Rint"] = {unary<Rint>};
  t["Reciprocal"] = {unary<Reciprocal>};
  t["Inv"] = {unary<Reciprocal>};
  t["Sign"] = {unary<Sign>};
  t["Erf"] = {unary<Erf>};
  t["Erfc"] = {unary<Erfc>};
  t["Sin"] = {unary<Sin>};
  t["Cos"] = {unary<Cos>};
  t["Tan"] = {unary<Tan>};
  t["Asin"] = {unary<Asin>};
  t["Acos"] = {unary<Acos>};
  t["Atan"] = {unary<Atan>};
  t["Sinh"] = {unary<Sinh>};
  t["Cosh"] = {unary<Cosh>};
  t["IsNan"] = {unary<IsNan>};
  t["IsInf"] = {unary<IsInf>};
  t["IsFinite"] = {unary<IsFinite>};
  t["LogicalNot"] = {logical_not};
  t["ZerosLike"] = {zeros_like};
  t["OnesLike"] = {ones_like};
}

}  // namespace tfprod::eval
