// Tensor byte layouts inside bundle data shards (see bundle_codec.h).
#include "checkpoint/bundle_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/crc32c.h"
#include "tfprod/error.h"

namespace tfprod::checkpoint {

namespace {

uint32_t extend_with_length(uint32_t crc, uint64_t length, bool big_endian) {
  // TF checksums the length as the in-memory integer of the machine that
  // wrote the bundle: 4 bytes when it fits, else 8.
  unsigned char buf[8];
  const std::size_t width = length <= std::numeric_limits<uint32_t>::max() ? 4 : 8;
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t shift = big_endian ? 8 * (width - 1 - i) : 8 * i;
    buf[i] = static_cast<unsigned char>(length >> shift);
  }
  return crc32c::extend(crc, buf, width);
}

void put_u32(std::string* out, uint32_t v, bool big_endian) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (big_endian ? 24 - 8 * i : 8 * i)));
}

uint32_t get_u32(const char* p, bool big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t b = static_cast<unsigned char>(p[i]);
    v |= b << (big_endian ? 24 - 8 * i : 8 * i);
  }
  return v;
}

void put_varint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool get_varint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

void byte_swap_elements(char* data, std::size_t bytes, DataType dtype) {
  std::size_t unit = dtype_size(dtype);
  if (dtype == tfprod::tf::DT_COMPLEX64 || dtype == tfprod::tf::DT_COMPLEX128) unit /= 2;
  if (unit <= 1) return;
  for (std::size_t i = 0; i + unit <= bytes; i += unit) std::reverse(data + i, data + i + unit);
}

std::string encode_string_tensor(const std::vector<std::string>& strings, bool big_endian,
                                 uint32_t* crc) {
  std::size_t total = 4;
  for (const auto& s : strings) total += s.size() + 10;
  std::string out;
  out.reserve(total);
  uint32_t c = 0;
  for (const auto& s : strings) {
    put_varint64(&out, s.size());
    c = extend_with_length(c, s.size(), big_endian);
  }
  const std::size_t checksum_at = out.size();
  put_u32(&out, crc32c::mask(c), big_endian);
  c = crc32c::extend(c, out.data() + checksum_at, 4);
  for (const auto& s : strings) {
    out += s;
    c = crc32c::extend(c, s.data(), s.size());
  }
  *crc = c;
  return out;
}

std::vector<std::string> decode_string_tensor(std::string_view bytes, int64_t count, bool big_endian,
                                              uint32_t* crc, const std::string& context) {
  *crc = 0;
  if (bytes.empty() && count == 0) return {};  // TF's reader accepts an empty entry
  // Every length takes at least one byte: bounds the allocation below.
  if (count < 0 || static_cast<uint64_t>(count) > bytes.size())
    fail("{}: string tensor of {} elements cannot fit in {} bytes", context, count, bytes.size());
  std::vector<uint64_t> lengths(static_cast<std::size_t>(count));
  std::string_view in = bytes;
  uint32_t c = 0;
  for (auto& length : lengths) {
    if (!get_varint64(&in, &length)) fail("{}: corrupt string lengths", context);
    c = extend_with_length(c, length, big_endian);
  }
  if (in.size() < 4) fail("{}: string data ends before its length checksum", context);
  const uint32_t stored = get_u32(in.data(), big_endian);
  if (crc32c::unmask(stored) != c)
    fail("{}: crc32c mismatch in the string lengths (stored {:08x}, computed {:08x}): the data file "
         "is corrupt",
         context, crc32c::unmask(stored), c);
  c = crc32c::extend(c, in.data(), 4);
  in.remove_prefix(4);
  std::vector<std::string> out(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] > in.size())
      fail("{}: string {} of {} bytes runs past the end of the entry", context, i, lengths[i]);
    out[i].assign(in.data(), static_cast<std::size_t>(lengths[i]));
    c = crc32c::extend(c, in.data(), static_cast<std::size_t>(lengths[i]));
    in.remove_prefix(static_cast<std::size_t>(lengths[i]));
  }
  *crc = c;
  return out;
}

}  // namespace tfprod::checkpoint
