// Family: shape. Shape, ShapeN, Size, Rank, Reshape, Squeeze, ExpandDims,
// Fill, Range, LinSpace, BroadcastTo, BroadcastArgs, BroadcastGradientArgs. Moves are dtype-agnostic
// (DT_STRING included); Range and LinSpace compute as TF's CPU kernels do.
#include <cmath>
#include <limits>

#include "eval/kernel.h"
#include "eval/kernels/array_common.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

DataType out_type(const KernelContext& ctx) { return ctx.attr_type("out_type", tfprod::tf::DT_INT32); }

void shape_op(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.set_output(0, int_tensor(ctx, out_type(ctx), {static_cast<int64_t>(x.shape.size())}, x.shape));
}

void shape_n(KernelContext& ctx) {
  for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& x = ctx.input(i);
    ctx.set_output(i, int_tensor(ctx, out_type(ctx), {static_cast<int64_t>(x.shape.size())}, x.shape));
  }
}

void size_op(KernelContext& ctx) { ctx.set_output(0, int_tensor(ctx, out_type(ctx), {}, {ctx.input(0).num_elements()})); }

void rank_op(KernelContext& ctx) {
  ctx.set_output(0, int_tensor(ctx, tfprod::tf::DT_INT32, {}, {static_cast<int64_t>(ctx.input(0).shape.size())}));
}

// A copy of x with a new shape of the same element count.
Tensor with_shape(const Tensor& x, Shape shape) {
  Tensor out = x;
  out.shape = std::move(shape);
  return out;
}

void reshape(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> sizes = ints_arg(ctx, 1, "shape");
  const int64_t n = x.num_elements();
  Shape shape(sizes.begin(), sizes.end());
  int64_t known = 1;
  int unknown = -1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (unknown >= 0) ctx.fail("only one dimension of shape {} may be -1", shape_string(shape));
      unknown = static_cast<int>(d);
    } else if (shape[d] < 0) {
      ctx.fail("shape {} has a negative dimension", shape_string(shape));
    } else {
      if (shape[d] != 0 && known > std::numeric_limits<int64_t>::max() / shape[d])
        ctx.fail("shape {} has more elements than fit in 64 bits", shape_string(shape));
      known *= shape[d];
    }
  }
  if (unknown >= 0) {
    if (known == 0) {
      if (n != 0)
        ctx.fail("cannot reshape a tensor of shape {} ({} values) into shape {}", shape_string(x.shape), n,
                 shape_string(shape));
      ctx.fail("cannot infer the -1 dimension of shape {} for the empty tensor of shape {}", shape_string(shape),
               shape_string(x.shape));
    }
    if (n % known != 0)
      ctx.fail("cannot reshape a tensor of shape {} ({} values) into shape {}: {} is not a multiple of {}",
               shape_string(x.shape), n, shape_string(shape), n, known);
    shape[static_cast<std::size_t>(unknown)] = n / known;
  } else if (known != n) {
    ctx.fail("cannot reshape a tensor of shape {} ({} values) into shape {} ({} values)", shape_string(x.shape), n,
             shape_string(shape), known);
  }
  ctx.set_output(0, with_shape(x, std::move(shape)));
}

void squeeze(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> dims = ctx.attr_ints("squeeze_dims", {});
  if (dims.empty()) dims = ctx.attr_ints("axis", {});
  std::vector<bool> drop(x.shape.size(), false);
  for (int64_t d : dims) {
    int64_t axis = d;
    if (!normalize_axis(&axis, rank)) ctx.fail("squeeze dimension {} is out of range for rank {}", d, rank);
    if (x.shape[static_cast<std::size_t>(axis)] != 1)
      ctx.fail("cannot squeeze dimension {} of shape {}: its size is {}, not 1", d, shape_string(x.shape),
               x.shape[static_cast<std::size_t>(axis)]);
    drop[static_cast<std::size_t>(axis)] = true;
  }
  Shape shape;
  for (std::size_t d = 0; d < x.shape.size(); ++d) {
    const bool squeezed = dims.empty() ? x.shape[d] == 1 : drop[d];
    if (!squeezed) shape.push_back(x.shape[d]);
  }
  ctx.set_output(0, with_shape(x, std::move(shape)));
}

