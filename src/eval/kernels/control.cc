// Family: graph plumbing and sources. Placeholder, PlaceholderWithDefault,
// Const, Identity and its kin, NoOp, Switch / Merge (dead tensors), Cast,
// Dequantize, and the seeded random ops.
#include <cmath>
#include <limits>

#include "eval/kernel.h"
#include "eval/tensor_util.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::eval {

namespace {

void placeholder(KernelContext& ctx) {
  ctx.fail("placeholder is not fed: give it a value (tfprod run --feed {}=FILE.npy)", ctx.node().name());
}

void placeholder_with_default(KernelContext& ctx) { ctx.set_output(0, ctx.input(0)); }

void constant(KernelContext& ctx) {
  const auto& value = ctx.attr("value");
  if (!value.has_tensor()) ctx.fail("attr 'value' holds no tensor");
  Tensor t;
  try {
    t = tensor_from_proto(value.tensor(), "attr 'value'");
  } catch (const Error& e) {
    ctx.fail("{}", e.what());
  }
  if (const auto* dtype = ctx.node().attr("dtype"); dtype && dtype->type() != t.dtype)
    ctx.fail("attr dtype {} differs from the value's {}", dtype_name(dtype->type()), dtype_name(t.dtype));
  ctx.set_output(0, std::move(t));
}

void identity(KernelContext& ctx) { ctx.set_output(0, ctx.input(0)); }

void identity_n(KernelContext& ctx) {
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) ctx.set_output(i, ctx.input(i));
}

void check_numerics(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor f = to_float32(x);
  if (f.dtype == tfprod::tf::DT_FLOAT) {
    for (float v : values<float>(f))
      if (!std::isfinite(v)) ctx.fail("{}: tensor holds NaN or Inf", ctx.attr_string("message", ""));
  }
  ctx.set_output(0, x);
}

void no_op(KernelContext&) {}

bool predicate(KernelContext& ctx, std::size_t i) {
  const Tensor& p = ctx.input(i);
  if (p.dtype != tfprod::tf::DT_BOOL || p.num_elements() != 1)
    ctx.fail("predicate must be a scalar bool, got {} {}", dtype_name(p.dtype), shape_string(p.shape));
  return values<uint8_t>(p)[0] != 0;
}

// Output 0 carries the data when the predicate is false, output 1 when true.
void switch_(KernelContext& ctx) {
  const bool taken = predicate(ctx, 1);
  ctx.set_output(taken ? 1 : 0, ctx.input(0));
  ctx.set_dead(taken ? 0 : 1);
}

// The first live input; output 1 is its index.
void merge(KernelContext& ctx) {
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input_dead(i)) continue;
    ctx.set_output(0, ctx.input(i));
    Tensor index = make_tensor(tfprod::tf::DT_INT32, {});
    values<int32_t>(index)[0] = static_cast<int32_t>(i);
    ctx.set_output(1, std::move(index));
    return;
  }
  for (std::size_t i = 0; i < 2; ++i) ctx.set_dead(i);
}

void cast_op(KernelContext& ctx) {
  const DataType to = ctx.attr_type("DstT");
  ctx.set_output(0, cast(ctx.input(0), to));
}

