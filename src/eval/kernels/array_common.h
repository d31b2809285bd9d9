// Shared helpers for the shape and array kernel families: moving elements of
// any fixed-size dtype by byte size (and DT_STRING by value), the generic
// per-dimension remap that Slice, StridedSlice, Transpose, Tile, Pad,
// MirrorPad, ReverseV2, BroadcastTo and Gather are built on, and the
// registrations of the array sub-families.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/kernel.h"
#include "eval/tensor_util.h"

namespace tfprod::eval {

// Fails unless elements of t's dtype can be moved (fixed-size or DT_STRING).
void check_movable(const KernelContext& ctx, const Tensor& t);

// Copies `count` elements src[si..] -> dst[di..]; both tensors share a dtype.
void copy_elements(const Tensor& src, int64_t si, Tensor& dst, int64_t di, int64_t count);

// A tensor of src's dtype and `out_shape` where the element at index
// (i0, ..., ik) is src's flat element sum_d offsets[d][i_d], or `fill`'s
// element 0 (zero / empty string when null) where any offsets[d][i_d] < 0.
// offsets[d] has out_shape[d] entries.
using Offsets = std::vector<std::vector<int64_t>>;
Tensor remap(const Tensor& src, const Shape& out_shape, const Offsets& offsets, const Tensor* fill = nullptr);
// The same into an allocated output of src's dtype.
void remap_into(const Tensor& src, Tensor& out, const Offsets& offsets, const Tensor* fill = nullptr);

// remap with offsets[d][i] = offset(d, i). The output is allocated (and its
// size checked) before the tables are built; none are built when it is empty.
template <class F>
Tensor remap_by(const Tensor& src, const Shape& out_shape, F&& offset, const Tensor* fill = nullptr) {
  Tensor out = make_tensor(src.dtype, out_shape);
  if (out.num_elements() == 0) return out;
  Offsets offsets(out_shape.size());
  for (std::size_t d = 0; d < out_shape.size(); ++d) {
    offsets[d].resize(static_cast<std::size_t>(out_shape[d]));
    for (int64_t i = 0; i < out_shape[d]; ++i) offsets[d][static_cast<std::size_t>(i)] = offset(d, i);
  }
  remap_into(src, out, offsets, fill);
  return out;
}

// A scalar integer input (0-D, or 1-D of one element).
int64_t scalar_arg(const KernelContext& ctx, std::size_t input, const char* what);
// An integer vector input (0-D or 1-D).
std::vector<int64_t> ints_arg(const KernelContext& ctx, std::size_t input, const char* what);

// An int32 or int64 tensor of `shape` holding v; fails when a value does
// not fit int32.
Tensor int_tensor(const KernelContext& ctx, DataType dtype, Shape shape, const std::vector<int64_t>& v);

// Product of dims [from, to) of shape; throws on overflow.
int64_t dims_product(const Shape& shape, std::size_t from, std::size_t to);

void register_array_slice(KernelTable& table);      // Slice, StridedSlice
void register_array_concat(KernelTable& table);     // Concat, ConcatV2, Pack, Unpack, Split, SplitV
void register_array_transform(KernelTable& table);  // Transpose, Tile, Pad, PadV2, MirrorPad, ReverseV2

}  // namespace tfprod::eval
