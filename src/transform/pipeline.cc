#include <algorithm>
#include <cctype>

#include "tfprod/allocator.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "tfprod/transform.h"

namespace tfprod {

const PassSpec* find_pass(std::string_view name) {
  for (const auto& p : pass_registry())
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<PipelineStep> build_pipeline(const std::vector<TransformCall>& calls) {
  std::vector<PipelineStep> steps;
  for (const auto& call : calls) {
    const PassSpec* pass = find_pass(call.name);
    if (!pass) {
      std::vector<std::string> known;
      for (const auto& p : pass_registry()) known.push_back(p.name);
      fail("unknown transform '{}'; known transforms: {}", call.name, fmt::join(known, ", "));
    }
    PipelineStep step;
    step.pass = pass;
    step.options = PassOptions(*pass, call.args);
    for (const auto& [key, value] : call.args) {
      if (key != "ignore_errors") continue;
      std::string v = value;
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
      step.ignore_errors = v == "true" || v == "1" || v == "yes";
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

namespace {

// Which of the pipeline's outputs the graph has: each must survive the pass
// (under the name the context then gives it: rename_node may rename it).
std::vector<bool> present_outputs(const Graph& graph, const PassContext& context) {
  std::vector<bool> out;
  for (const auto& o : context.outputs) out.push_back(graph.find(TensorRef::parse(o).node) != nullptr);
  return out;
}

// Runs one step's pass (to its fixed point, where it has one) and checks
// what it left; throws Error when the pass fails or breaks the graph.
void apply(Graph& graph, const PipelineStep& step, PassContext& context) {
  const std::vector<bool> present = present_outputs(graph, context);
  const std::size_t warned = context.warnings.size();
  bool changed = step.pass->run(graph, step.options, context);
  validate(graph);
  if (step.pass->fixed_point) {
    int iterations = 1;
    while (changed && iterations < kMaxIterations) {
      const std::size_t before = context.warnings.size();
      changed = step.pass->run(graph, step.options, context);
      validate(graph);
      ++iterations;
      // A rerun repeats what it found still true (a dropout kept, say): say it once.
      auto first = context.warnings.begin() + static_cast<std::ptrdiff_t>(warned);
      auto earlier_end = context.warnings.begin() + static_cast<std::ptrdiff_t>(before);
      context.warnings.erase(std::remove_if(earlier_end, context.warnings.end(),
                                            [&](const std::string& w) {
                                              return std::find(first, earlier_end, w) != earlier_end;
                                            }),
                             context.warnings.end());
    }
    if (changed)
      context.warnings.push_back(fmt::format("transform '{}' still changed the graph after {} iterations",
                                             step.pass->name, kMaxIterations));
  }
  if (context.outputs.size() != present.size()) fail("it changed the number of outputs");
  for (std::size_t i = 0; i < present.size(); ++i)
    if (present[i] && !graph.find(TensorRef::parse(context.outputs[i]).node))
      fail("it removed the output node '{}'", TensorRef::parse(context.outputs[i]).node);
}

}  // namespace

void PipelineHistory::start(const Graph& graph, const PassContext& context) {
  if (started_) return;
  base_ = graph.clone();  // shares the weights: copies nodes and edges only
  context_ = context;
  started_ = true;
}

void PipelineHistory::restore(Graph& graph, PassContext& context) const {
  graph = base_.clone();
  context = context_;
  for (const PipelineStep& step : done_) {
    try {
      apply(graph, step, context);
    } catch (const Error& e) {
      fail("undoing a failed step: transform '{}', which succeeded before, failed when run again: {}",
           step.pass->name, e.what());
    }
  }
}

std::vector<StepResult> run_pipeline(Graph& graph, const std::vector<PipelineStep>& steps, PassContext& context,
                                     const PipelineOptions& options) {
  PipelineHistory own;
  PipelineHistory& history = options.history ? *options.history : own;
  history.start(graph, context);
  std::vector<StepResult> results;
  for (const auto& step : steps) {
    advise_heap();
    StepResult r;
    r.name = step.pass->name;
    r.nodes_before = graph.size();
    try {
      apply(graph, step, context);
      history.record(step);
    } catch (const Error& e) {
      std::vector<std::string> warnings = std::move(context.warnings);  // the failed step's too
      history.restore(graph, context);
      context.warnings = std::move(warnings);
      if (!step.ignore_errors) fail("transform '{}' failed: {}", r.name, e.what());
      r.ok = false;
      r.message = e.what();
      context.warnings.push_back(fmt::format("transform '{}' failed and was skipped (ignore_errors): {}", r.name, e.what()));
    }
    r.nodes_after = graph.size();
    if (options.after_step) options.after_step(r.name, graph);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tfprod
