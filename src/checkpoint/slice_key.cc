// OrderedCode encoding of slice keys (see slice_key.h). The byte layout is
// TensorFlow's (tensorflow/core/lib/strings/ordered_code.cc); this is an
// independent implementation from its documented format:
//
//   NumIncreasing    length byte, then the value big-endian without leading 0s
//   String           bytes with 0x00 -> 00 FF and 0xFF -> FF 00, then 00 01
//   SignedNumIncr.   a sign bit (1 = non-negative), then as many further copies
//                    of the sign bit as there are extra bytes, a delimiter bit
//                    of the opposite value, then the two's complement payload,
//                    big-endian; 1 byte holds [-64, 64), n bytes [-2^(7n-1), 2^(7n-1))
#include "checkpoint/slice_key.h"

#include <bit>
#include <cstdint>

namespace tfprod::checkpoint {

namespace {

// First two header bytes for each encoded length (index = length in bytes).
constexpr unsigned char kHeader[11][2] = {{0, 0},       {0x80, 0},    {0xc0, 0},    {0xe0, 0},
                                          {0xf0, 0},    {0xf8, 0},    {0xfc, 0},    {0xfe, 0},
                                          {0xff, 0},    {0xff, 0x80}, {0xff, 0xc0}};
// Header bits that overlap the payload once loaded as a big-endian word.
constexpr uint64_t kHeaderMask[11] = {0,
                                      0x80ull,
                                      0xc000ull,
                                      0xe00000ull,
                                      0xf0000000ull,
                                      0xf800000000ull,
                                      0xfc0000000000ull,
                                      0xfe000000000000ull,
                                      0xff00000000000000ull,
                                      0x8000000000000000ull,
                                      0};

int floor_log2(uint64_t x) { return x == 0 ? -1 : 63 - std::countl_zero(x); }

}  // namespace

void ordered_write_num_increasing(std::string* dest, uint64_t value) {
  unsigned char bytes[8];
  int n = 0;
  for (; value > 0; value >>= 8) bytes[7 - n++] = static_cast<unsigned char>(value & 0xff);
  dest->push_back(static_cast<char>(n));
  dest->append(reinterpret_cast<const char*>(bytes + 8 - n), static_cast<std::size_t>(n));
}

void ordered_write_string(std::string* dest, std::string_view s) {
  for (char c : s) {
    if (c == '\0') {
      dest->append("\x00\xff", 2);
    } else if (c == '\xff') {
      dest->append("\xff\x00", 2);
    } else {
      dest->push_back(c);
    }
  }
  dest->append("\x00\x01", 2);
}

void ordered_write_signed_num_increasing(std::string* dest, int64_t value) {
  const uint64_t magnitude = value < 0 ? ~static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const int length = (floor_log2(magnitude) + 1) / 7 + 1;  // 1..10 bytes
  unsigned char buf[10];
  const unsigned char sign = value < 0 ? 0xff : 0x00;
  buf[0] = buf[1] = sign;
  for (int i = 0; i < 8; ++i) buf[2 + i] = static_cast<unsigned char>(static_cast<uint64_t>(value) >> (56 - 8 * i));
  unsigned char* begin = buf + 10 - length;
  begin[0] ^= kHeader[length][0];
  if (length >= 2) begin[1] ^= kHeader[length][1];
  dest->append(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(length));
}

bool ordered_read_num_increasing(std::string_view* src, uint64_t* value) {
  if (src->empty()) return false;
  const std::size_t n = static_cast<unsigned char>((*src)[0]);
  if (n > 8 || n + 1 > src->size()) return false;
  uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>((*src)[1 + i]);
  *value = v;
  src->remove_prefix(n + 1);
  return true;
}

bool ordered_read_string(std::string_view* src, std::string* value) {
  std::string out;
  for (std::size_t i = 0; i + 1 < src->size(); ++i) {
    const char c = (*src)[i];
    if (c != '\0' && c != '\xff') {
      out.push_back(c);
      continue;
    }
    const char next = (*src)[++i];
    if (c == '\0' && next == '\x01') {
      *value = std::move(out);
      src->remove_prefix(i + 1);
      return true;
    }
    if (c == '\0' && next == '\xff') {
      out.push_back('\0');
    } else if (c == '\xff' && next == '\x00') {
      out.push_back('\xff');
    } else {
      return false;
    }
  }
  return false;  // no terminator
}

bool ordered_read_signed_num_increasing(std::string_view* src, int64_t* value) {
  if (src->empty()) return false;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>((*src)[i]); };
  const bool negative = (byte(0) & 0x80) == 0;
  const uint64_t flip = negative ? ~uint64_t{0} : 0;
  const auto unflipped = [&](std::size_t i) { return static_cast<unsigned char>(byte(i) ^ (flip & 0xff)); };
  int length;
  uint64_t x;
  const unsigned char first = unflipped(0);
  if (first != 0xff) {
    length = 7 - floor_log2(static_cast<uint64_t>(first ^ 0xff));
    if (src->size() < static_cast<std::size_t>(length)) return false;
    x = flip;  // sign-extends the payload
    for (int i = 0; i < length; ++i) x = (x << 8) | byte(static_cast<std::size_t>(i));
  } else {
    length = 8;
    if (src->size() < 8) return false;
    const unsigned char second = unflipped(1);
    if (second >= 0x80) {
      if (second < 0xc0) {
        length = 9;
      } else {
        if (src->size() < 3 || second != 0xc0 || unflipped(2) >= 0x80) return false;
        length = 10;
      }
      if (src->size() < static_cast<std::size_t>(length)) return false;
    }
    x = 0;
    for (int i = length - 8; i < length; ++i) x = (x << 8) | byte(static_cast<std::size_t>(i));
  }
  x ^= kHeaderMask[length];
  *value = static_cast<int64_t>(x);
  src->remove_prefix(static_cast<std::size_t>(length));
  return true;
}

std::string encode_slice_key(std::string_view name, const std::vector<SliceExtent>& extents) {
  std::string key;
  ordered_write_num_increasing(&key, 0);
  ordered_write_string(&key, name);
  ordered_write_num_increasing(&key, extents.size());
  for (const SliceExtent& e : extents) {
    // A whole dimension is written as start 0, length -1.
    const bool full = e.length < 0;
    ordered_write_signed_num_increasing(&key, full ? 0 : e.start);
    ordered_write_signed_num_increasing(&key, full ? -1 : e.length);
  }
  return key;
}

std::optional<DecodedSliceKey> decode_slice_key(std::string_view key) {
  uint64_t zero = 1, rank = 0;
  DecodedSliceKey out;
  if (!ordered_read_num_increasing(&key, &zero) || zero != 0) return std::nullopt;
  if (!ordered_read_string(&key, &out.name)) return std::nullopt;
  if (!ordered_read_num_increasing(&key, &rank) || rank == 0 || rank > 254) return std::nullopt;
  for (uint64_t d = 0; d < rank; ++d) {
    int64_t start = 0, length = 0;
    if (!ordered_read_signed_num_increasing(&key, &start)) return std::nullopt;
    if (!ordered_read_signed_num_increasing(&key, &length)) return std::nullopt;
    out.extents.push_back(length >= 0 ? SliceExtent{start, length} : SliceExtent{0, -1});
  }
  if (!key.empty()) return std::nullopt;
  return out;
}

}  // namespace tfprod::checkpoint
