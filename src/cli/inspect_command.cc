// `tfprod inspect PATH [--output NAME]... [--json]`: what a path is and what
// it holds (tfprod::inspect_model collects the facts; this file renders them
// as text for people or JSON for scripts).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/inspect.h"

namespace tfprod::cli {

namespace {

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

void print_variables(const ModelFacts& f) {
  if (f.variables.empty()) return;
  const bool frozen = f.variables.front().source == "Const";
  if (frozen)
    std::printf("weights (Const): %s\n", totals_text(f.model, "tensors").c_str());
  else
    std::printf("variables%s: %s\n", f.variables.front().source == "graph" ? " (from the graph)" : "",
                totals_text(f.model, "model variables").c_str());
  if (f.slots.count) std::printf("  plus %s\n", totals_text(f.slots, "optimizer slots").c_str());
  if (f.state.count) std::printf("  plus %s\n", totals_text(f.state, "training state").c_str());
  for (const auto& v : f.variables) {
    if (v.kind != VariableKind::kModel) continue;
    std::printf("  %-52s %-10s %-18s %10s %10s%s\n", v.name.c_str(), dtype_name(v.dtype).c_str(),
                shape_string(v.shape).c_str(), count_text(v.parameters).c_str(), human_bytes(v.bytes).c_str(),
                v.partitioned ? " (partitioned)" : "");
  }
  std::string rest;
  for (const auto& v : f.variables)
    if (v.kind != VariableKind::kModel) rest += (rest.empty() ? "" : ", ") + v.name;
  if (!rest.empty()) {
    if (rest.size() > 300) rest = rest.substr(0, 300) + "...";
    std::printf("  not model variables: %s\n", rest.c_str());
  }
}

void print_issues(const std::vector<PreflightIssue>& issues) {
  for (std::size_t i = 0; i < issues.size() && i < 4; ++i)
    std::printf("    %s (%s): %s\n", issues[i].node.c_str(), issues[i].op.c_str(), issues[i].hint.c_str());
  if (issues.size() > 4) std::printf("    ... %zu more (--json lists all)\n", issues.size() - 4);
}

void print_verdict(const OpenCvVerdict& v) {
  if (!v.checked) return;
  std::printf("OpenCV 4.6:\n");
  // Without an export, `before` is the frozen graph as it is (when it is one).
  const bool before_known = v.error.empty() || v.reference_nodes > 0;
  const std::string what = v.error.empty() ? fmt::format("as TF's tools leave it (frozen, cut: {} nodes)", v.reference_nodes)
                                           : fmt::format("as it is ({} nodes)", v.reference_nodes);
  if (before_known && v.before.empty()) std::printf("  imports the graph %s\n", what.c_str());
  if (before_known && !v.before.empty()) {
    std::printf("  would refuse %zu node(s) of the graph %s:\n", v.before.size(), what.c_str());
    print_issues(v.before);
  }
  if (!v.error.empty())
    std::printf("  after tfprod export: not checked: %s\n", v.error.c_str());
  else if (v.after.empty())
    std::printf("  after tfprod export: none (%zu nodes)%s\n", v.model_nodes,
                v.before.empty() ? "" : "; `tfprod export` fixes them");
  else {
    std::printf("  after tfprod export, still %zu:\n", v.after.size());
    print_issues(v.after);
  }
}

void print_text(const ModelFacts& f) {
  std::printf("%s: %s", f.path.c_str(), f.kind.c_str());
  if (f.has_graph) std::printf(", graph %s (%s)", f.graph_path.c_str(), f.graph_format.c_str());
  std::printf("\n");
  if (f.has_graph)
    std::printf("  %s%sGraphDef producer %d\n", f.tf_version.empty() ? "" : "written by TensorFlow ",
                f.tf_version.empty() ? "" : (f.tf_version + ", ").c_str(), f.producer);
  for (const auto& n : f.notes) std::printf("  note: %s\n", n.c_str());

  if (f.checkpoints.size() > 1 || (f.checkpoints.size() == 1 && !f.checkpoints[0].used)) {
    std::printf("checkpoints:\n");
    for (const auto& c : f.checkpoints)
      std::printf("  %s %-50s %-14s %s%s\n", c.used ? "*" : " ", c.prefix.c_str(),
                  c.step ? fmt::format("step {}", *c.step).c_str() : "", human_bytes(c.bytes_on_disk).c_str(),
                  c.error.empty() ? "" : (" (" + c.error + ")").c_str());
  }
  for (const auto& c : f.checkpoints)
    if (c.used)
      std::printf("checkpoint %s: %s, %zu tensors, %s%s\n", c.prefix.c_str(), c.format.c_str(), f.checkpoint_tensors,
                  human_bytes(c.bytes_on_disk).c_str(), c.step ? fmt::format(", step {}", *c.step).c_str() : "");
  if (f.has_graph && f.checkpoints.empty() && f.variables.empty()) std::printf("no checkpoint, no weights\n");
  else if (f.has_graph && f.checkpoints.empty()) std::printf("no checkpoint\n");
  print_variables(f);
  if (!f.has_graph) return;

  std::printf("graph: %zu nodes, %zu functions\n  ops:", f.nodes, f.functions);
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    std::printf("%s %s x%zu", i ? "," : "", f.ops[i].first.c_str(), f.ops[i].second);
  std::printf("\n");
  for (const auto& s : f.signatures) {
    std::string ins, outs;
    for (const auto& [k, t] : s.inputs) ins += fmt::format(" {}={}", k, t);
    for (const auto& [k, t] : s.outputs) outs += fmt::format(" {}={}", k, t);
    std::printf("  signature %s: inputs%s -> outputs%s\n", s.key.c_str(), ins.c_str(), outs.c_str());
  }

  std::printf("inputs (%s):\n", f.io_source == "guessed" ? "likely" : "what the outputs read");
  if (f.io.inputs.empty()) std::printf("  none found\n");
  for (const auto& in : f.io.inputs)
    std::printf("  %s%s  %s: %s\n", in.name.c_str(), in.cut ? " (cut here)" : "", declared_text(in.declared).c_str(),
                in.reason.c_str());
  std::printf("outputs (%s):\n", f.io_source.c_str());
  if (f.io.outputs.empty()) std::printf("  none found: pass --output\n");
  for (const auto& out : f.io.outputs)
    std::printf("  %s  %s: %s\n", out.name.c_str(), declared_text(out.declared).c_str(), out.reason.c_str());
  if (!f.io.labels.empty()) std::printf("  labels (not inputs): %s\n", fmt::format("{}", fmt::join(f.io.labels, ", ")).c_str());
  for (std::size_t i = 0; i < f.io.rejected.size() && i < 8; ++i)
    std::printf("  set aside %s: %s\n", f.io.rejected[i].name.c_str(), f.io.rejected[i].reason.c_str());
  if (f.io.rejected.size() > 8) std::printf("  set aside: %zu more (--json lists all)\n", f.io.rejected.size() - 8);

  std::printf("training-only parts:%s\n", f.training.empty() ? " none" : "");
  for (const auto& p : f.training)
    std::printf("  %-16s %5zu nodes (%s)\n", role_name(p.role), p.nodes,
                fmt::format("{}", fmt::join(p.examples, ", ")).c_str());
  print_verdict(f.opencv);
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
                     {"error", c.error}});
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

void add_inspect_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string path;
    std::vector<std::string> outputs;
    std::vector<std::string> inputs;
    bool json = false;
    bool no_opencv = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Say what a training dir, graph, checkpoint, SavedModel or frozen graph is and holds: format, checkpoints, "
      "variables, ops, likely inputs and outputs, training-only parts, and whether OpenCV 4.6 would import it");
  cmd->add_option("path", args->path, "Graph file, training or SavedModel directory, or checkpoint prefix")->required();
  cmd->add_option("--output", args->outputs, "Output node (repeatable, or comma-separated); default: guessed");
  cmd->add_option("--input", args->inputs,
                  "Input for the OpenCV verdict, NAME[:DTYPE][:SHAPE] (repeatable), as for tfprod export");
  cmd->add_flag("--json", args->json, "Print the facts as one JSON object");
  cmd->add_flag("--no-opencv", args->no_opencv, "Skip the OpenCV verdict (which freezes the model in memory)");
  cmd->callback([=] {
    *action = [=] {
      InspectOptions options;
      options.outputs = split_list(args->outputs);
      options.opencv_verdict = !args->no_opencv;
      for (const auto& i : args->inputs) options.inputs.push_back(InputSpec::parse(i));
      ModelFacts facts = inspect_model(args->path, options);
      if (args->json)
        std::printf("%s\n", to_json(facts).dump(2).c_str());
      else
        print_text(facts);
      return 0;
    };
  });
}

}  // namespace tfprod::cli
