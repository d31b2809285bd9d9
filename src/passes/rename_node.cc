// rename_node: gives one node a new name; every reference to it follows.
//
//   super/deep/output = Softmax(x)   =>   output = Softmax(x)
//       y = Foo(super/deep/output)   =>   y = Foo(output)
//
// Options: old_node_name, new_node_name (both required). Fails when the new
// name is taken or the old one is not in the graph. When the node is one of
// the pipeline's inputs or outputs, those names follow it, so later
// transforms find it under its new name.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

void rename_refs(std::vector<std::string>& refs, const std::string& from, const std::string& to) {
  for (std::string& s : refs) {
    TensorRef r = TensorRef::parse(s);
    if (r.node != from) continue;
    const bool had_port = s.find(':') != std::string::npos;
    r.node = to;
    s = had_port ? r.node + ":" + std::to_string(r.index) : r.str();
  }
}

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  if (!options.has("old_node_name") || !options.has("new_node_name")) fail("needs old_node_name and new_node_name");
  const std::string from = options.get_string("old_node_name");
  const std::string to = options.get_string("new_node_name");
  Node* n = graph.find(from);
  if (!n) fail("no node named '{}'", from);
  if (from == to) return false;
  if (graph.find(to)) fail("a node is already named '{}'", to);
  graph.rename(*n, to);
  rename_refs(context.inputs, from, to);
  rename_refs(context.outputs, from, to);
  return true;
}

}  // namespace

PassSpec rename_node() {
  return {"rename_node",
          "Rename one node; its consumers follow",
          {{"old_node_name", OptionType::kString, "the node to rename"},
           {"new_node_name", OptionType::kString, "its new name"}},
          run};
}

}  // namespace tfprod::passes