// MIN_COMBINED: min + (q - lowest) * (max - min) / (highest - lowest);
// MIN_FIRST: the same with min rounded to a multiple of the step.
// SCALED: q * max(max / highest, min / lowest).
void dequantize(KernelContext& ctx) {
  const Tensor& q = ctx.input(0);
  const std::string mode = ctx.attr_string("mode", "MIN_COMBINED");
  const bool narrow = ctx.attr_bool("narrow_range", false);
  if (ctx.attr_int("axis", -1) != -1) ctx.unsupported_attr("axis", std::to_string(ctx.attr_int("axis", -1)));
  double lowest, highest;
  switch (q.dtype) {
    case tfprod::tf::DT_QINT8: lowest = -128; highest = 127; break;
    case tfprod::tf::DT_QUINT8: lowest = 0; highest = 255; break;
    case tfprod::tf::DT_QINT16: lowest = -32768; highest = 32767; break;
    case tfprod::tf::DT_QUINT16: lowest = 0; highest = 65535; break;
    case tfprod::tf::DT_QINT32: lowest = -2147483648.0; highest = 2147483647.0; break;
    default: ctx.fail("cannot dequantize {}", dtype_name(q.dtype));
  }
  const double min = element_as_double(ctx.input(1), 0);
  const double max = element_as_double(ctx.input(2), 0);
  Tensor out = make_tensor(tfprod::tf::DT_FLOAT, q.shape);
  auto dst = values<float>(out);
  auto raw = [&](std::size_t i) -> double {
    switch (q.dtype) {
      case tfprod::tf::DT_QINT8: return values<int8_t>(q)[i];
      case tfprod::tf::DT_QUINT8: return values<uint8_t>(q)[i];
      case tfprod::tf::DT_QINT16: return values<int16_t>(q)[i];
      case tfprod::tf::DT_QUINT16: return values<uint16_t>(q)[i];
      default: return values<int32_t>(q)[i];
    }
  };
  if (mode == "MIN_COMBINED") {
    const double scale = (max - min) / (highest - lowest);
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(min + (raw(i) - lowest) * scale);
  } else if (mode == "MIN_FIRST") {
    // TF's QuantizedToFloat: the same step, but min snapped to a whole number
    // of steps (the step taken as a float first).
    if (min == max) {
      for (float& v : dst) v = static_cast<float>(min);
    } else {
      const double step = (max - min) / (highest - lowest);
      const double step_f = static_cast<float>(step);
      const double min_rounded = std::round(min / step_f) * step_f;
      for (std::size_t i = 0; i < dst.size(); ++i)
        dst[i] = static_cast<float>(min_rounded + (raw(i) - lowest) * step);
    }
  } else if (mode == "SCALED") {
    const double low = narrow ? lowest + 1 : lowest;
    const double scale = std::max(max / highest, min / low);
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(raw(i) * scale);
  } else {
    ctx.unsupported_attr("mode", mode);
  }
  const DataType to = ctx.attr_type("dtype", tfprod::tf::DT_FLOAT);
  ctx.set_output(0, to == tfprod::tf::DT_FLOAT ? std::move(out) : cast(out, to));
}

// Uniform in [0, 1), seeded by the evaluator (not TF's Philox stream).
void random_uniform(KernelContext& ctx) {
  Shape shape;
  for (int64_t d : as_ints(ctx.input(0))) shape.push_back(d);
  const DataType dtype = ctx.attr_type("dtype", tfprod::tf::DT_FLOAT);
  Tensor out = make_tensor(tfprod::tf::DT_FLOAT, shape);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  auto& rng = ctx.rng();
  for (float& v : values<float>(out)) v = dist(rng);
  ctx.set_output(0, dtype == tfprod::tf::DT_FLOAT ? std::move(out) : cast(out, dtype));
}

}  // namespace

void register_control(KernelTable& t) {
  t["Placeholder"] = {placeholder};
  t["PlaceholderV2"] = {placeholder};
  t["PlaceholderWithDefault"] = {placeholder_with_default};
  t["Const"] = {constant};
  for (const char* op : {"Identity", "StopGradient", "Snapshot", "PreventGradient", "Print", "EnsureShape"})
    t[op] = {identity};
  // A body-less Defun "Dropout"(x, is_training), as OpenCV's test nets hold:
  // the identity on x at inference, as OpenCV runs it (tfprod run says so).
  t["Dropout"] = {identity};
  t["IdentityN"] = {identity_n};
  t["CheckNumerics"] = {check_numerics};
  t["NoOp"] = {no_op};
  t["Switch"] = {switch_};
  t["RefSwitch"] = {switch_};
  t["Merge"] = {merge, false, false, true};
  t["RefMerge"] = {merge, false, false, true};
  t["Cast"] = {cast_op};
  t["Dequantize"] = {dequantize};
  t["RandomUniform"] = {random_uniform, true};
}

}  // namespace tfprod::eval
