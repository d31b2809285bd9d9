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

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  const auto ops_list = options.get_all("op");
  if (ops_list.empty()) fail("needs at least one op, e.g. remove_nodes(op=Identity)");
  const std::set<std::string> ops(ops_list.begin(), ops_list.end());
  const int64_t max_inputs = options.get_int("max_inputs", 1);
  const IoRefs io(context.inputs, context.outputs);

  std::unordered_set<const Node*> removed;
  for (Node* n : graph.topological_order()) {
    if (!ops.count(n->op) || io.is_protected(*n) || n->inputs.empty()) continue;
    const bool per_port = n->op == "IdentityN";
    if (!per_port && static_cast<int64_t>(n->inputs.size()) > max_inputs) continue;
    const bool safe = per_port || std::none_of(n->uses().begin(), n->uses().end(), [](const Use& u) {
                        return u.input_index >= 0 && u.node->inputs[u.input_index].index != 0;
                      });
    if (!safe) {
      context.warnings.push_back("remove_nodes: kept '" + n->name() + "': an output other than 0 is read");
      continue;
    }
    bypass(graph, *n, per_port ? n->inputs.vector() : std::vector<Endpoint>{n->inputs[0]});
    removed.insert(n);
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
  return !removed.empty();
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
