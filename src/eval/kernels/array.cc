// Family: array. register_array gathers the sub-families (array_slice.cc,
// array_concat.cc, array_transform.cc); this file holds the indexing ops:
// GatherV2 / Gather, OneHot and Where.
#include "eval/kernel.h"
#include "eval/kernels/array_common.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

namespace {

std::vector<int64_t> index_values(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (t.dtype != tfprod::tf::DT_INT32 && t.dtype != tfprod::tf::DT_INT64)
    ctx.fail("{} must be int32 or int64, got {}", what, dtype_name(t.dtype));
  std::vector<int64_t> out(static_cast<std::size_t>(t.num_elements()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element_as_int(t, static_cast<int64_t>(i));
  return out;
}

void gather_axis(KernelContext& ctx, int64_t axis_arg) {
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  check_movable(ctx, params);
  const auto rank = static_cast<int64_t>(params.shape.size());
  int64_t axis = axis_arg;
  if (rank == 0) ctx.fail("params must be at least 1-D, got a scalar");
  if (!normalize_axis(&axis, rank)) ctx.fail("axis {} is out of range [{}, {})", axis_arg, -rank, rank);
  const std::vector<int64_t> idx = index_values(ctx, indices, "indices");
  const int64_t dim = params.shape[axis];
  for (std::size_t i = 0; i < idx.size(); ++i)
    if (idx[i] < 0 || idx[i] >= dim) ctx.fail("indices[{}] = {} is not in [0, {})", i, idx[i], dim);
  Shape shape(params.shape.begin(), params.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), params.shape.begin() + axis + 1, params.shape.end());
  if (num_elements(shape) == 0) {
    ctx.set_output(0, make_tensor(params.dtype, shape));
    return;
  }
  // As [outer, indices, inner], every dim of which is non-zero here.
  const int64_t outer = dims_product(params.shape, 0, static_cast<std::size_t>(axis));
  const int64_t inner = dims_product(params.shape, static_cast<std::size_t>(axis) + 1, params.shape.size());
  const auto m = static_cast<int64_t>(idx.size());
  Tensor out = remap_by(params, {outer, m, inner}, [&](std::size_t d, int64_t i) {
    if (d == 0) return i * dim * inner;
    if (d == 1) return idx[static_cast<std::size_t>(i)] * inner;
    return i;
  });
  out.shape = std::move(shape);
  ctx.set_output(0, std::move(out));
}

void gather_v2(KernelContext& ctx) {
  const int64_t batch_dims = ctx.attr_int("batch_dims", 0);
  if (batch_dims != 0) ctx.unsupported_attr("batch_dims", std::to_string(batch_dims));
  gather_axis(ctx, scalar_arg(ctx, 2, "axis"));
}

void gather_v1(KernelContext& ctx) { gather_axis(ctx, 0); }

void one_hot(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const int64_t depth = scalar_arg(ctx, 1, "depth");
  const Tensor& on = ctx.input(2);
  const Tensor& off = ctx.input(3);
  check_movable(ctx, on);
  if (!on.shape.empty() || !off.shape.empty() || on.dtype != off.dtype)
    ctx.fail("on_value and off_value must be scalars of one dtype, got {} {} and {} {}", dtype_name(on.dtype),
             shape_string(on.shape), dtype_name(off.dtype), shape_string(off.shape));
  if (depth < 0) ctx.fail("depth must be non-negative, got {}", depth);
  const auto rank = static_cast<int64_t>(indices.shape.size());
  int64_t axis = ctx.attr_int("axis", -1);
  if (axis < -1 || axis > rank) ctx.fail("axis {} is out of range [-1, {}]", axis, rank);
  if (axis == -1) axis = rank;
  std::vector<int64_t> idx;
  if (indices.dtype == tfprod::tf::DT_UINT8) {
    for (uint8_t v : values<uint8_t>(indices)) idx.push_back(v);
  } else {
    idx = index_values(ctx, indices, "indices");
  }
  Shape shape = indices.shape;
  shape.insert(shape.begin() + axis, depth);
  Tensor out = remap_by(off, shape, [](std::size_t, int64_t) { return int64_t{0}; });
  if (out.num_elements() > 0) {
    const int64_t inner = dims_product(indices.shape, static_cast<std::size_t>(axis), indices.shape.size());
    for (std::size_t i = 0; i < idx.size(); ++i) {
      if (idx[i] < 0 || idx[i] >= depth) continue;
      const int64_t o = static_cast<int64_t>(i) / inner, s = static_cast<int64_t>(i) % inner;
      copy_elements(on, 0, out, (o * depth + idx[i]) * inner + s, 1);
    }
  }
  ctx.set_output(0, std::move(out));
}

// Where (one input): the coordinates of the non-zero elements, int64 [n, rank].
void where(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (ctx.num_inputs() != 1) ctx.fail("expects one input, got {} (three-input Where is Select)", ctx.num_inputs());
  const int64_t n = x.num_elements();
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < n; ++i) {
    const bool nonzero = x.dtype == tfprod::tf::DT_BOOL ? values<uint8_t>(x)[static_cast<std::size_t>(i)] != 0
                                                        : element_as_double(x, i) != 0;
    if (nonzero) hits.push_back(i);
  }
  const auto rank = static_cast<int64_t>(x.shape.size());
  Tensor out = make_tensor(tfprod::tf::DT_INT64, {static_cast<int64_t>(hits.size()), rank});
  auto dst = values<int64_t>(out);
  const Shape strides = strides_of(x.shape);
  for (std::size_t h = 0; h < hits.size(); ++h)
    for (int64_t d = 0; d < rank; ++d)
      dst[h * static_cast<std::size_t>(rank) + static_cast<std::size_t>(d)] = hits[h] / strides[d] % x.shape[d];
  ctx.set_output(0, std::move(out));
}

}  // namespace

void register_array(KernelTable& t) {
  register_array_slice(t);
  register_array_concat(t);
  register_array_transform(t);
  t["GatherV2"] = {gather_v2};
  t["Gather"] = {gather_v1};
  t["OneHot"] = {one_hot};
  t["Where"] = {where};
}

}  // namespace tfprod::eval
