// remove_training_nodes: what only matters while training, gone. TF's own
// version removes Identity and CheckNumerics only.
//
//   w -> Identity "w/read" -> Conv2D        w -> Conv2D
//   x -> Print(x, m) -> Relu          =>    x -> Relu
//   loss -> ScalarSummary, Assert            (gone, with the nodes only they fed)
//
// Pass-through ops (Identity, StopGradient, CheckNumerics, Snapshot,
// PreventGradient, Print: output = input 0) are spliced out: consumers read
// their input; their control dependencies move to their consumers; a control
// dependency on them becomes one on their input. Assert and summary ops
// (*Summary, *SummaryV2, MergeSummary, Write*Summary) are dropped, control
// edges to them too, and so is every node that only they (or Print's extra
// inputs) fed.
//
// Preconditions: nodes named in the inputs or outputs are kept, and so is a
// pass-through op nobody reads (a sink is likely the model's output), or an
// Identity on a Switch used as a control input (a tf.cond pivot).
#include <algorithm>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool pass_through(const std::string& op) {
  static const std::unordered_set<std::string> ops = {"Identity", "StopGradient",    "CheckNumerics",
                                                      "Snapshot", "PreventGradient", "Print"};
  return ops.count(op) > 0;
}

bool dropped(const std::string& op) {
  return op == "Assert" || op == "PrintV2" || op == "MergeSummary" || op.ends_with("Summary") ||
         op.ends_with("SummaryV2") || (op.starts_with("Write") && op.find("Summary") != std::string::npos);
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> removed;
  for (Node* n : graph.topological_order()) {
    if (io.is_protected(*n)) continue;
    if (dropped(n->op)) {
      removed.push_back(n);
      for (const Use& u : std::vector<Use>(n->uses()))
        if (u.input_index < 0) graph.remove_control_input(*u.node, n);
      continue;
    }
    const auto& consumers = n->uses();
    if (!pass_through(n->op) || n->inputs.empty() || consumers.empty()) continue;
    const bool pivot = n->inputs[0].node->op == "Switch" &&
                       std::any_of(consumers.begin(), consumers.end(), [](const Use& u) { return u.input_index < 0; });
    const bool other_port = std::any_of(consumers.begin(), consumers.end(), [](const Use& u) {
      return u.input_index >= 0 && u.node->inputs[u.input_index].index != 0;
    });
    if (pivot || other_port) continue;
    bypass(graph, *n, {n->inputs[0]});
    removed.push_back(n);
  }
  // With the nodes only the dropped ones (or Print's extra inputs) read.
  erase_dead(graph, removed, io.protected_names());
  return !removed.empty();
}

}  // namespace

PassSpec remove_training_nodes() {
  return {"remove_training_nodes",
          "Splice out Identity, StopGradient, CheckNumerics, Snapshot, PreventGradient, Print; drop Assert and "
          "summaries with the nodes only they feed",
          {},
          run};
}

}  // namespace tfprod::passes
