// Slice geometry and the strided slice copy (see slice.h).
#include "checkpoint/slice.h"

#include <cstring>

#include "tfprod/tf/framework/tensor_slice.pb.h"
#include "tfprod/error.h"

namespace tfprod::checkpoint {

std::vector<SliceExtent> extents_from_proto(const tfprod::tf::TensorSliceProto& proto) {
  std::vector<SliceExtent> out;
  out.reserve(static_cast<std::size_t>(proto.extent_size()));
  for (const auto& e : proto.extent()) {
    if (e.has_length_case() == tfprod::tf::TensorSliceProto::Extent::kLength)
      out.push_back({e.start(), e.length()});
    else
      out.push_back({0, -1});
  }
  return out;
}

void extents_to_proto(const std::vector<SliceExtent>& extents, tfprod::tf::TensorSliceProto* proto) {
  proto->Clear();
  for (const SliceExtent& e : extents) {
    auto* out = proto->add_extent();
    if (e.length >= 0) {
      out->set_start(e.start);
      out->set_length(e.length);
    }
  }
}

std::string slice_string(const std::vector<SliceExtent>& extents) {
  std::string s;
  for (std::size_t d = 0; d < extents.size(); ++d) {
    if (d) s += ':';
    if (extents[d].length < 0)
      s += '-';
    else
      s += std::to_string(extents[d].start) + ',' + std::to_string(extents[d].length);
  }
  return s;
}

SliceBox resolve_slice(const Shape& full, const std::vector<SliceExtent>& extents) {
  if (extents.size() != full.size())
    fail("slice {} has {} dimensions, the tensor {} has {}", slice_string(extents), extents.size(),
         shape_string(full), full.size());
  SliceBox box;
  for (std::size_t d = 0; d < full.size(); ++d) {
    const SliceExtent& e = extents[d];
    if (e.length < 0) {
      if (e.start != 0) fail("slice {}: a whole dimension must start at 0", slice_string(extents));
      box.start.push_back(0);
      box.size.push_back(full[d]);
    } else {
      if (e.start < 0 || e.start > full[d] || e.length > full[d] - e.start)
        fail("slice {} falls outside the tensor shape {}", slice_string(extents), shape_string(full));
      box.start.push_back(e.start);
      box.size.push_back(e.length);
    }
  }
  return box;
}

bool covers_all(const Shape& full, const SliceBox& box) { return box.size == full; }

void check_slices_tile(const Shape& full, const std::vector<SliceBox>& boxes) {
  // Disjoint boxes whose volumes add up to the whole cover it exactly.
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    for (std::size_t j = i + 1; j < boxes.size(); ++j) {
      bool overlap = true;
      for (std::size_t d = 0; d < full.size() && overlap; ++d) {
        const int64_t lo = std::max(boxes[i].start[d], boxes[j].start[d]);
        const int64_t hi = std::min(boxes[i].start[d] + boxes[i].size[d], boxes[j].start[d] + boxes[j].size[d]);
        overlap = lo < hi;
      }
      if (overlap && num_elements(boxes[i].size) > 0 && num_elements(boxes[j].size) > 0)
        fail("slices {} and {} overlap", i, j);
    }
  }
  int64_t covered = 0;
  for (const SliceBox& b : boxes) covered += num_elements(b.size);
  const int64_t total = num_elements(full);
  if (covered != total)
    fail("the {} slices cover {} of the {} elements of shape {}", boxes.size(), covered, total,
         shape_string(full));
}

namespace {

// Calls run(src_index, dst_index, count) for each contiguous run of the slice,
// in source order; indices count elements.
template <class Run>
void for_each_run(const Shape& full, const SliceBox& box, Run&& run) {
  const std::size_t rank = full.size();
  if (rank == 0) {
    run(0, 0, 1);
    return;
  }
  if (num_elements(box.size) == 0) return;
  std::vector<int64_t> stride(rank, 1);
  for (std::size_t d = rank - 1; d > 0; --d) stride[d - 1] = stride[d] * full[d];
  // The innermost dims that the slice covers whole merge with the last
  // partial one into a single contiguous run.
  std::size_t inner = rank - 1;
  int64_t run_length = box.size[inner];
  while (inner > 0 && box.size[inner] == full[inner]) {
    --inner;
    run_length *= box.size[inner];
  }
  std::vector<int64_t> index(inner, 0);  // position in the outer dims
  int64_t src = 0;
  while (true) {
    int64_t dst = box.start[inner] * stride[inner];
    for (std::size_t d = 0; d < inner; ++d) dst += (box.start[d] + index[d]) * stride[d];
    run(src, dst, run_length);
    src += run_length;
    std::size_t d = inner;
    while (d > 0) {
      --d;
      if (++index[d] < box.size[d]) break;
      index[d] = 0;
      if (d == 0) return;
    }
    if (inner == 0) return;
  }
}

}  // namespace

void copy_slice(const Shape& full, const SliceBox& box, const char* src, char* dst,
                std::size_t element_size) {
  for_each_run(full, box, [&](int64_t s, int64_t d, int64_t n) {
    std::memcpy(dst + static_cast<std::size_t>(d) * element_size,
                src + static_cast<std::size_t>(s) * element_size,
                static_cast<std::size_t>(n) * element_size);
  });
}

void copy_slice(const Shape& full, const SliceBox& box, std::vector<std::string>&& src,
                std::vector<std::string>& dst) {
  for_each_run(full, box, [&](int64_t s, int64_t d, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      dst[static_cast<std::size_t>(d + i)] = std::move(src[static_cast<std::size_t>(s + i)]);
  });
}

}  // namespace tfprod::checkpoint
