#include <algorithm>
#include <cctype>
#include <charconv>

#include "tfprod/error.h"
#include "tfprod/transform.h"

namespace tfprod {

namespace {

std::optional<bool> parse_bool(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return std::nullopt;
}

bool is_int(const std::string& s) {
  int64_t v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool is_float(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

const char* type_name(OptionType t) {
  switch (t) {
    case OptionType::kBool: return "a bool (true/false)";
    case OptionType::kInt: return "an integer";
    case OptionType::kFloat: return "a number";
    case OptionType::kString: return "a string";
    case OptionType::kDataType: return "a dtype (float, half, int32, ...)";
    case OptionType::kShape: return "a shape such as \"1,20,20,1\"";
  }
  return "?";
}

}  // namespace

Shape PassOptions::parse_shape(const std::string& text) {
  Shape shape;
  std::string item;
  std::string s = text;
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  if (s.empty()) return shape;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    item = s.substr(start, comma - start);
    if (!is_int(item)) fail("'{}' is not a shape: '{}' is not an integer", text, item);
    int64_t d = std::stoll(item);
    if (d < -1) fail("'{}' is not a shape: dimension {} is negative", text, d);
    shape.push_back(d);
    start = comma + 1;
  }
  return shape;
}

PassOptions::PassOptions(const PassSpec& spec, const std::vector<std::pair<std::string, std::string>>& args)
    : pass_(spec.name) {
  for (const auto& arg : args) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& key = arg.first;
    const std::string& value = arg.second;
    if (key == "ignore_errors") {
      if (!parse_bool(value)) fail("transform '{}': ignore_errors={} is not true or false", spec.name, value);
      continue;
    }
    auto it = std::find_if(spec.options.begin(), spec.options.end(), [&](const OptionSpec& o) { return o.name == key; });
    if (it == spec.options.end()) {
      std::vector<std::string> known{"ignore_errors"};
      for (const auto& o : spec.options) known.push_back(o.name);
      fail("transform '{}' has no parameter '{}'; it takes: {}", spec.name, key, fmt::join(known, ", "));
    }
    bool ok = true;
    switch (it->type) {
      case OptionType::kBool: ok = parse_bool(value).has_value(); break;
      case OptionType::kInt: ok = is_int(value); break;
      case OptionType::kFloat: ok = is_float(value); break;
      case OptionType::kDataType: ok = parse_dtype(value).has_value(); break;
      case OptionType::kShape:
        try {
          parse_shape(value);
        } catch (const Error&) {
          ok = false;
        }
        break;
      case OptionType::kString: break;
    }
    if (!ok) fail("transform '{}': {}={} is not {}", spec.name, key, value, type_name(it->type));
    auto& slot = values_[key];
    if (!slot.empty() && !it->repeated)
      fail("transform '{}': parameter '{}' given more than once", spec.name, key);
    slot.push_back(value);
  }
}

bool PassOptions::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::vector<std::string> PassOptions::get_all(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string PassOptions::get_string(std::string_view name, const std::string& fallback) const {
  auto all = get_all(name);
  return all.empty() ? fallback : all.back();
}

bool PassOptions::get_bool(std::string_view name, bool fallback) const {
  return has(name) ? *parse_bool(get_string(name)) : fallback;
}

int64_t PassOptions::get_int(std::string_view name, int64_t fallback) const {
  return has(name) ? std::stoll(get_string(name)) : fallback;
}

double PassOptions::get_float(std::string_view name, double fallback) const {
  return has(name) ? std::stod(get_string(name)) : fallback;
}

DataType PassOptions::get_dtype(std::string_view name, DataType fallback) const {
  return has(name) ? *parse_dtype(get_string(name)) : fallback;
}

}  // namespace tfprod
