// merge_duplicate_nodes: nodes that compute the same thing (same op, device,
// inputs, control inputs and attributes, e.g. two identical Consts) become
// one; consumers of the duplicates read the survivor.
//
//   c1 = Const(2)  a = Mul(x, c1)          c1 = Const(2)  a = Mul(x, c1)
//   c2 = Const(2)  b = Mul(x, c2)    =>    y = Add(a, a)
//   y = Add(a, b)
//
// Nodes are visited producers first, so a merge that makes consumers equal
// (a and b above) is found in the same run: one run reaches the fixed point.
// The survivor is the first duplicate in execution order, unless a later one
// is a graph input or output (those names are never merged away; two of them
// stay apart). Stateful or random ops (Placeholder, variables, Random*,
// queues, iterators, assignments) are never merged.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool mergeable(const std::string& op) {
  static const std::set<std::string> stateful = {
      "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "VarHandleOp", "ReadVariableOp", "Multinomial",
      "TruncatedNormal", "ParameterizedTruncatedNormal", "Print", "PrintV2", "Save", "SaveV2", "Restore",
      "RestoreV2", "DestroyResourceOp", "ControlTrigger"};
  if (stateful.count(op)) return false;
  for (const char* prefix : {"Random", "Variable", "Assign", "Queue", "Iterator", "Stack", "TensorArray",
                             "Resource", "Stateful", "Mutable", "HashTable", "Lookup"})
    if (op.rfind(prefix, 0) == 0) return false;
  return true;
}

Node* canonical(const std::unordered_map<Node*, Node*>& replaced, Node* n) {
  for (auto it = replaced.find(n); it != replaced.end(); it = replaced.find(n)) n = it->second;
  return n;
}

std::string key_of(const Node& n, const std::unordered_map<Node*, Node*>& replaced) {
  std::string key = n.op + '\0' + n.device + '\0';
  for (const Endpoint& in : n.inputs) key += canonical(replaced, in.node)->name() + ':' + std::to_string(in.index) + '\0';
  std::set<std::string> controls;
  for (Node* c : n.control_inputs) controls.insert(canonical(replaced, c)->name());
  for (const auto& c : controls) key += '^' + c + '\0';
  std::vector<const tfprod::tf::AttrEntry*> attrs;
  for (const auto& a : n.attrs()) attrs.push_back(&a);
  std::sort(attrs.begin(), attrs.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  for (const auto* a : attrs) key += a->key() + '=' + a->value().SerializeAsString() + '\0';
  return key;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  const auto& required = io.protected_names();

  std::unordered_map<Node*, Node*> replaced;
  std::unordered_map<std::string, Node*> seen;
  for (Node* n : graph.topological_order()) {
    if (!mergeable(n->op)) continue;
    auto [it, fresh] = seen.emplace(key_of(*n, replaced), n);
    if (fresh) continue;
    Node* first = it->second;
    if (!required.count(n->name())) {
      replaced[n] = first;
    } else if (!required.count(first->name())) {
      replaced[first] = n;
      it->second = n;
    }
  }
  if (replaced.empty()) return false;
  for (Node* n : graph.nodes())
    if (replaced.count(n)) replace_node_uses(graph, *n, *canonical(replaced, n));
  graph.remove_nodes([&](const Node& n) { return replaced.count(const_cast<Node*>(&n)) > 0; });
  return true;
}

}  // namespace

PassSpec merge_duplicate_nodes() {
  return {"merge_duplicate_nodes",
          "Merge nodes with the same op, inputs and attributes (identical Consts included)", {}, run};
}

}  // namespace tfprod::passes
