// remove_attribute: deletes an attribute from every node (or every node of
// one op type).
//
//   Conv2D {T, strides, _class}   =>   Conv2D {T, strides}     (attribute_name=_class)
//
// Options: attribute_name (required), op_name (default "*": every op).
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  if (!options.has("attribute_name")) fail("needs attribute_name, e.g. remove_attribute(attribute_name=_class)");
  const std::string name = options.get_string("attribute_name");
  const std::string op = options.get_string("op_name", "*");
  bool changed = false;
  for (Node* n : graph.nodes())
    if (op == "*" || n->op == op) changed |= n->remove_attr(name);
  return changed;
}

}  // namespace

PassSpec remove_attribute() {
  return {"remove_attribute",
          "Remove an attribute from all nodes, or from the nodes of one op type",
          {{"attribute_name", OptionType::kString, "the attribute to remove"},
           {"op_name", OptionType::kString, "only nodes of this op (default *: all)"}},
          run};
}

}  // namespace tfprod::passes