void expand_dims(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t dim = scalar_arg(ctx, 1, "dim");
  int64_t axis = dim;
  if (!normalize_axis(&axis, rank + 1)) ctx.fail("dim {} is out of range [{}, {}]", dim, -rank - 1, rank);
  Shape shape = x.shape;
  shape.insert(shape.begin() + axis, 1);
  ctx.set_output(0, with_shape(x, std::move(shape)));
}

Shape dims_arg(const KernelContext& ctx, std::size_t input, const char* what) {
  const std::vector<int64_t> dims = ints_arg(ctx, input, what);
  for (int64_t d : dims)
    if (d < 0) ctx.fail("{} {} has a negative dimension", what, shape_string(Shape(dims.begin(), dims.end())));
  return {dims.begin(), dims.end()};
}

void fill(KernelContext& ctx) {
  const Shape shape = dims_arg(ctx, 0, "dims");
  const Tensor& value = ctx.input(1);
  check_movable(ctx, value);
  if (!value.shape.empty()) ctx.fail("value must be a scalar, got shape {}", shape_string(value.shape));
  ctx.set_output(0, remap_by(value, shape, [](std::size_t, int64_t) { return int64_t{0}; }));
}

template <class T>
T scalar_of(const KernelContext& ctx, std::size_t i, const char* what) {
  const Tensor& t = ctx.input(i);
  if (t.num_elements() != 1 || t.shape.size() > 1) ctx.fail("{} must be a scalar, got shape {}", what, shape_string(t.shape));
  return values<T>(t)[0];
}

template <class T>
void range_typed(KernelContext& ctx) {
  const T start = scalar_of<T>(ctx, 0, "start");
  const T limit = scalar_of<T>(ctx, 1, "limit");
  const T delta = scalar_of<T>(ctx, 2, "delta");
  if (delta == 0) ctx.fail("requires delta != 0");
  if (delta > 0 && !(start <= limit)) ctx.fail("requires start <= limit when delta > 0: {}/{}", start, limit);
  if (delta < 0 && !(start >= limit)) ctx.fail("requires start >= limit when delta < 0: {}/{}", start, limit);
  int64_t size = 0;
  if constexpr (std::is_integral_v<T>) {
    const __int128 span = static_cast<__int128>(limit) - start;
    const __int128 step = delta;
    const __int128 s = ((span < 0 ? -span : span) + (step < 0 ? -step : step) - 1) / (step < 0 ? -step : step);
    size = static_cast<int64_t>(s);
  } else {
    const T s = std::ceil(std::abs((limit - start) / delta));
    if (!(s <= static_cast<T>(int64_t{1} << 50))) ctx.fail("range {}:{}:{} is too long", start, limit, delta);
    size = static_cast<int64_t>(s);
  }
  Tensor out = make_tensor(ctx.input(0).dtype, {size});
  auto dst = values<T>(out);
  T v = start;
  for (int64_t i = 0; i < size; ++i) {
    dst[static_cast<std::size_t>(i)] = v;
    v += delta;
  }
  ctx.set_output(0, std::move(out));
}

void range(KernelContext& ctx) {
  const DataType t = ctx.input(0).dtype;
  for (std::size_t i = 1; i < 3; ++i)
    if (ctx.input(i).dtype != t)
      ctx.fail("start, limit and delta must share a dtype, got {} and {}", dtype_name(t), dtype_name(ctx.input(i).dtype));
  switch (t) {
    case tfprod::tf::DT_FLOAT: return range_typed<float>(ctx);
    case tfprod::tf::DT_DOUBLE: return range_typed<double>(ctx);
    case tfprod::tf::DT_INT32: return range_typed<int32_t>(ctx);
    case tfprod::tf::DT_INT64: return range_typed<int64_t>(ctx);
    default: ctx.fail("Range of {} is not supported", dtype_name(t));
  }
}

template <class T>
void lin_space_typed(KernelContext& ctx) {
  const T start = scalar_of<T>(ctx, 0, "start");
  const T stop = scalar_of<T>(ctx, 1, "stop");
  const int64_t num = scalar_arg(ctx, 2, "num");
  if (num <= 0) ctx.fail("requires num > 0: {}", num);
  Tensor out = make_tensor(ctx.input(0).dtype, {num});
  auto dst = values<T>(out);
  dst[0] = start;
  if (num > 1) {
    const T step = (stop - start) / static_cast<T>(num - 1);
    for (int64_t i = 1; i < num - 1; ++i) dst[static_cast<std::size_t>(i)] = start + step * static_cast<T>(i);
    dst[static_cast<std::size_t>(num - 1)] = stop;
  }
  ctx.set_output(0, std::move(out));
}

