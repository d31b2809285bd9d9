// The export report: a short text for people, JSON for scripts.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "tfprod/export.h"

namespace tfprod {

namespace {

std::string bytes_text(uint64_t b) {
  if (b >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  return fmt::format("{} B", b);
}

}  // namespace

std::string ExportReport::text() const {
  std::string out = fmt::format("source: {}\n", source_kind);
  for (const auto& c : choices) out += fmt::format("  {}\n", c);
  for (const auto& n : notes) out += fmt::format("  note: {}\n", n);
  out += fmt::format("model: inputs {} -> outputs {}\n", fmt::join(inputs, ", "), fmt::join(outputs, ", "));
  out += fmt::format("nodes: {} -> {}; bytes (graph + weights): {} -> {}; {} variables frozen\n", nodes_before,
                     nodes_after, bytes_text(bytes_before), bytes_text(bytes_after), variables_frozen);
  if (!removed_training.empty()) {
    out += "removed, training only:\n";
    for (const auto& r : removed_training) out += fmt::format("  {}\n", r);
  }
  out += "steps:\n";
  for (const auto& s : steps) {
    if (s.nodes_before == s.nodes_after && s.message.empty()) continue;
    out += fmt::format("  {:<24} {:>6} -> {:<6} {}{}\n", s.name, s.nodes_before, s.nodes_after, s.why,
                       s.message.empty() ? "" : " (skipped: " + s.message + ")");
  }
  if (!opencv_blockers.empty()) {
    out += fmt::format("OpenCV {} pre-flight: {} node(s) it cannot import:\n", opencv_version.empty() ? "4.6" : opencv_version,
                       opencv_blockers.size());
    for (const auto& b : opencv_blockers) out += fmt::format("  {}\n", b);
  }
  if (format == "onnx" && onnx_nodes)
    out += fmt::format("ONNX: opset {}, {} nodes, {} Transpose{}; checker: {}\n", onnx_opset, onnx_nodes,
                       onnx_transposes, onnx_transposes == 1 ? "" : "s", onnx_checker.empty() ? "not run" : onnx_checker);
  if (format == "onnx" && !onnx_external_data.empty())
    out += fmt::format("ONNX external data: {} ({} bytes of weights)\n", onnx_external_data, onnx_external_bytes);
  if (verified) {
    out += fmt::format("verified: OpenCV {} loads the {}model; against the evaluator on the frozen graph (tolerance {:.0e}, "
                       "{}):\n", opencv_version, format == "onnx" ? "ONNX " : "", tolerance, tolerance_why);
    for (const auto& o : verification.outputs)
      out += fmt::format("  {:<32} max |diff| {:.2e}, relative {:.2e}\n", o.name, o.max_abs, o.max_rel);
  } else if (!failure.empty()) {
    out += fmt::format("NOT written: {}\n", failure);
    if (tolerance > 0) out += fmt::format("  (tolerance {:.0e}, {})\n", tolerance, tolerance_why);
    if (verification.opencv_error.empty() && !verification.outputs.empty()) out += verification.table();
  } else {
    out += "not verified (--no-verify)\n";
  }
  return out;
}

std::string ExportReport::json() const {
  nlohmann::json j;
  j["source"] = source_kind;
  j["inputs"] = inputs;
  j["outputs"] = outputs;
  j["choices"] = choices;
  j["notes"] = notes;
  j["nodes"] = {{"before", nodes_before}, {"after", nodes_after}};
  j["bytes"] = {{"before", bytes_before}, {"after", bytes_after}};
  j["variables_frozen"] = variables_frozen;
  j["removed_training_only"] = removed_training;
  auto steps_json = nlohmann::json::array();
  for (const auto& s : steps)
    steps_json.push_back({{"name", s.name},
                          {"why", s.why},
                          {"nodes_before", s.nodes_before},
                          {"nodes_after", s.nodes_after},
                          {"removed", s.removed},
                          {"skipped", s.message},
                          {"seconds", s.seconds}});
  j["steps"] = steps_json;
  j["opencv_version"] = opencv_version;
  j["opencv_blockers"] = opencv_blockers;
  auto outs = nlohmann::json::array();
  for (const auto& o : verification.outputs)
    outs.push_back({{"name", o.name}, {"max_abs_diff", o.max_abs}, {"max_rel_diff", o.max_rel}, {"ok", o.ok}});
  j["verification"] = {{"verified", verified}, {"opencv_error", verification.opencv_error}, {"outputs", outs}};
  j["verification"]["tolerance"] = tolerance;
  j["verification"]["tolerance_from"] = tolerance_why;
  j["written"] = failure.empty();
  j["failure"] = failure;
  j["seconds"] = seconds;
  if (format == "onnx")
    j["onnx"] = {{"opset", onnx_opset},
                 {"nodes", onnx_nodes},
                 {"transposes", onnx_transposes},
                 {"checker", onnx_checker},
                 {"external_data", onnx_external_data},
                 {"external_bytes", onnx_external_bytes}};
  return j.dump(2) + "\n";
}

}  // namespace tfprod
