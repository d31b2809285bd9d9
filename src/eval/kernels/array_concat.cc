// Family: array, joining and splitting. ConcatV2 (axis last), Concat (axis
// first), Pack, Unpack, Split (axis first), SplitV (size_splits with one -1).
// All move rows of elements by byte size, so every fixed-size dtype and
// DT_STRING work.
#include "eval/kernels/array_common.h"

namespace tfprod::eval {

namespace {

int64_t checked_axis(const KernelContext& ctx, int64_t axis, int64_t rank, const char* what) {
  int64_t a = axis;
  if (!normalize_axis(&a, rank)) ctx.fail("{} {} is out of range [{}, {})", what, axis, -rank, rank);
  return a;
}

void concat_inputs(KernelContext& ctx, std::size_t first, std::size_t count, int64_t axis_arg) {
  if (count == 0) ctx.fail("needs at least one value to concatenate");
  const Tensor& x0 = ctx.input(first);
  check_movable(ctx, x0);
  const auto rank = static_cast<int64_t>(x0.shape.size());
  if (rank == 0) ctx.fail("cannot concatenate scalars (use Pack)");
  const int64_t axis = checked_axis(ctx, axis_arg, rank, "axis");
  Shape shape = x0.shape;
  shape[axis] = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const Tensor& x = ctx.input(first + k);
    if (x.dtype != x0.dtype) ctx.fail("value {} is {}, value 0 is {}", k, dtype_name(x.dtype), dtype_name(x0.dtype));
    bool same = x.shape.size() == x0.shape.size();
    for (int64_t d = 0; same && d < rank; ++d) same = d == axis || x.shape[d] == x0.shape[d];
    if (!same)
      ctx.fail("value {} has shape {}, which does not match value 0's {} outside axis {}", k, shape_string(x.shape),
               shape_string(x0.shape), axis);
    shape[axis] += x.shape[axis];
  }
  Tensor out = make_tensor(x0.dtype, shape);
  if (out.num_elements() > 0) {
    const int64_t outer = dims_product(shape, 0, static_cast<std::size_t>(axis));
    const int64_t out_row = out.num_elements() / outer;
    int64_t col = 0;
    for (std::size_t k = 0; k < count; ++k) {
      const Tensor& x = ctx.input(first + k);
      const int64_t row = x.num_elements() / outer;
      for (int64_t o = 0; o < outer; ++o) copy_elements(x, o * row, out, o * out_row + col, row);
      col += row;
    }
  }
  ctx.set_output(0, std::move(out));
}

void concat_v2(KernelContext& ctx) {
  const std::size_t n = ctx.num_inputs();
  if (n < 2) ctx.fail("expects values and an axis, got {} inputs", n);
  concat_inputs(ctx, 0, n - 1, scalar_arg(ctx, n - 1, "axis"));
}

void concat_v1(KernelContext& ctx) {
  const std::size_t n = ctx.num_inputs();
  if (n < 2) ctx.fail("expects an axis and values, got {} inputs", n);
  concat_inputs(ctx, 1, n - 1, scalar_arg(ctx, 0, "concat_dim"));
}

void pack(KernelContext& ctx) {
  const std::size_t n = ctx.num_inputs();
  if (n == 0) ctx.fail("needs at least one value to pack");
  const Tensor& x0 = ctx.input(0);
  check_movable(ctx, x0);
  const auto rank = static_cast<int64_t>(x0.shape.size());
  int64_t axis = ctx.attr_int("axis", 0);
  if (!normalize_axis(&axis, rank + 1)) ctx.fail("axis {} is out of range [{}, {}]", ctx.attr_int("axis", 0), -rank - 1, rank);
  for (std::size_t k = 1; k < n; ++k) {
    const Tensor& x = ctx.input(k);
    if (x.dtype != x0.dtype || x.shape != x0.shape)
      ctx.fail("value {} is {} {}, value 0 is {} {}", k, dtype_name(x.dtype), shape_string(x.shape),
               dtype_name(x0.dtype), shape_string(x0.shape));
  }
  Shape shape = x0.shape;
  shape.insert(shape.begin() + axis, static_cast<int64_t>(n));
  Tensor out = make_tensor(x0.dtype, shape);
  if (out.num_elements() > 0) {
    const int64_t outer = dims_product(x0.shape, 0, static_cast<std::size_t>(axis));
    const int64_t row = x0.num_elements() / outer;
    for (int64_t o = 0; o < outer; ++o)
      for (std::size_t k = 0; k < n; ++k)
        copy_elements(ctx.input(k), o * row, out, (o * static_cast<int64_t>(n) + static_cast<int64_t>(k)) * row, row);
  }
  ctx.set_output(0, std::move(out));
}

void unpack(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  check_movable(ctx, x);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = checked_axis(ctx, ctx.attr_int("axis", 0), rank, "axis");
  const int64_t num = x.shape[axis];
  if (ctx.has_attr("num") && ctx.attr_int("num") != num)
    ctx.fail("input shape {} has {} entries along axis {}, but num is {}", shape_string(x.shape), num, axis,
             ctx.attr_int("num"));
  Shape shape = x.shape;
  shape.erase(shape.begin() + axis);
  const int64_t part = num_elements(shape);
  const int64_t outer = part == 0 ? 0 : dims_product(x.shape, 0, static_cast<std::size_t>(axis));
  const int64_t row = outer == 0 ? 0 : part / outer;
  for (int64_t k = 0; k < num; ++k) {
    Tensor out = make_tensor(x.dtype, shape);
    for (int64_t o = 0; o < outer; ++o) copy_elements(x, (o * num + k) * row, out, o * row, row);
    ctx.set_output(static_cast<std::size_t>(k), std::move(out));
  }
}

// Outputs k = 0..sizes.size()-1: x's slices along axis of sizes[k] entries.
void split_into(KernelContext& ctx, const Tensor& x, int64_t axis, const std::vector<int64_t>& sizes) {
  check_movable(ctx, x);
  const int64_t dim = x.shape[axis];
  const int64_t outer = x.num_elements() == 0 ? 0 : dims_product(x.shape, 0, static_cast<std::size_t>(axis));
  const int64_t inner = outer == 0 ? 0 : x.num_elements() / outer / dim;
  int64_t start = 0;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    Shape shape = x.shape;
    shape[axis] = sizes[k];
    Tensor out = make_tensor(x.dtype, shape);
    const int64_t row = sizes[k] * inner;
    for (int64_t o = 0; o < outer; ++o) copy_elements(x, (o * dim + start) * inner, out, o * row, row);
    start += sizes[k];
    ctx.set_output(k, std::move(out));
  }
}

