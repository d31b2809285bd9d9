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

void run(Graph& graph, const PassOptions&, PassContext&) {
  for (Node* n : graph.nodes()) n->control_inputs.clear();
}

}  // namespace

PassSpec remove_control_dependencies() {
  return {"remove_control_dependencies", "Remove every control dependency", {}, run};
}

}  // namespace tfprod::passes
