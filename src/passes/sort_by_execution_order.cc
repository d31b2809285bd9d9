// sort_by_execution_order: reorders the nodes so that every node comes after
// its inputs (ties keep their original order). No node or edge changes.
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  const std::vector<Node*> order = graph.topological_order();
  if (order == graph.nodes()) return false;
  tfprod::tf::GraphDef def = graph.to_graphdef();
  std::unordered_map<std::string, int> position;
  for (int i = 0; i < def.node_size(); ++i) position[def.node(i).name()] = i;
  tfprod::tf::GraphDef sorted = def;
  sorted.clear_node();
  for (const Node* n : order) *sorted.add_node() = def.node(position[n->name()]);
  graph = Graph::from_graphdef(std::move(sorted), graph.source());
  return true;
}

}  // namespace

PassSpec sort_by_execution_order() {
  return {"sort_by_execution_order", "Order nodes so that each comes after its inputs", {}, run};
}

}  // namespace tfprod::passes
