// opencv_pattern_order: each Const moves to just before its first reader,
// the order TF's own tools leave. OpenCV 4.6's subgraph matchers (Keras
// ReLU6 as Relu -> Minimum -> Maximum, and others) map matched nodes to the
// pattern by their order in the file: with the Consts sorted ahead of the
// Relu, the ReLU6 fusion reads the Relu as a Const and fails ("key not
// found: value").
//
//   c6, c0, x, r = Relu(x), m = Minimum(r, c6), y = Maximum(m, c0)
//     =>  x, r = Relu(x), c6, m = Minimum(r, c6), c0, y = Maximum(m, c0)
//
// Run after sort_by_execution_order: the order stays topological. Only the
// order changes.
#include <unordered_set>

#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  const std::vector<Node*> nodes = graph.nodes();
  std::vector<Node*> order;
  order.reserve(nodes.size());
  std::unordered_set<const Node*> placed;
  auto place = [&](Node* n) {
    if (placed.insert(n).second) order.push_back(n);
  };
  for (Node* n : nodes) {
    if (n->op == "Const" && !n->uses().empty()) continue;  // placed before its first reader
    for (const auto& in : n->inputs)
      if (in.node->op == "Const") place(in.node);
    place(n);
  }
  for (Node* n : nodes) place(n);  // Consts read only through control edges
  if (order == nodes) return false;
  graph.reorder(order);  // in place: no weight is copied
  return true;
}

}  // namespace

PassSpec opencv_pattern_order() {
  return {"opencv_pattern_order",
          "Move each Const just before its first reader (the order OpenCV's subgraph fusions expect)", {}, run};
}

}  // namespace tfprod::passes
