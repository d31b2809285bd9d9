// sort_by_execution_order: reorders the nodes so that every node comes after
// its inputs (ties keep their original order). No node or edge changes.
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  const std::vector<Node*> order = graph.topological_order();
  if (order == graph.nodes()) return false;
  graph.reorder(order);  // in place: no node, edge or weight is copied
  return true;
}

}  // namespace

PassSpec sort_by_execution_order() {
  return {"sort_by_execution_order", "Order nodes so that each comes after its inputs", {}, run};
}

}  // namespace tfprod::passes
