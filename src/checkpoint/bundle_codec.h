// How a V2 bundle lays out one tensor's bytes in a data shard, both ways:
//
//   fixed-size dtypes  the elements, little-endian (big-endian in a BIG
//                      bundle); crc32c over the bytes as stored.
//   DT_STRING          varint64 length of every element, a 4-byte masked
//                      crc32c of the lengths, then the string bytes. The
//                      entry's crc32c covers each length as a 4-byte integer
//                      in the bundle's byte order (8 bytes if >= 2^32), then
//                      the 4 stored checksum bytes, then the string bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tfprod/dtype.h"

namespace tfprod::checkpoint {

// Reverses the bytes of every element in place (each half of a complex).
void byte_swap_elements(char* data, std::size_t bytes, DataType dtype);

// Serialises `strings`; `*crc` receives the (unmasked) crc32c of the entry.
std::string encode_string_tensor(const std::vector<std::string>& strings, bool big_endian,
                                 uint32_t* crc);

// Parses `count` strings from `bytes`, returning them and the crc32c the
// entry should carry. Throws Error with `context` ("file: tensor") on
// malformed data or a wrong length checksum.
std::vector<std::string> decode_string_tensor(std::string_view bytes, int64_t count, bool big_endian,
                                              uint32_t* crc, const std::string& context);

}  // namespace tfprod::checkpoint
