// Test helpers for events files: build Events with tfprod's own protos and
// write them as TFRecord files; read JSON that holds NaN/Infinity.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tfprod/events.h"
#include "tfprod/tf/util/event.pb.h"

namespace tfprod::test {

inline tf::Event version_event(const std::string& version = "brain.Event:2", double wall = 1.0) {
  tf::Event e;
  e.set_wall_time(wall);
  e.set_file_version(version);
  return e;
}

inline tf::Event scalar_event(int64_t step, const std::string& tag, float value, double wall = 0) {
  tf::Event e;
  e.set_wall_time(wall ? wall : 1000.0 + static_cast<double>(step));
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(value);
  return e;
}

// A TF2-style scalar: a rank-0 float tensor with plugin "scalars".
inline tf::Event tensor_scalar_event(int64_t step, const std::string& tag, float value, bool metadata = true) {
  tf::Event e;
  e.set_wall_time(2000.0 + static_cast<double>(step));
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  if (metadata) v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
  auto* t = v->mutable_tensor();
  t->set_dtype(tf::DT_FLOAT);
  t->mutable_tensor_shape();
  t->set_tensor_content(std::string(reinterpret_cast<const char*>(&value), 4));
  return e;
}

inline tf::Event session_event(int64_t step, tf::SessionLog::SessionStatus status) {
  tf::Event e;
  e.set_wall_time(3000.0 + static_cast<double>(step));
  e.set_step(step);
  e.mutable_session_log()->set_status(status);
  return e;
}

inline std::string framed(const std::vector<tf::Event>& events) {
  std::string bytes;
  for (const auto& e : events) bytes += events::frame_record(e.SerializeAsString());
  return bytes;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

inline void write_events(const std::filesystem::path& path, const std::vector<tf::Event>& events) {
  write_bytes(path, framed(events));
}

// Python's json allows NaN, Infinity, -Infinity; nlohmann does not. They
// become the strings "NaN", "Infinity", "-Infinity" (outside strings only).
inline nlohmann::json parse_python_json(const std::string& text) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    for (const char* word : {"-Infinity", "Infinity", "NaN"}) {
      const std::string w = word;
      if (text.compare(i, w.size(), w) == 0) {
        out += "\"" + w + "\"";
        i += w.size() - 1;
        goto next;
      }
    }
    out += c;
  next:;
  }
  return nlohmann::json::parse(out);
}

inline double json_number(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "NaN") return NAN;
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
  }
  return v.get<double>();
}

}  // namespace tfprod::test
