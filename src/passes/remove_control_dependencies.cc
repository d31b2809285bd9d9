// remove_control_dependencies: drops every control edge ("^node" input).
//
//   y = Relu(x, ^init)   =>   y = Relu(x)
//
// Nodes reached only through control edges stay in the graph (strip them
// with strip_unused_nodes). Ordering that the edges enforced is lost: meant
// for inference graphs whose control edges only sequenced training ops.
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    changed |= !n->control_inputs.empty();
    graph.set_control_inputs(*n, {});
  }
  return changed;
}

}  // namespace

PassSpec remove_control_dependencies() {
  return {"remove_control_dependencies", "Remove every control dependency", {}, run};
}

}  // namespace tfprod::passes
