// Element moves and the generic remap shared by the shape and array kernels.
#include "eval/kernels/array_common.h"

#include <cstring>
#include <limits>
#include <string>

namespace tfprod::eval {

namespace {

struct Bytes16 {
  uint64_t lo, hi;
};

template <class T>
const T* elems(const Tensor& t) {
  if constexpr (std::is_same_v<T, std::string>) {
    return t.strings.data();
  } else {
    return reinterpret_cast<const T*>(t.data.data());
  }
}
template <class T>
T* elems(Tensor& t) {
  if constexpr (std::is_same_v<T, std::string>) {
    return t.strings.data();
  } else {
    return reinterpret_cast<T*>(t.data.data());
  }
}

// Calls f(T{}) with T an element type of t's size: a uint of 1..8 bytes,
// Bytes16, or std::string.
template <class F>
void with_element_type(DataType dtype, F&& f) {
  if (dtype == tfprod::tf::DT_STRING) return f(std::string());
  switch (dtype_size(dtype)) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    case 8: return f(uint64_t{});
    case 16: return f(Bytes16{});
    default: fail("cannot move elements of dtype {}", dtype_name(dtype));
  }
}

template <class T>
void remap_typed(const Tensor& src_t, Tensor& out, const Shape& shape, const Offsets& offsets, const Tensor* fill_t) {
  T fill{};
  if (fill_t) fill = elems<T>(*fill_t)[0];
  const T* src = elems<T>(src_t);
  T* dst = elems<T>(out);
  const std::size_t rank = shape.size();
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t outer = inner == 0 ? 0 : out.num_elements() / inner;
  const auto& last = offsets[rank - 1];
  std::vector<int64_t> idx(rank - 1, 0);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t base = 0;
    bool pad = false;
    for (std::size_t d = 0; d + 1 < rank; ++d) {
      const int64_t off = offsets[d][static_cast<std::size_t>(idx[d])];
      pad = pad || off < 0;
      base += off;
    }
    T* row = dst + o * inner;
    if (pad) {
      for (int64_t i = 0; i < inner; ++i) row[i] = fill;
    } else {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t off = last[static_cast<std::size_t>(i)];
        row[i] = off < 0 ? fill : src[base + off];
      }
    }
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

void check_movable(const KernelContext& ctx, const Tensor& t) {
  if (t.dtype != tfprod::tf::DT_STRING && dtype_size(t.dtype) == 0)
    ctx.fail("cannot move elements of dtype {}", dtype_name(t.dtype));
}

void copy_elements(const Tensor& src, int64_t si, Tensor& dst, int64_t di, int64_t count) {
  if (count <= 0) return;
  if (src.dtype == tfprod::tf::DT_STRING) {
    std::copy_n(src.strings.begin() + si, count, dst.strings.begin() + di);
    return;
  }
  const auto size = static_cast<int64_t>(dtype_size(src.dtype));
  std::memcpy(dst.data.data() + di * size, src.data.data() + si * size, static_cast<std::size_t>(count * size));
}

void remap_into(const Tensor& src, Tensor& out, const Offsets& offsets, const Tensor* fill) {
  if (out.num_elements() == 0) return;
  with_element_type(src.dtype, [&](auto v) { remap_typed<decltype(v)>(src, out, out.shape, offsets, fill); });
}

Tensor remap(const Tensor& src, const Shape& out_shape, const Offsets& offsets, const Tensor* fill) {
  Tensor out = make_tensor(src.dtype, out_shape);
  remap_into(src, out, offsets, fill);
  return out;
}

int64_t scalar_arg(const KernelContext& ctx, std::size_t input, const char* what) {
  const Tensor& t = ctx.input(input);
  if (t.shape.size() > 1 || t.num_elements() != 1)
    ctx.fail("{} must be a scalar, got shape {}", what, shape_string(t.shape));
  if (t.dtype != tfprod::tf::DT_INT32 && t.dtype != tfprod::tf::DT_INT64)
    ctx.fail("{} must be int32 or int64, got {}", what, dtype_name(t.dtype));
  return element_as_int(t, 0);
}

std::vector<int64_t> ints_arg(const KernelContext& ctx, std::size_t input, const char* what) {
  const Tensor& t = ctx.input(input);
  if (t.shape.size() > 1) ctx.fail("{} must be a vector, got shape {}", what, shape_string(t.shape));
  if (t.dtype != tfprod::tf::DT_INT32 && t.dtype != tfprod::tf::DT_INT64)
    ctx.fail("{} must be int32 or int64, got {}", what, dtype_name(t.dtype));
  return as_ints(t);
}

Tensor int_tensor(const KernelContext& ctx, DataType dtype, Shape shape, const std::vector<int64_t>& v) {
  Tensor out = make_tensor(dtype, std::move(shape));
  if (dtype == tfprod::tf::DT_INT64) {
    std::copy(v.begin(), v.end(), values<int64_t>(out).begin());
  } else if (dtype == tfprod::tf::DT_INT32) {
    auto dst = values<int32_t>(out);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] < std::numeric_limits<int32_t>::min() || v[i] > std::numeric_limits<int32_t>::max())
        ctx.fail("value {} does not fit the output type DT_INT32", v[i]);
      dst[i] = static_cast<int32_t>(v[i]);
    }
  } else {
    ctx.fail("output type must be DT_INT32 or DT_INT64, got {}", dtype_name(dtype));
  }
  return out;
}

int64_t dims_product(const Shape& shape, std::size_t from, std::size_t to) {
  return num_elements(Shape(shape.begin() + static_cast<std::ptrdiff_t>(from), shape.begin() + static_cast<std::ptrdiff_t>(to)));
}

}  // namespace tfprod::eval
