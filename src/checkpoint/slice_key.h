// The table key under which one slice of a partitioned tensor is stored, in
// V2 bundles and V1 checkpoints alike: TensorFlow's
// checkpoint::EncodeTensorNameSlice, an OrderedCode sequence
//
//   NumIncreasing(0) String(name) NumIncreasing(rank)
//   { SignedNumIncreasing(start) SignedNumIncreasing(length or -1) } per dim
//
// Such keys begin with a 0x00 byte, which no tensor name can, so a reader
// tells slice keys from tensor names by their first byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfprod/checkpoint_writer.h"  // SliceExtent

namespace tfprod::checkpoint {

std::string encode_slice_key(std::string_view name, const std::vector<SliceExtent>& extents);

struct DecodedSliceKey {
  std::string name;
  std::vector<SliceExtent> extents;
};
// nullopt when `key` is not a well-formed slice key.
std::optional<DecodedSliceKey> decode_slice_key(std::string_view key);

inline bool is_slice_key(std::string_view key) { return !key.empty() && key[0] == '\0'; }

// OrderedCode primitives, exposed for tests.
void ordered_write_num_increasing(std::string* dest, uint64_t value);
void ordered_write_signed_num_increasing(std::string* dest, int64_t value);
void ordered_write_string(std::string* dest, std::string_view s);
bool ordered_read_num_increasing(std::string_view* src, uint64_t* value);
bool ordered_read_signed_num_increasing(std::string_view* src, int64_t* value);
bool ordered_read_string(std::string_view* src, std::string* value);

}  // namespace tfprod::checkpoint
