// Geometry of partitioned tensors, shared by the V1 and V2 readers and the
// writer: slice extents against a full shape, TF's "0,2:-" notation, a check
// that a set of slices tiles the full tensor exactly, and the strided copy of
// one slice's elements into the full tensor.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tfprod/checkpoint_writer.h"  // SliceExtent
#include "tfprod/tensor.h"

namespace tfprod::tf {
class TensorSliceProto;
}

namespace tfprod::checkpoint {

// A slice resolved against its full shape: where it starts and how big it is.
struct SliceBox {
  Shape start;
  Shape size;
};

std::vector<SliceExtent> extents_from_proto(const tfprod::tf::TensorSliceProto& proto);
// TF's TensorSlice::AsProto: a whole dimension is an empty Extent.
void extents_to_proto(const std::vector<SliceExtent>& extents, tfprod::tf::TensorSliceProto* proto);

// "0,2:-" (start,length per dim; "-" for a whole dimension).
std::string slice_string(const std::vector<SliceExtent>& extents);

// Throws Error (message without file context) when the rank differs or an
// extent falls outside the full shape.
SliceBox resolve_slice(const Shape& full, const std::vector<SliceExtent>& extents);

// True when the slice covers every element of `full`.
bool covers_all(const Shape& full, const SliceBox& box);

// Throws Error (message without file context) unless the boxes are pairwise
// disjoint and together cover the full shape.
void check_slices_tile(const Shape& full, const std::vector<SliceBox>& boxes);

// Copies the elements of a slice (stored densely, row-major) to their places
// in the full tensor. Sizes must already be checked.
void copy_slice(const Shape& full, const SliceBox& box, const char* src, char* dst,
                std::size_t element_size);
void copy_slice(const Shape& full, const SliceBox& box, std::vector<std::string>&& src,
                std::vector<std::string>& dst);

}  // namespace tfprod::checkpoint
