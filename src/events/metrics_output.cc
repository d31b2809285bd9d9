// What `tfprod metrics` prints: JSON (numbers as Python's json module writes
// them, NaN/Infinity included), CSV, and the text table; plus the tag glob.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "tfprod/events.h"

namespace tfprod::events {

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  auto class_match = [&](std::size_t& pp, char c, bool* ok) {
    // pattern[pp] == '['; on return pp is past ']'. Unterminated: literal '['.
    std::size_t q = pp + 1;
    bool negate = q < pattern.size() && (pattern[q] == '!' || pattern[q] == '^');
    if (negate) ++q;
    bool matched = false, first = true;
    for (; q < pattern.size() && (pattern[q] != ']' || first); ++q, first = false) {
      if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
        if (pattern[q] <= c && c <= pattern[q + 2]) matched = true;
        q += 2;
      } else if (pattern[q] == c) {
        matched = true;
      }
    }
    if (q >= pattern.size()) return false;  // no closing bracket
    pp = q + 1;
    *ok = matched != negate;
    return true;
  };
  while (t < text.size()) {
    bool advanced = false;
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p, ++t;
        advanced = true;
      } else if (pc == '[') {
        std::size_t pp = p;
        bool ok = false;
        if (class_match(pp, text[t], &ok)) {
          if (ok) {
            p = pp, ++t;
            advanced = true;
          }
        } else if (text[t] == '[') {
          ++p, ++t;
          advanced = true;
        }
      } else if (pc == text[t]) {
        ++p, ++t;
        advanced = true;
      }
    }
    if (advanced) continue;
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string python_json_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits, as d.ddde[+-]X, then laid out as Python's
  // float repr: fixed notation for exponents -4..15, else d.ddde[+-]XX.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  const auto epos = sci.find('e');
  const int exp10 = std::stoi(sci.substr(epos + 1));
  std::string mant = sci.substr(0, epos);
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp10 < -4 || exp10 >= 16) {
    out = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") +
          fmt::format("e{}{:02d}", exp10 < 0 ? '-' : '+', std::abs(exp10));
  } else if (exp10 < 0) {
    out = "0." + std::string(static_cast<std::size_t>(-exp10 - 1), '0') + digits;
  } else {
    const auto point = static_cast<std::size_t>(exp10 + 1);
    if (digits.size() <= point) out = digits + std::string(point - digits.size(), '0') + ".0";
    else out = digits.substr(0, point) + "." + digits.substr(point);
  }
  return (neg ? "-" : "") + out;
}

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);  // UTF-8 passes through (ensure_ascii=False)
    }
  }
  return out + "\"";
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string short_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::string metrics_json(const std::vector<Run>& runs) {
  std::string out = "{\"runs\": [";
  for (std::size_t r = 0; r < runs.size(); ++r) {
    out += r ? ", " : "";
    out += "{\"run\": " + json_string(runs[r].name) + ", \"tags\": {";
    bool first_tag = true;
    for (const auto& [tag, s] : runs[r].scalars) {
      out += first_tag ? "" : ", ";
      first_tag = false;
      out += json_string(tag) + ": {\"steps\": [";
      for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s.steps[i]);
      out += "], \"values\": [";
      for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + python_json_number(s.values[i]);
      out += "], \"wall_times\": [";
      for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + python_json_number(s.wall_times[i]);
      out += "]}";
    }
    out += "}}";
  }
  return out + "]}\n";
}

std::string metrics_csv(const std::vector<Run>& runs) {
  std::string out = "run,tag,step,wall_time,value\n";
  for (const Run& run : runs)
    for (const auto& [tag, s] : run.scalars)
      for (std::size_t i = 0; i < s.size(); ++i)
        out += csv_field(run.name) + "," + csv_field(tag) + "," + std::to_string(s.steps[i]) + "," +
               python_json_number(s.wall_times[i]) + "," + python_json_number(s.values[i]) + "\n";
  return out;
}

std::string metrics_table(const std::vector<Run>& runs) {
  std::string out;
  for (const Run& run : runs) {
    out += fmt::format("run {} ({} file{}, {} events", run.name, run.files.size(), run.files.size() == 1 ? "" : "s",
                       run.events);
    if (run.graphs) out += fmt::format(", {} graph{}", run.graphs, run.graphs == 1 ? "" : "s");
    if (run.purges) out += fmt::format(", {} restart purge{}", run.purges, run.purges == 1 ? "" : "s");
    out += ")\n";
    std::size_t width = 3;
    for (const auto& [tag, s] : run.scalars) width = std::max(width, tag.size());
    if (run.scalars.empty()) out += "  no scalars\n";
    else
      out += fmt::format("  {:<{}}  {:>6}  {:>17}  {:>12}  {:>12}  {:>12}  {:>12}\n", "tag", width, "points", "steps",
                         "first", "last", "min", "max");
    for (const auto& [tag, s] : run.scalars) {
      if (s.size() == 0) {
        out += fmt::format("  {:<{}}  {:>6}\n", tag, width, 0);
        continue;
      }
      double lo = INFINITY, hi = -INFINITY;
      bool any_nan = false;
      for (double v : s.values) {
        if (std::isnan(v)) {
          any_nan = true;
          continue;
        }
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
      const int64_t smin = *std::min_element(s.steps.begin(), s.steps.end());
      const int64_t smax = *std::max_element(s.steps.begin(), s.steps.end());
      const bool all_nan = lo > hi;
      out += fmt::format("  {:<{}}  {:>6}  {:>17}  {:>12}  {:>12}  {:>12}  {:>12}{}\n", tag, width, s.size(),
                         fmt::format("{}..{}", smin, smax), short_number(s.values.front()),
                         short_number(s.values.back()), all_nan ? "nan" : short_number(lo),
                         all_nan ? "nan" : short_number(hi), any_nan ? "  (NaN values)" : "");
    }
    std::map<std::string, std::vector<std::string>> by_plugin;
    for (const auto& [tag, c] : run.others)
      by_plugin[c.plugin.empty() ? "tensors" : c.plugin].push_back(fmt::format("{} ({})", tag, c.count));
    for (const auto& [plugin, tags] : by_plugin) {
      out += fmt::format("  {}:", plugin);
      for (std::size_t i = 0; i < tags.size(); ++i) out += (i ? ", " : " ") + tags[i];
      out += "\n";
    }
    for (const auto& w : run.warnings) out += "  warning: " + w + "\n";
    for (const auto& e : run.errors) out += "  error: " + e + "\n";
  }
  return out;
}

}  // namespace tfprod::events
