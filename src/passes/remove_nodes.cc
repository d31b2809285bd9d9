// remove_nodes: splices out pass-through ops (Identity, CheckNumerics, ...),
// reconnecting their consumers to their inputs.
//
//   x -> Identity "id" -> Relu          x -> Relu
//        ^ctrl                    =>         ^ctrl (moved onto Relu)
//   a, b -> IdentityN "n" -> n:1 -> C   b -> C  (IdentityN: output i is input i)
//
// Options: op (repeated; the op types to remove) and max_inputs (default 1):
// a node is removed only when it has between 1 and max_inputs data inputs
// (IdentityN: any number); its consumers then read its first input, as TF's
// remove_nodes does. Nodes that are graph inputs or outputs are kept, and so
// is a node (other than IdentityN) whose outputs other than 0 are read.
// Control dependencies of a removed node move to its consumers; a control
// dependency on it becomes one on its input(s).
#include <algorithm>
#include <set>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

void add_control(Node& n, Node* c) {
  if (c == &n) return;
  if (std::find(n.control_inputs.begin(), n.control_inputs.end(), c) == n.control_inputs.end())
    n.control_inputs.push_back(c);
}

void run(Graph& graph, const PassOptions& options, PassContext& context) {
  const auto ops_list = options.get_all("op");
  if (ops_list.empty()) fail("needs at least one op, e.g. remove_nodes(op=Identity)");
  const std::set<std::string> ops(ops_list.begin(), ops_list.end());
  const int64_t max_inputs = options.get_int("max_inputs", 1);
  std::set<std::string> required;
  for (const auto& s : context.inputs) required.insert(TensorRef::parse(s).node);
  for (const auto& s : context.outputs) required.insert(TensorRef::parse(s).node);

  const auto uses = graph.uses();
  std::unordered_set<const Node*> removed;
  for (Node* n : graph.topological_order()) {
    if (!ops.count(n->op) || required.count(n->name()) || n->inputs.empty()) continue;
    const bool per_port = n->op == "IdentityN";
    if (!per_port && static_cast<int64_t>(n->inputs.size()) > max_inputs) continue;
    auto it = uses.find(n);
    const std::vector<Use> none;
    const std::vector<Use>& consumers = it == uses.end() ? none : it->second;
    bool safe = true;
    for (const Use& u : consumers)
      if (u.input_index >= 0 && !per_port && u.node->inputs[u.input_index].index != 0) safe = false;
    if (!safe) {
      context.warnings.push_back("remove_nodes: kept '" + n->name() + "': an output other than 0 is read");
      continue;
    }
    for (const Use& u : consumers) {
      Node& c = *u.node;
      if (u.input_index >= 0) {
        Endpoint& e = c.inputs[u.input_index];
        if (per_port && e.index >= static_cast<int>(n->inputs.size()))
          fail("'{}' reads output {} of '{}', which has {} inputs", c.name(), e.index, n->name(), n->inputs.size());
        e = per_port ? n->inputs[e.index] : n->inputs[0];
      } else {
        std::erase(c.control_inputs, n);
        if (per_port) {
          for (const Endpoint& in : n->inputs) add_control(c, in.node);
        } else {
          add_control(c, n->inputs[0].node);
        }
      }
      for (Node* ctrl : n->control_inputs) add_control(c, ctrl);
    }
    removed.insert(n);
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
}

}  // namespace

PassSpec remove_nodes() {
  return {"remove_nodes",
          "Splice out ops of the given types (Identity, CheckNumerics, ...), consumers reading their inputs",
          {{"op", OptionType::kString, "an op type to remove", true},
           {"max_inputs", OptionType::kInt, "remove only nodes with at most this many data inputs (default 1)"}},
          run};
}

}  // namespace tfprod::passes