void split(KernelContext& ctx) {
  const Tensor& x = ctx.input(1);
  const int64_t num = ctx.attr_int("num_split");
  const int64_t axis = checked_axis(ctx, scalar_arg(ctx, 0, "split_dim"), static_cast<int64_t>(x.shape.size()), "split_dim");
  if (num <= 0) ctx.fail("num_split must be positive, got {}", num);
  if (x.shape[axis] % num != 0)
    ctx.fail("num_split {} does not evenly divide dimension {} (size {}) of shape {}", num, axis, x.shape[axis],
             shape_string(x.shape));
  split_into(ctx, x, axis, std::vector<int64_t>(static_cast<std::size_t>(num), x.shape[axis] / num));
}

void split_v(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> sizes = ints_arg(ctx, 1, "size_splits");
  const int64_t axis = checked_axis(ctx, scalar_arg(ctx, 2, "split_dim"), static_cast<int64_t>(x.shape.size()), "split_dim");
  const int64_t num = ctx.attr_int("num_split", static_cast<int64_t>(sizes.size()));
  if (static_cast<int64_t>(sizes.size()) != num)
    ctx.fail("size_splits has {} entries, num_split is {}", sizes.size(), num);
  const int64_t dim = x.shape[axis];
  int64_t known = 0;
  int unknown = -1;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] == -1) {
      if (unknown >= 0) ctx.fail("size_splits may hold at most one -1");
      unknown = static_cast<int>(k);
    } else if (sizes[k] < 0 || sizes[k] > dim) {
      ctx.fail("size_splits[{}] = {} is out of range [0, {}]", k, sizes[k], dim);
    } else {
      known += sizes[k];
    }
  }
  if (unknown >= 0 ? known > dim : known != dim)
    ctx.fail("size_splits {} do not add up to dimension {} (size {}) of shape {}",
             shape_string(Shape(sizes.begin(), sizes.end())), axis, dim, shape_string(x.shape));
  if (unknown >= 0) sizes[static_cast<std::size_t>(unknown)] = dim - known;
  split_into(ctx, x, axis, sizes);
}

}  // namespace

void register_array_concat(KernelTable& t) {
  t["ConcatV2"] = {concat_v2};
  t["Concat"] = {concat_v1};
  t["Pack"] = {pack};
  t["Unpack"] = {unpack};
  t["Split"] = {split};
  t["SplitV"] = {split_v};
}

}  // namespace tfprod::eval
