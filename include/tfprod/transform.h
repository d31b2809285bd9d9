// Graph transforms, the way TF's transform_graph runs them, with typed
// options: a pass declares its options; a transform string in TF's syntax
//
//   strip_unused_nodes(type=half, shape="1,20,20,1") fold_constants(ignore_errors=true)
//
// is parsed and checked against the registry (names, option names, option
// types) before anything runs; then each pass runs on the Graph, the graph is
// validated after it, and a pass that fails leaves the graph as it found it
// (or, with ignore_errors=true, is skipped with a warning).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod {

enum class OptionType { kBool, kInt, kFloat, kString, kDataType, kShape };

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kString;
  std::string help;
  bool repeated = false;  // may be given several times; values accumulate
};

class PassOptions;

// What a pass sees besides the graph: the pipeline's inputs and outputs
// (--inputs / --outputs, tensor or node names) and somewhere to warn.
struct PassContext {
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> warnings;
};

struct PassSpec {
  std::string name;
  std::string summary;
  std::vector<OptionSpec> options;
  // Returns whether it changed the graph (or the context): honestly, since
  // fixed points are driven by it.
  std::function<bool(Graph&, const PassOptions&, PassContext&)> run;
  // Run again while it reports a change (at most kMaxIterations times; not
  // converging is a warning). Passes never loop themselves.
  bool fixed_point = false;
};

constexpr int kMaxIterations = 16;

// Option values of one pipeline step, checked against the pass's spec.
class PassOptions {
 public:
  PassOptions() = default;
  // Throws Error naming the transform and the option on an unknown name,
  // a repeated single-valued option or a value of the wrong type.
  PassOptions(const PassSpec& spec, const std::vector<std::pair<std::string, std::string>>& args);

  bool has(std::string_view name) const;
  bool get_bool(std::string_view name, bool fallback) const;
  int64_t get_int(std::string_view name, int64_t fallback) const;
  double get_float(std::string_view name, double fallback) const;
  std::string get_string(std::string_view name, const std::string& fallback = "") const;
  DataType get_dtype(std::string_view name, DataType fallback) const;
  // All values of a (repeated) option, in order.
  std::vector<std::string> get_all(std::string_view name) const;
  // A shape "1,20,20,1" ("" is a scalar; -1 an unknown dim).
  static Shape parse_shape(const std::string& text);

 private:
  std::string pass_;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// One `name(arg=value, ...)` of a transform string, as written.
struct TransformCall {
  std::string name;
  std::vector<std::pair<std::string, std::string>> args;
};

// TF's transform syntax: space-separated calls; values may be double-quoted
// (keeping commas and spaces); repeated arguments accumulate. Throws Error
// with the position on unbalanced quotes or parentheses.
std::vector<TransformCall> parse_transforms(std::string_view text);

// Every transform tfprod knows, in one explicit list.
const std::vector<PassSpec>& pass_registry();
const PassSpec* find_pass(std::string_view name);

struct PipelineStep {
  const PassSpec* pass = nullptr;
  PassOptions options;
  bool ignore_errors = false;
};

// Resolves and type-checks a whole pipeline before anything runs. Throws
// Error: an unknown transform (listing the known names), a bad option.
std::vector<PipelineStep> build_pipeline(const std::vector<TransformCall>& calls);

struct StepResult {
  std::string name;
  bool ok = true;
  std::string message;  // why it failed (ignored), else empty
  std::size_t nodes_before = 0, nodes_after = 0;
};

// What a pipeline needs to undo a failed step: the graph and context before
// its first step, and the steps done since. A failed step is undone by
// restoring that copy and running those steps again (passes are
// deterministic), not by copying the graph before every step: that copy of
// every node, then freeing it, was two thirds of the cleanup's time. The
// copy shares the weights (copy-on-write), so it holds no weight twice.
// A caller that runs one step per call (to time or report each) passes the
// same history to every call, and changes the graph between calls only
// through run_pipeline.
class PipelineHistory {
 public:
  PipelineHistory() = default;
  PipelineHistory(const PipelineHistory&) = delete;
  PipelineHistory& operator=(const PipelineHistory&) = delete;

  // Keeps the copy, on the first call only.
  void start(const Graph& graph, const PassContext& context);
  // A step that succeeded.
  void record(const PipelineStep& step) { done_.push_back(step); }
  // Steps done since the copy (those that failed are not among them).
  std::size_t steps_done() const { return done_.size(); }
  // The graph and context as they were after the last recorded step.
  // Throws Error if a step replayed fails (a pass that is not deterministic).
  void restore(Graph& graph, PassContext& context) const;

 private:
  bool started_ = false;
  Graph base_;
  PassContext context_;
  std::vector<PipelineStep> done_;
};

struct PipelineOptions {
  // Called after each step with its name and the graph (e.g. --dump-after).
  std::function<void(const std::string&, const Graph&)> after_step;
  // Shared by calls that continue one pipeline; else each call keeps its own.
  PipelineHistory* history = nullptr;
};

// Runs the steps in order. A failing step without ignore_errors throws Error
// "transform 'NAME' failed: REASON" with the graph as it was before that
// step; with ignore_errors the graph is restored and the run continues.
std::vector<StepResult> run_pipeline(Graph& graph, const std::vector<PipelineStep>& steps, PassContext& context,
                                     const PipelineOptions& options = {});

}  // namespace tfprod
