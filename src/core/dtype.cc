#include "tfprod/dtype.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tfprod {

DataType base_type(DataType type) {
  int v = static_cast<int>(type);
  return v > 100 ? static_cast<DataType>(v - 100) : type;
}

bool is_ref_type(DataType type) { return static_cast<int>(type) > 100; }

std::size_t dtype_size(DataType type) {
  switch (base_type(type)) {
    case tfprod::tf::DT_FLOAT: return 4;
    case tfprod::tf::DT_DOUBLE: return 8;
    case tfprod::tf::DT_INT32: return 4;
    case tfprod::tf::DT_UINT8: return 1;
    case tfprod::tf::DT_INT16: return 2;
    case tfprod::tf::DT_INT8: return 1;
    case tfprod::tf::DT_COMPLEX64: return 8;
    case tfprod::tf::DT_INT64: return 8;
    case tfprod::tf::DT_BOOL: return 1;
    case tfprod::tf::DT_QINT8: return 1;
    case tfprod::tf::DT_QUINT8: return 1;
    case tfprod::tf::DT_QINT32: return 4;
    case tfprod::tf::DT_BFLOAT16: return 2;
    case tfprod::tf::DT_QINT16: return 2;
    case tfprod::tf::DT_QUINT16: return 2;
    case tfprod::tf::DT_UINT16: return 2;
    case tfprod::tf::DT_COMPLEX128: return 16;
    case tfprod::tf::DT_HALF: return 2;
    case tfprod::tf::DT_UINT32: return 4;
    case tfprod::tf::DT_UINT64: return 8;
    case tfprod::tf::DT_FLOAT8_E5M2: return 1;
    case tfprod::tf::DT_FLOAT8_E4M3FN: return 1;
    default: return 0;
  }
}

std::string dtype_name(DataType type) {
  if (tfprod::tf::DataType_IsValid(type)) return tfprod::tf::DataType_Name(type);
  return "DT_" + std::to_string(static_cast<int>(type));
}

std::optional<DataType> parse_dtype(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.rfind("dt_", 0) == 0) s = s.substr(3);
  int number = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec == std::errc() && end == s.data() + s.size()) {
    if (tfprod::tf::DataType_IsValid(number)) return static_cast<DataType>(number);
    return std::nullopt;
  }
  static const std::pair<const char*, DataType> aliases[] = {
      {"float32", tfprod::tf::DT_FLOAT}, {"float16", tfprod::tf::DT_HALF},
      {"float64", tfprod::tf::DT_DOUBLE}, {"fp16", tfprod::tf::DT_HALF},
      {"fp32", tfprod::tf::DT_FLOAT},     {"bf16", tfprod::tf::DT_BFLOAT16},
  };
  for (const auto& [alias, type] : aliases)
    if (s == alias) return type;
  std::string upper = "DT_";
  for (char c : s) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  DataType type;
  if (tfprod::tf::DataType_Parse(upper, &type)) return type;
  return std::nullopt;
}

}  // namespace tfprod
