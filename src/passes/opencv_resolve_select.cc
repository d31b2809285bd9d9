// opencv_resolve_select: OpenCV 4.6 has no Select. A Select whose condition
// is a constant that is all true or all false (a training flag set with
// placeholders_to_const and folded) is its chosen branch; what only the
// other branch used (batch-norm moments, say) goes with it.
//
//   flag:Const(false) -> Select(flag, batch_mean, moving_mean) -> Sub      moving_mean -> Sub
//   x -> Mean -> batch_mean -----------^                              =>   (Mean removed)
//
// Select (v1) only: its branches have the output's shape, so consumers may
// read the branch directly. A Select named in the outputs becomes an Identity
// of the branch. Nodes left without consumers are removed unless they are
// inputs or outputs. Values are unchanged.
#include <unordered_set>

#include "eval/tensor_util.h"
#include "passes/passes.h"
#include "tensorflow/core/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

// 1 all true, 0 all false, -1 mixed or not a constant bool.
int constant_condition(const Node* c) {
  if (c->op != "Const" || !c->attr("value")) return -1;
  Tensor t = tensor_from_proto(c->attr("value")->tensor(), c->name());
  if (t.dtype != tensorflow::DT_BOOL || t.data.empty()) return -1;
  bool first = t.data[0] != 0;
  for (char b : t.data)
    if ((b != 0) != first) return -1;
  return first ? 1 : 0;
}

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::unordered_set<std::string> keep;
  for (const auto& s : context.inputs) keep.insert(TensorRef::parse(s).node);
  for (const auto& s : context.outputs) keep.insert(TensorRef::parse(s).node);
  bool changed = false;
  std::unordered_set<const Node*> candidates;  // may have lost their last consumer
  for (Node* sel : graph.nodes()) {
    if (sel->op != "Select" || sel->inputs.size() != 3) continue;
    int cond = constant_condition(sel->inputs[0].node);
    if (cond < 0) continue;
    Endpoint branch = sel->inputs[cond ? 1 : 2];
    changed = true;
    if (keep.count(sel->name())) {
      sel->op = "Identity";
      for (const auto& in : sel->inputs) candidates.insert(in.node);
      sel->inputs = {branch};
      continue;
    }
    for (Node* m : graph.nodes())
      for (auto& in : m->inputs)
        if (in.node == sel) in = branch;
    candidates.insert(sel);
  }
  if (!changed) return;
  // Remove what only the dropped branches fed, walking up from them.
  while (!candidates.empty()) {
    auto uses = graph.uses();
    std::unordered_set<const Node*> dead, next;
    for (const Node* n : candidates)
      if (!keep.count(n->name()) && uses[n].empty()) dead.insert(n);
    for (const Node* n : dead) {
      for (const auto& in : n->inputs)
        if (!dead.count(in.node)) next.insert(in.node);
      for (const Node* c : n->control_inputs)
        if (!dead.count(c)) next.insert(c);
    }
    graph.remove_nodes([&](const Node& n) { return dead.count(&n) > 0; });
    for (const Node* n : dead) next.erase(n);
    candidates = std::move(next);
  }
}

}  // namespace

PassSpec opencv_resolve_select() {
  return {"opencv_resolve_select", "Replace a Select on a constant all-true/all-false condition by its branch", {},
          run};
}

}  // namespace tfprod::passes
