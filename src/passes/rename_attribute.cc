// rename_attribute: renames an attribute on every node (or every node of one
// op type), keeping its value and its place among the attributes.
//
//   Foo {old: 3}   =>   Foo {new: 3}     (old_attribute_name=old, new_attribute_name=new)
//
// Options: old_attribute_name, new_attribute_name (both required), op_name
// (default "*"). An attribute already called new_attribute_name is replaced.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  if (!options.has("old_attribute_name") || !options.has("new_attribute_name"))
    fail("needs old_attribute_name and new_attribute_name");
  const std::string from = options.get_string("old_attribute_name");
  const std::string to = options.get_string("new_attribute_name");
  const std::string op = options.get_string("op_name", "*");
  if (from == to) return false;
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if ((op != "*" && n->op != op) || !n->attr(from)) continue;
    n->remove_attr(to);
    for (auto& entry : n->attrs())
      if (entry.key() == from) entry.set_key(to);
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec rename_attribute() {
  return {"rename_attribute",
          "Rename an attribute on all nodes, or on the nodes of one op type",
          {{"old_attribute_name", OptionType::kString, "the attribute's current name"},
           {"new_attribute_name", OptionType::kString, "its new name"},
           {"op_name", OptionType::kString, "only nodes of this op (default *: all)"}},
          run};
}

}  // namespace tfprod::passes
