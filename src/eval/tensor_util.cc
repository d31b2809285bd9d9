#include "eval/tensor_util.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "tfprod/error.h"

namespace tfprod::eval {

Tensor make_tensor(DataType dtype, Shape shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const int64_t n = num_elements(t.shape);
  if (dtype == tfprod::tf::DT_STRING) {
    t.strings.assign(static_cast<std::size_t>(n), std::string());
    return t;
  }
  const std::size_t size = dtype_size(dtype);
  if (size == 0) fail("cannot make a tensor of dtype {}", dtype_name(dtype));
  if (static_cast<uint64_t>(n) > (uint64_t{1} << 40) / size)
    fail("tensor of shape {} is too large", shape_string(t.shape));
  t.data.assign(static_cast<std::size_t>(n) * size, '\0');
  return t;
}

bool is_reduced_float(DataType t) { return t == tfprod::tf::DT_HALF || t == tfprod::tf::DT_BFLOAT16; }

Tensor to_float32(const Tensor& t) {
  if (!is_reduced_float(t.dtype)) return t;
  Tensor out;
  out.dtype = tfprod::tf::DT_FLOAT;
  out.shape = t.shape;
  append_float32(t.data.data(), t.data.size() / sizeof(uint16_t), t.dtype, out.data);
  return out;
}

void append_float32(const char* bytes, std::size_t count, DataType from, std::string& out) {
  if (!is_reduced_float(from)) fail("append_float32: {} is not half or bfloat16", dtype_name(from));
  const bool half = from == tfprod::tf::DT_HALF;
  out.reserve(out.size() + count * sizeof(float));
  constexpr std::size_t kChunk = 2048;
  uint16_t in[kChunk];
  float wide[kChunk];
  for (std::size_t done = 0; done < count;) {
    const std::size_t k = std::min(kChunk, count - done);
    std::memcpy(in, bytes + done * sizeof(uint16_t), k * sizeof(uint16_t));
    for (std::size_t i = 0; i < k; ++i) wide[i] = half ? half_to_float(in[i]) : bfloat16_to_float(in[i]);
    out.append(reinterpret_cast<const char*>(wide), k * sizeof(float));
    done += k;
  }
}

Tensor from_float32(const Tensor& t, DataType target) {
  if (!is_reduced_float(target)) return t;
  Tensor out = make_tensor(target, t.shape);
  auto src = values<float>(t);
  auto dst = values<uint16_t>(out);
  const bool half = target == tfprod::tf::DT_HALF;
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = half ? float_to_half(src[i]) : float_to_bfloat16(src[i]);
  return out;
}

double element_as_double(const Tensor& t, int64_t i) {
  double out = 0;
  if (t.dtype == tfprod::tf::DT_BOOL) return static_cast<double>(values<uint8_t>(t)[static_cast<std::size_t>(i)] != 0);
  if (t.dtype == tfprod::tf::DT_HALF) return half_to_float(values<uint16_t>(t)[static_cast<std::size_t>(i)]);
  if (t.dtype == tfprod::tf::DT_BFLOAT16) return bfloat16_to_float(values<uint16_t>(t)[static_cast<std::size_t>(i)]);
  if (!dispatch_numeric(t.dtype, [&](auto v) {
        using T = decltype(v);
        out = static_cast<double>(values<T>(t)[static_cast<std::size_t>(i)]);
      }))
    fail("dtype {} is not numeric", dtype_name(t.dtype));
  return out;
}

int64_t element_as_int(const Tensor& t, int64_t i) {
  int64_t out = 0;
  if (!dispatch_numeric(t.dtype, [&](auto v) {
        using T = decltype(v);
        out = static_cast<int64_t>(values<T>(t)[static_cast<std::size_t>(i)]);
      }))
    fail("expected an integer tensor, got {}", dtype_name(t.dtype));
  return out;
}

std::vector<int64_t> as_ints(const Tensor& t) {
  if (t.shape.size() > 1) fail("expected a scalar or vector, got shape {}", shape_string(t.shape));
  const int64_t n = t.num_elements();
  std::vector<int64_t> out(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = element_as_int(t, i);
  return out;
}

Shape strides_of(const Shape& shape) {
  // Saturating: a shape with a 0 dim holds nothing, yet its other dims may
  // multiply past int64 (a fuzzed .npy did); no element is addressed then.
  // For a tensor with elements the product fits (num_elements checks it).
  Shape s(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;)
    if (__builtin_mul_overflow(s[d], shape[d], &s[d - 1])) s[d - 1] = std::numeric_limits<int64_t>::max();
  return s;
}

bool normalize_axis(int64_t* axis, int64_t rank) {
  if (*axis < 0) *axis += rank;
  return *axis >= 0 && *axis < rank;
}

}  // namespace tfprod::eval

namespace tfprod::eval {

namespace {
template <class From, class To>
void convert(const Tensor& in, Tensor& out) {
  auto src = values<From>(in);
  auto dst = values<To>(out);
  for (std::size_t i = 0; i < src.size(); ++i) {
    if constexpr (std::is_same_v<To, uint8_t> && std::is_same_v<From, bool>) {
      dst[i] = src[i];
    } else {
      dst[i] = static_cast<To>(src[i]);
    }
  }
}
}  // namespace

Tensor cast(const Tensor& t, DataType target) {
  if (t.dtype == target) return t;
  if (is_reduced_float(t.dtype)) return cast(to_float32(t), target);
  if (is_reduced_float(target)) return from_float32(cast(t, tfprod::tf::DT_FLOAT), target);
  Tensor out = make_tensor(target, t.shape);
  if (target == tfprod::tf::DT_BOOL) {
    auto dst = values<uint8_t>(out);
    for (int64_t i = 0; i < t.num_elements(); ++i) dst[static_cast<std::size_t>(i)] = element_as_double(t, i) != 0;
    return out;
  }
  if (t.dtype == tfprod::tf::DT_BOOL) {
    auto src = values<uint8_t>(t);
    bool ok = dispatch_numeric(target, [&](auto v) {
      using To = decltype(v);
      auto dst = values<To>(out);
      for (std::size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<To>(src[i] != 0);
    });
    if (!ok) fail("cannot cast DT_BOOL to {}", dtype_name(target));
    return out;
  }
  bool ok = dispatch_numeric(t.dtype, [&](auto a) {
    using From = decltype(a);
    ok = dispatch_numeric(target, [&](auto b) {
      using To = decltype(b);
      convert<From, To>(t, out);
    });
  });
  if (!ok) fail("cannot cast {} to {}", dtype_name(t.dtype), dtype_name(target));
  return out;
}

}  // namespace tfprod::eval
