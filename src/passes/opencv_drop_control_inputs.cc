// opencv_drop_control_inputs: OpenCV 4.6 counts a control input ("^x") as
// one of a node's inputs, so a FusedBatchNormV3 carrying one fails with
// "num_inputs == 5 ... is 6". An inference model needs none of them (they
// sequenced training ops, or an Identity the cleanup removed left them):
// every control edge goes, and so do the nodes only control edges kept.
//
//   bn = FusedBatchNormV3(x, g, b, m, v, ^init)   =>   bn = FusedBatchNormV3(x, g, b, m, v)
//   init = NoOp()                                       (init removed)
//
// Inputs and outputs are never removed. Values are unchanged.
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> producers;
  for (Node* n : graph.nodes()) {
    if (n->control_inputs.empty()) continue;
    for (Node* c : n->control_inputs) producers.push_back(c);
    graph.set_control_inputs(*n, {});
  }
  if (producers.empty()) return false;
  erase_dead(graph, producers, io.protected_names());
  return true;
}

}  // namespace

PassSpec opencv_drop_control_inputs() {
  return {"opencv_drop_control_inputs",
          "Drop every control input (OpenCV counts ^x as an input) and the nodes only they kept", {}, run};
}

}  // namespace tfprod::passes
