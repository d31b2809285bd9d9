// inspect's two views of ModelFacts: text for people and JSON for scripts
// (`tfprod inspect` prints one of them), as report.cc does for export.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "tfprod/inspect.h"

namespace tfprod {

namespace {

// Sizes as the rest of tfprod prints them ("1.5 MiB").
std::string human_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1u << 20)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < (1u << 30)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

using Json = nlohmann::ordered_json;

std::string declared_text(const DeclaredTensor& d) {
  std::string out = d.dtype ? dtype_name(*d.dtype) : "dtype ?";
  out += " ";
  out += d.shape ? shape_string(*d.shape) : "shape ?";
  return out;
}

std::string count_text(int64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

std::string totals_text(const VariableTotals& t, const char* what) {
  return fmt::format("{} {}, {} parameters, {}", t.count, what, count_text(t.parameters), human_bytes(t.bytes));
}

void add_variables(std::string& out, const ModelFacts& f) {
  if (f.variables.empty()) return;
  const bool frozen = f.variables.front().source == "Const";
  if (frozen)
    out += fmt::format("weights (Const): {}\n", totals_text(f.model, "tensors"));
  else
    out += fmt::format("variables{}: {}\n", f.variables.front().source == "graph" ? " (from the graph)" : "",
                totals_text(f.model, "model variables"));
  if (f.slots.count) out += fmt::format("  plus {}\n", totals_text(f.slots, "optimizer slots"));
  if (f.state.count) out += fmt::format("  plus {}\n", totals_text(f.state, "training state"));
  for (const auto& v : f.variables) {
    if (v.kind != VariableKind::kModel) continue;
    out += fmt::format("  {:<52} {:<10} {:<18} {:>10} {:>10}{}\n", v.name, dtype_name(v.dtype),
                shape_string(v.shape), count_text(v.parameters), human_bytes(v.bytes),
                v.partitioned ? " (partitioned)" : "");
  }
  std::string rest;
  for (const auto& v : f.variables)
    if (v.kind != VariableKind::kModel) rest += (rest.empty() ? "" : ", ") + v.name;
  if (!rest.empty()) {
    if (rest.size() > 300) rest = rest.substr(0, 300) + "...";
    out += fmt::format("  not model variables: {}\n", rest);
  }
}

void add_issues(std::string& out, const std::vector<PreflightIssue>& issues) {
  for (std::size_t i = 0; i < issues.size() && i < 4; ++i)
    out += fmt::format("    {} ({}): {}\n", issues[i].node, issues[i].op, issues[i].hint);
  if (issues.size() > 4) out += fmt::format("    ... {} more (--json lists all)\n", issues.size() - 4);
}

void add_verdict(std::string& out, const OpenCvVerdict& v) {
  if (!v.checked) return;
  out += "OpenCV 4.6:\n";
  // Without an export, `before` is the frozen graph as it is (when it is one).
  const bool before_known = v.error.empty() || v.reference_nodes > 0;
  const std::string what = v.error.empty() ? fmt::format("as TF's tools leave it (frozen, cut: {} nodes)", v.reference_nodes)
                                           : fmt::format("as it is ({} nodes)", v.reference_nodes);
  if (before_known && v.before.empty()) out += fmt::format("  imports the graph {}\n", what);
  if (before_known && !v.before.empty()) {
    out += fmt::format("  would refuse {} node(s) of the graph {}:\n", v.before.size(), what);
    add_issues(out, v.before);
  }
  if (!v.error.empty())
    out += fmt::format("  after tfprod export: not checked: {}\n", v.error);
  else if (v.after.empty())
    out += fmt::format("  after tfprod export: none ({} nodes){}\n", v.model_nodes,
                       v.before.empty() ? "" : "; `tfprod export` fixes them");
  else {
    out += fmt::format("  after tfprod export, still {}:\n", v.after.size());
    add_issues(out, v.after);
  }
}

void add_text(std::string& out, const ModelFacts& f) {
  out += fmt::format("{}: {}", f.path, f.kind);
  if (f.has_graph) out += fmt::format(", graph {} ({})", f.graph_path, f.graph_format);
  out += "\n";
  if (f.has_graph)
    out += fmt::format("  {}{}GraphDef producer {}\n", f.tf_version.empty() ? "" : "written by TensorFlow ",
                f.tf_version.empty() ? "" : (f.tf_version + ", "), f.producer);
  for (const auto& n : f.notes) out += fmt::format("  note: {}\n", n);

  bool any_metrics = false;
  for (const auto& c : f.checkpoints) any_metrics = any_metrics || !c.eval_metrics.empty();
  if (f.checkpoints.size() > 1 || (f.checkpoints.size() == 1 && (!f.checkpoints[0].used || any_metrics))) {
    out += "checkpoints:\n";
    for (const auto& c : f.checkpoints) {
      std::string metrics;
      for (const auto& [name, value] : c.eval_metrics) metrics += fmt::format(" {}={:.6g}", name, value);
      if (any_metrics)
        metrics = metrics.empty() ? "  no eval metrics" : fmt::format("  eval ({}):{}", c.eval_run, metrics);
      out += fmt::format("  {} {:<50} {:<14} {}{}{}\n", c.used ? "*" : " ", c.prefix,
                  c.step ? fmt::format("step {}", *c.step) : "", human_bytes(c.bytes_on_disk),
                  c.error.empty() ? "" : (" (" + c.error + ")"), metrics);
    }
  }
  for (const auto& c : f.checkpoints)
    if (c.used)
      out += fmt::format("checkpoint {}: {}, {} tensors, {}{}\n", c.prefix, c.format, f.checkpoint_tensors,
                  human_bytes(c.bytes_on_disk), c.step ? fmt::format(", step {}", *c.step) : "");
  if (f.has_graph && f.checkpoints.empty() && f.variables.empty()) out += fmt::format("no checkpoint, no weights\n");
  else if (f.has_graph && f.checkpoints.empty()) out += fmt::format("no checkpoint\n");
  add_variables(out, f);
  if (!f.has_graph) return;

  out += fmt::format("graph: {} nodes, {} functions\n  ops:", f.nodes, f.functions);
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    out += fmt::format("{} {} x{}", i ? "," : "", f.ops[i].first, f.ops[i].second);
  out += "\n";
  for (const auto& s : f.signatures) {
    std::string ins, outs;
    for (const auto& [k, t] : s.inputs) ins += fmt::format(" {}={}", k, t);
    for (const auto& [k, t] : s.outputs) outs += fmt::format(" {}={}", k, t);
    out += fmt::format("  signature {}: inputs{} -> outputs{}\n", s.key, ins, outs);
  }

  out += fmt::format("inputs ({}):\n", f.io_source == "guessed" ? "likely" : "what the outputs read");
  if (f.io.inputs.empty()) out += fmt::format("  none found\n");
  for (const auto& in : f.io.inputs)
    out += fmt::format("  {}{}  {}: {}\n", in.name, in.cut ? " (cut here)" : "", declared_text(in.declared),
                in.reason);
  out += fmt::format("outputs ({}):\n", f.io_source);
  if (f.io.outputs.empty()) out += fmt::format("  none found: pass --output\n");
  for (const auto& o : f.io.outputs)
    out += fmt::format("  {}  {}: {}\n", o.name, declared_text(o.declared), o.reason);
  if (!f.io.labels.empty()) out += fmt::format("  labels (not inputs): {}\n", fmt::format("{}", fmt::join(f.io.labels, ", ")));
  for (std::size_t i = 0; i < f.io.rejected.size() && i < 8; ++i)
    out += fmt::format("  set aside {}: {}\n", f.io.rejected[i].name, f.io.rejected[i].reason);
  if (f.io.rejected.size() > 8) out += fmt::format("  set aside: {} more (--json lists all)\n", f.io.rejected.size() - 8);

  out += fmt::format("training-only parts:{}\n", f.training.empty() ? " none" : "");
  for (const auto& p : f.training)
    out += fmt::format("  {:<16} {:>5} nodes ({})\n", role_name(p.role), p.nodes,
                fmt::format("{}", fmt::join(p.examples, ", ")));
  add_verdict(out, f.opencv);
}

Json declared_json(const DeclaredTensor& d) {
  Json j;
  j["dtype"] = d.dtype ? Json(dtype_name(*d.dtype)) : Json();
  j["shape"] = d.shape ? Json(*d.shape) : Json();
  return j;
}

Json candidates_json(const std::vector<IoCandidate>& v, bool with_declared) {
  Json out = Json::array();
  for (const auto& c : v) {
    Json j{{"name", c.name}, {"reason", c.reason}};
    if (with_declared) {
      j["cut"] = c.cut;
      j.update(declared_json(c.declared));
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json issues_json(const std::vector<PreflightIssue>& issues) {
  Json out = Json::array();
  for (const auto& i : issues) out.push_back({{"node", i.node}, {"op", i.op}, {"hint", i.hint}});
  return out;
}

Json totals_json(const VariableTotals& t) {
  return {{"count", t.count}, {"parameters", t.parameters}, {"bytes", t.bytes}};
}

Json to_json(const ModelFacts& f) {
  Json j{{"path", f.path}, {"kind", f.kind}, {"notes", f.notes}};
  if (f.has_graph)
    j["graph"] = {{"path", f.graph_path},       {"format", f.graph_format}, {"tensorflow_version", f.tf_version},
                  {"producer", f.producer},     {"nodes", f.nodes},         {"functions", f.functions}};
  else
    j["graph"] = nullptr;
  Json ckpts = Json::array();
  for (const auto& c : f.checkpoints)
    ckpts.push_back({{"prefix", c.prefix},
                     {"format", c.format},
                     {"step", c.step ? Json(*c.step) : Json()},
                     {"bytes_on_disk", c.bytes_on_disk},
                     {"used", c.used},
                     {"error", c.error},
                     {"eval_metrics", c.eval_metrics},
                     {"eval_run", c.eval_run}});
  j["checkpoints"] = std::move(ckpts);
  j["checkpoint_tensors"] = f.checkpoint_tensors;
  Json vars = Json::array();
  for (const auto& v : f.variables)
    vars.push_back({{"name", v.name},
                    {"dtype", dtype_name(v.dtype)},
                    {"shape", v.shape},
                    {"parameters", v.parameters},
                    {"bytes", v.bytes},
                    {"kind", variable_kind_name(v.kind)},
                    {"partitioned", v.partitioned},
                    {"source", v.source}});
  j["variables"] = std::move(vars);
  j["totals"] = {{"model", totals_json(f.model)},
                 {"optimizer_slots", totals_json(f.slots)},
                 {"training_state", totals_json(f.state)}};
  Json ops = Json::object();
  for (const auto& [op, n] : f.ops) ops[op] = n;
  j["ops"] = std::move(ops);
  Json sigs = Json::array();
  for (const auto& s : f.signatures) {
    Json in = Json::object(), out = Json::object();
    for (const auto& [k, t] : s.inputs) in[k] = t;
    for (const auto& [k, t] : s.outputs) out[k] = t;
    sigs.push_back({{"key", s.key}, {"inputs", in}, {"outputs", out}});
  }
  j["signatures"] = std::move(sigs);
  j["io_source"] = f.io_source;
  j["inputs"] = candidates_json(f.io.inputs, true);
  j["outputs"] = candidates_json(f.io.outputs, true);
  j["set_aside"] = candidates_json(f.io.rejected, false);
  j["labels"] = f.io.labels;
  Json training = Json::object();
  for (const auto& p : f.training) training[role_name(p.role)] = {{"nodes", p.nodes}, {"scopes", p.examples}};
  j["training_only"] = std::move(training);
  const OpenCvVerdict& v = f.opencv;
  if (!v.checked) {
    j["opencv"] = nullptr;
  } else {
    j["opencv"] = {{"error", v.error},
                   {"inputs", v.inputs},
                   {"outputs", v.outputs},
                   {"reference_nodes", v.reference_nodes},
                   {"model_nodes", v.model_nodes},
                   {"blockers_before", issues_json(v.before)},
                   {"blockers_after", v.error.empty() ? issues_json(v.after) : Json()},
                   {"fixed_by_export", v.error.empty() && !v.before.empty() && v.after.empty()}};
  }
  return j;
}

}  // namespace

std::string inspect_text(const ModelFacts& facts) {
  std::string out;
  add_text(out, facts);
  return out;
}

std::string inspect_json(const ModelFacts& facts) { return to_json(facts).dump(2) + "\n"; }

}  // namespace tfprod
