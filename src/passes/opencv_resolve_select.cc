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
#include "tfprod/tensor_values.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

// 1 all true, 0 all false, -1 mixed or not a constant bool.
int constant_condition(const Node* c) {
  if (c->op != "Const" || !c->attr("value")) return -1;
  Tensor t = tensor_from_proto(c->attr("value")->tensor(), c->name());
  if (t.dtype != tfprod::tf::DT_BOOL || t.data.empty()) return -1;
  bool first = t.data[0] != 0;
  for (char b : t.data)
    if ((b != 0) != first) return -1;
  return first ? 1 : 0;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  const OpPattern select{"select",
                         {"Select"},
                         {{"cond", {"Const"}, {}, OpPattern::Status::kKeep,
                           [](const Node& c) { return constant_condition(&c) >= 0; }},
                          {"then", {}},
                          {"else", {}}}};
  std::vector<Node*> selects;
  for (Node* n : graph.nodes())
    if (n->op == "Select") selects.push_back(n);
  std::vector<Node*> dropped;  // may have lost their last reader
  for (Node* sel : selects) {
    auto m = match_pattern(*sel, select, {});
    if (!m) continue;
    const Endpoint branch = sel->inputs[constant_condition(m->at("cond")) ? 1 : 2];
    if (io.is_protected(*sel)) {
      sel->op = "Identity";
      for (const auto& in : sel->inputs) dropped.push_back(in.node);
      graph.set_inputs(*sel, {branch});
    } else {
      replace_node_uses(graph, *sel, branch);  // data and control readers alike
      dropped.push_back(sel);
    }
  }
  // What only the dropped branches fed goes with them.
  erase_dead(graph, dropped, io.protected_names());
  return !dropped.empty();
}

}  // namespace

PassSpec opencv_resolve_select() {
  return {"opencv_resolve_select", "Replace a Select on a constant all-true/all-false condition by its branch", {},
          run};
}

}  // namespace tfprod::passes
