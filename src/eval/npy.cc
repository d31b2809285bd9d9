// .npy: "\x93NUMPY", version (1|2|3).0, header length (2 or 4 bytes LE), a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3)},
// padding, then the raw array.
#include "tfprod/npy.h"

#include <algorithm>
#include <cstring>

#include "eval/tensor_util.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"

namespace tfprod {

namespace {

struct Descr {
  DataType dtype;
  std::size_t size;
  bool big_endian;
};

Descr parse_descr(const std::string& d, const std::string& file) {
  if (d.size() < 3) fail("{}: unsupported dtype '{}'", file, d);
  const char order = d[0];
  const std::string kind = d.substr(1);
  static const std::pair<const char*, DataType> kinds[] = {
      {"f4", tfprod::tf::DT_FLOAT}, {"f8", tfprod::tf::DT_DOUBLE}, {"f2", tfprod::tf::DT_HALF},
      {"i1", tfprod::tf::DT_INT8},  {"i2", tfprod::tf::DT_INT16},  {"i4", tfprod::tf::DT_INT32},
      {"i8", tfprod::tf::DT_INT64}, {"u1", tfprod::tf::DT_UINT8},  {"u2", tfprod::tf::DT_UINT16},
      {"u4", tfprod::tf::DT_UINT32}, {"u8", tfprod::tf::DT_UINT64}, {"b1", tfprod::tf::DT_BOOL}};
  for (const auto& [k, t] : kinds)
    if (kind == k) return {t, dtype_size(t), order == '>'};
  fail("{}: unsupported dtype '{}' (numeric and bool arrays only)", file, d);
}

std::string value_of(const std::string& header, const std::string& key, const std::string& file) {
  auto k = header.find("'" + key + "'");
  if (k == std::string::npos) fail("{}: .npy header has no '{}'", file, key);
  auto colon = header.find(':', k);
  if (colon == std::string::npos) fail("{}: malformed .npy header", file);
  std::size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) fail("{}: malformed .npy header", file);
  std::size_t end;
  if (header[start] == '\'') {
    end = header.find('\'', start + 1);
    return header.substr(start + 1, end - start - 1);
  }
  if (header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) fail("{}: malformed .npy shape", file);
    return header.substr(start + 1, end - start - 1);
  }
  end = header.find_first_of(",}", start);
  return header.substr(start, end - start);
}

void byte_swap(std::string& data, std::size_t size) {
  if (size < 2) return;
  for (std::size_t i = 0; i + size <= data.size(); i += size) std::reverse(data.begin() + i, data.begin() + i + size);
}

}  // namespace

Tensor read_npy(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::string bytes = read_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file (bad magic)", file);
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", file);
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  } else {
    fail("{}: unsupported .npy version {}", file, major);
  }
  if (offset + header_len > bytes.size()) fail("{}: truncated .npy header", file);
  const std::string header = bytes.substr(offset, header_len);
  const Descr descr = parse_descr(value_of(header, "descr", file), file);
  const bool fortran = value_of(header, "fortran_order", file).find("True") != std::string::npos;
  Tensor t;
  t.dtype = descr.dtype;
  std::string dims = value_of(header, "shape", file);
  for (std::size_t i = 0; i < dims.size();) {
    std::size_t j = dims.find(',', i);
    if (j == std::string::npos) j = dims.size();
    std::string d = dims.substr(i, j - i);
    d.erase(std::remove(d.begin(), d.end(), ' '), d.end());
    if (!d.empty()) {
      if (d.find_first_not_of("0123456789") != std::string::npos || d.size() > 15)
        fail("{}: malformed .npy shape ({})", file, dims);
      t.shape.push_back(std::stoll(d));
    }
    i = j + 1;
  }
  int64_t n = 0;
  try {
    n = num_elements(t.shape);
  } catch (const Error& e) {
    fail("{}: {}", file, e.what());
  }
  const std::size_t data_offset = offset + header_len;
  if (static_cast<uint64_t>(n) > (bytes.size() - data_offset) / descr.size ||
      static_cast<uint64_t>(n) * descr.size != bytes.size() - data_offset)
    fail("{}: shape {} of {} needs {} bytes, the file holds {}", file, shape_string(t.shape), dtype_name(t.dtype),
         static_cast<uint64_t>(n) * descr.size, bytes.size() - data_offset);
  t.data = bytes.substr(data_offset);
  if (descr.big_endian) byte_swap(t.data, descr.size);
  if (fortran && t.shape.size() > 1 && n > 0) {  // (an empty tensor has nothing to reorder)
    // Column-major: element (i0..ik) lives at sum(i_d * fstride_d), fstride_0 = 1.
    Tensor c = t;
    const Shape cstride = eval::strides_of(t.shape);
    Shape fstride(t.shape.size(), 1);
    for (std::size_t d = 1; d < t.shape.size(); ++d) fstride[d] = fstride[d - 1] * t.shape[d - 1];
    for (int64_t i = 0; i < n; ++i) {
      int64_t rest = i, src = 0;
      for (std::size_t d = 0; d < t.shape.size(); ++d) {
        src += (rest / cstride[d]) * fstride[d];
        rest %= cstride[d];
      }
      std::memcpy(c.data.data() + i * descr.size, t.data.data() + src * descr.size, descr.size);
    }
    t = std::move(c);
  }
  return t;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  Tensor t = tensor.dtype == tfprod::tf::DT_BFLOAT16 ? eval::to_float32(tensor) : tensor;
  const char* descr = nullptr;
  switch (t.dtype) {
    case tfprod::tf::DT_FLOAT: descr = "<f4"; break;
    case tfprod::tf::DT_DOUBLE: descr = "<f8"; break;
    case tfprod::tf::DT_HALF: descr = "<f2"; break;
    case tfprod::tf::DT_INT8: descr = "|i1"; break;
    case tfprod::tf::DT_INT16: descr = "<i2"; break;
    case tfprod::tf::DT_INT32: descr = "<i4"; break;
    case tfprod::tf::DT_INT64: descr = "<i8"; break;
    case tfprod::tf::DT_UINT8: descr = "|u1"; break;
    case tfprod::tf::DT_UINT16: descr = "<u2"; break;
    case tfprod::tf::DT_UINT32: descr = "<u4"; break;
    case tfprod::tf::DT_UINT64: descr = "<u8"; break;
    case tfprod::tf::DT_BOOL: descr = "|b1"; break;
    default: fail("{}: cannot write {} as .npy", path.string(), dtype_name(t.dtype));
  }
  std::string shape;
  for (int64_t d : t.shape) shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1) shape.resize(shape.size() - 2);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out += t.data;
  write_file_atomically(path, out);
}

}  // namespace tfprod
