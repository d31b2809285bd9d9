// --input NAME[:DTYPE][:SHAPE]
#include <algorithm>
#include <cctype>

#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/transform.h"

namespace tfprod {

namespace {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = text.find(sep, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

InputSpec InputSpec::parse(std::string_view text) {
  auto parts = split(text, ':');
  InputSpec spec;
  spec.name = parts[0];
  if (spec.name.empty()) fail("--input '{}': no name", text);
  std::size_t i = 1;
  // "node:1" or "node:1:float:..." names a port; "x:4" alone is a port too.
  auto is_dtype = [](const std::string& s) { return !all_digits(s) && parse_dtype(s).has_value(); };
  if (i < parts.size() && all_digits(parts[i]) && (parts.size() == 2 || (i + 1 < parts.size() && is_dtype(parts[i + 1])))) {
    if (parts[i] != "0") spec.name += ":" + parts[i];
    ++i;
  }
  if (i < parts.size()) {
    if (!parts[i].empty()) {
      if (is_dtype(parts[i])) spec.dtype = parse_dtype(parts[i]);
      if (!spec.dtype)
        fail("--input '{}': '{}' is not a dtype (float, half, int32, uint8, ...); the form is NAME[:DTYPE][:SHAPE]",
             text, parts[i]);
    }
    ++i;
  }
  if (i < parts.size()) {
    // "[1,20,20,1]" as inspect prints shapes; "[]" (or "") is a scalar.
    std::string shape = parts[i];
    if (shape.size() >= 2 && shape.front() == '[' && shape.back() == ']') shape = shape.substr(1, shape.size() - 2);
    try {
      spec.shape = PassOptions::parse_shape(shape);
    } catch (const Error& e) {
      fail("--input '{}': '{}' is not a shape such as 1,20,20,1 ({})", text, parts[i], e.what());
    }
    ++i;
  }
  if (i < parts.size()) fail("--input '{}': too many ':' parts; the form is NAME[:DTYPE][:SHAPE]", text);
  return spec;
}

}  // namespace tfprod
