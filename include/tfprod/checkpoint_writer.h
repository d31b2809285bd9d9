// Writes V2 bundles the way TensorFlow's BundleWriter does (same table layout,
// same entry fields, tensors laid out in the order they are added), so a
// checkpoint read and rewritten is byte-identical. For tests, examples and
// benchmarks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tfprod/tensor.h"

namespace tfprod {

struct BundleWriterOptions {
  int num_shards = 1;           // tensors go round-robin over shards
  bool big_endian = false;      // write a big-endian bundle (tests only)
};

struct SliceExtent {
  int64_t start = 0;
  int64_t length = -1;  // -1: the whole dimension

  friend bool operator==(const SliceExtent&, const SliceExtent&) = default;
};

class BundleWriter {
 public:
  explicit BundleWriter(std::string prefix, BundleWriterOptions options = {});
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  void add(const std::string& name, const Tensor& tensor);
  // One slice of a partitioned variable of `full_shape`.
  void add_slice(const std::string& name, const Shape& full_shape,
                 const std::vector<SliceExtent>& slice, const Tensor& slice_tensor);
  // Writes the .index; files are written to temporaries and renamed here.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tfprod
