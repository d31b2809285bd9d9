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
  std::vector<const Node*> order;
  std::unordered_set<const Node*> placed;
  auto place = [&](const Node* n) {
    if (placed.insert(n).second) order.push_back(n);
  };
  for (const Node* n : nodes) {
    if (n->op == "Const" && !n->uses().empty()) continue;  // placed before its first reader
    for (const auto& in : n->inputs)
      if (in.node->op == "Const") place(in.node);
    place(n);
  }
  for (const Node* n : nodes) place(n);  // Consts read only through control edges
  bool same = true;
  for (std::size_t i = 0; i < nodes.size() && same; ++i) same = nodes[i] == order[i];
  if (same) return false;
  // Rebuilt through a GraphDef the weights move into (no copy of them).
  std::vector<std::string> names;
  for (const Node* n : order) names.push_back(n->name());
  const std::string source = graph.source();
  tfprod::tf::GraphDef def = std::move(graph).release_graphdef();
  std::unordered_map<std::string, int> position;
  for (int i = 0; i < def.node_size(); ++i) position[def.node(i).name()] = i;
  google::protobuf::RepeatedPtrField<tfprod::tf::NodeDef> reordered;
  for (const std::string& name : names) *reordered.Add() = std::move(*def.mutable_node(position.at(name)));
  def.mutable_node()->Swap(&reordered);
  graph = Graph::from_graphdef(std::move(def), source);
  return true;
}

}  // namespace

PassSpec opencv_pattern_order() {
  return {"opencv_pattern_order",
          "Move each Const just before its first reader (the order OpenCV's subgraph fusions expect)", {}, run};
}

}  // namespace tfprod::passes
