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

void add_control(Node& n, Node* c) {
  if (c != &n && std::find(n.control_inputs.begin(), n.control_inputs.end(), c) == n.control_inputs.end())
    n.control_inputs.push_back(c);
}

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::unordered_set<const Node*> named;
  for (const auto& s : context.inputs) named.insert(graph.find(TensorRef::parse(s).node));
  for (const auto& s : context.outputs) named.insert(graph.find(TensorRef::parse(s).node));

  auto uses = graph.uses();
  std::unordered_set<const Node*> removed, spliced;
  std::vector<const Node*> seeds;  // their producers go too when nothing else reads them
  for (Node* n : graph.topological_order()) {
    if (named.count(n)) continue;
    if (dropped(n->op)) {
      removed.insert(n);
      seeds.push_back(n);
      for (const Use& u : uses[n])
        if (u.input_index < 0) std::erase(u.node->control_inputs, n);
      continue;
    }
    if (!pass_through(n->op) || n->inputs.empty() || uses[n].empty()) continue;
    const auto& consumers = uses[n];
    const bool pivot = n->inputs[0].node->op == "Switch" &&
                       std::any_of(consumers.begin(), consumers.end(), [](const Use& u) { return u.input_index < 0; });
    const bool other_port = std::any_of(consumers.begin(), consumers.end(), [](const Use& u) {
      return u.input_index >= 0 && u.node->inputs[u.input_index].index != 0;
    });
    if (pivot || other_port) continue;
    for (const Use& u : consumers) {
      if (u.input_index >= 0) {
        u.node->inputs[u.input_index] = n->inputs[0];
      } else {
        std::erase(u.node->control_inputs, n);
        add_control(*u.node, n->inputs[0].node);
      }
      for (Node* c : n->control_inputs) add_control(*u.node, c);
    }
    removed.insert(n);
    spliced.insert(n);
    if (n->inputs.size() > 1) seeds.push_back(n);  // Print's message inputs
  }

  // Nodes that only the dropped ones (or Print's extra inputs) read.
  uses = graph.uses();
  while (!seeds.empty()) {
    const Node* n = seeds.back();
    seeds.pop_back();
    std::vector<const Node*> producers;
    for (std::size_t i = spliced.count(n) ? 1 : 0; i < n->inputs.size(); ++i) producers.push_back(n->inputs[i].node);
    producers.insert(producers.end(), n->control_inputs.begin(), n->control_inputs.end());
    for (const Node* p : producers) {
      if (removed.count(p) || named.count(p)) continue;
      const auto& us = uses[p];
      if (std::all_of(us.begin(), us.end(), [&](const Use& u) { return removed.count(u.node); })) {
        removed.insert(p);
        seeds.push_back(p);
      }
    }
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
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