void lin_space(KernelContext& ctx) {
  switch (ctx.input(0).dtype) {
    case tfprod::tf::DT_FLOAT: return lin_space_typed<float>(ctx);
    case tfprod::tf::DT_DOUBLE: return lin_space_typed<double>(ctx);
    default: ctx.fail("LinSpace of {} is not supported", dtype_name(ctx.input(0).dtype));
  }
}

void broadcast_to(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const Shape shape = dims_arg(ctx, 1, "shape");
  const std::size_t rank = shape.size();
  const std::size_t lead = rank - std::min(rank, x.shape.size());
  bool ok = x.shape.size() <= rank;
  for (std::size_t d = 0; ok && d < x.shape.size(); ++d) {
    const int64_t in = x.shape[d], out = shape[lead + d];
    ok = in == out || in == 1;
  }
  if (!ok) ctx.fail("cannot broadcast a tensor of shape {} to shape {}", shape_string(x.shape), shape_string(shape));
  const Shape strides = strides_of(x.shape);
  ctx.set_output(0, remap_by(x, shape, [&](std::size_t d, int64_t i) -> int64_t {
                   if (d < lead) return 0;
                   return x.shape[d - lead] == 1 ? 0 : i * strides[d - lead];
                 }));
}

void broadcast_args(KernelContext& ctx) {
  const std::vector<int64_t> a = ints_arg(ctx, 0, "s0"), b = ints_arg(ctx, 1, "s1");
  const std::size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1)
      ctx.fail("incompatible shapes: {} vs. {}", shape_string(Shape(a.begin(), a.end())),
               shape_string(Shape(b.begin(), b.end())));
    out[rank - 1 - i] = x == 1 ? y : x;
  }
  ctx.set_output(0, int_tensor(ctx, ctx.input(0).dtype, {static_cast<int64_t>(rank)}, out));
}

// The axes each input's gradient is summed over (TF's BCast with its
// default dimension folding: equal shapes reduce nothing; a dimension where
// every input is 1 is reduced for all).
void broadcast_gradient_args(KernelContext& ctx) {
  const std::vector<int64_t> a = ints_arg(ctx, 0, "s0"), b = ints_arg(ctx, 1, "s1");
  std::vector<int64_t> ra, rb;
  if (a != b) {
    const std::size_t rank = std::max(a.size(), b.size());
    for (std::size_t k = 0; k < rank; ++k) {
      const std::size_t back = rank - 1 - k;
      const int64_t x = back < a.size() ? a[a.size() - 1 - back] : 1;
      const int64_t y = back < b.size() ? b[b.size() - 1 - back] : 1;
      if (x != y && x != 1 && y != 1)
        ctx.fail("incompatible shapes: {} vs. {}", shape_string(Shape(a.begin(), a.end())),
                 shape_string(Shape(b.begin(), b.end())));
      if (x == 1) ra.push_back(static_cast<int64_t>(k));
      if (y == 1) rb.push_back(static_cast<int64_t>(k));
    }
  }
  const DataType t = ctx.input(0).dtype;
  ctx.set_output(0, int_tensor(ctx, t, {static_cast<int64_t>(ra.size())}, ra));
  ctx.set_output(1, int_tensor(ctx, t, {static_cast<int64_t>(rb.size())}, rb));
}

}  // namespace

void register_shape(KernelTable& t) {
  t["Shape"] = {shape_op};
  t["ShapeN"] = {shape_n};
  t["Size"] = {size_op};
  t["Rank"] = {rank_op};
  t["Reshape"] = {reshape};
  t["Squeeze"] = {squeeze};
  t["ExpandDims"] = {expand_dims};
  t["Fill"] = {fill};
  t["Range"] = {range};
  t["LinSpace"] = {lin_space};
  t["BroadcastTo"] = {broadcast_to};
  t["BroadcastArgs"] = {broadcast_args};
  t["BroadcastGradientArgs"] = {broadcast_gradient_args};
}

}  // namespace tfprod::eval
