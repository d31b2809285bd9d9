// rename_op: changes the op type of every node of one type; attributes and
// edges stay as they are.
//
//   Mul "m" (a, b)   =>   Times "m" (a, b)     (old_op_name=Mul, new_op_name=Times)
//
// Options: old_op_name, new_op_name (both required).
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  if (!options.has("old_op_name") || !options.has("new_op_name")) fail("needs old_op_name and new_op_name");
  const std::string from = options.get_string("old_op_name");
  const std::string to = options.get_string("new_op_name");
  if (to.empty()) fail("new_op_name is empty");
  bool changed = false;
  for (Node* n : graph.nodes())
    if (n->op == from && from != to) {
      n->op = to;
      changed = true;
    }
  return changed;
}

}  // namespace

PassSpec rename_op() {
  return {"rename_op",
          "Change the op type of every node of one type",
          {{"old_op_name", OptionType::kString, "the op type to rename"},
           {"new_op_name", OptionType::kString, "the new op type"}},
          run};
}

}  // namespace tfprod::passes
