// Typed access to a Tensor's values: element spans, conversions between
// dtypes (as TF's Cast), element reads for shape arguments, and dtype
// dispatch. Public: kernels, passes, the OpenCV runner and library users all
// read tensor values through it.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "tfprod/tensor.h"

namespace tfprod::eval {

// A tensor of `dtype` and `shape`, zero-filled. Throws on overflow.
Tensor make_tensor(DataType dtype, Shape shape);

template <class T>
std::span<T> values(Tensor& t) {
  return {reinterpret_cast<T*>(t.data.data()), t.data.size() / sizeof(T)};
}
template <class T>
std::span<const T> values(const Tensor& t) {
  return {reinterpret_cast<const T*>(t.data.data()), t.data.size() / sizeof(T)};
}

// Half and bfloat16 are computed in float32: widen before, narrow after.
bool is_reduced_float(DataType t);  // DT_HALF or DT_BFLOAT16
Tensor to_float32(const Tensor& t);             // half/bf16 -> float; others copied
Tensor from_float32(const Tensor& t, DataType target);  // float -> half/bf16
// Appends `count` half (or bfloat16) values, read from `bytes` (little-endian,
// any alignment), widened to float32 to `out`, a chunk at a time: the output
// is written once, with no zero fill before it.
void append_float32(const char* bytes, std::size_t count, DataType from, std::string& out);

// Reads element i of any numeric tensor as double / int64 (for shape
// arguments, axes and indices).
double element_as_double(const Tensor& t, int64_t i);
int64_t element_as_int(const Tensor& t, int64_t i);
// A 0-D or 1-D integer tensor as a vector (shape arguments, axes).
std::vector<int64_t> as_ints(const Tensor& t);

// Calls f(T{}) with T the C++ type of a numeric dtype (half and bfloat16
// excluded: widen them first). Returns false for other dtypes.
template <class F>
bool dispatch_numeric(DataType dtype, F&& f) {
  switch (dtype) {
    case tfprod::tf::DT_FLOAT: f(float{}); return true;
    case tfprod::tf::DT_DOUBLE: f(double{}); return true;
    case tfprod::tf::DT_INT32: f(int32_t{}); return true;
    case tfprod::tf::DT_INT64: f(int64_t{}); return true;
    case tfprod::tf::DT_INT16: f(int16_t{}); return true;
    case tfprod::tf::DT_INT8: f(int8_t{}); return true;
    case tfprod::tf::DT_UINT8: f(uint8_t{}); return true;
    case tfprod::tf::DT_UINT16: f(uint16_t{}); return true;
    case tfprod::tf::DT_UINT32: f(uint32_t{}); return true;
    case tfprod::tf::DT_UINT64: f(uint64_t{}); return true;
    default: return false;
  }
}

// Row-major strides of a shape, in elements.
Shape strides_of(const Shape& shape);

// Normalises a possibly negative axis against `rank`; false when out of range.
bool normalize_axis(int64_t* axis, int64_t rank);

}  // namespace tfprod::eval

namespace tfprod::eval {

// Converts every element to `target` as TF's Cast does (C++ conversions;
// float -> int truncates; bool is x != 0). Half and bfloat16 via float32.
Tensor cast(const Tensor& t, DataType target);

}  // namespace tfprod::eval
