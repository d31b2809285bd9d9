// strip_unused_nodes: cut the graph at its inputs and drop what the outputs
// do not need.
//
//   OneShotIterator -> IteratorGetNext:0 -> Conv2D ...     Placeholder "IteratorGetNext" -> Conv2D ...
//                      IteratorGetNext:1 -> loss      =>   (loss and the iterator are gone)
//
// Each input tensor (--inputs, "node" or "node:port") becomes a Placeholder
// named after the node (port k > 0: "node_k") with dtype `type` (default: an
// existing placeholder's own dtype, else float) and, when given, `shape`;
// type_for_name / shape_for_name override them per `name`. Then every node
// that is not an ancestor of an output (stopping at the inputs) is removed.
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

struct InputSpec {
  std::optional<DataType> type;
  std::optional<Shape> shape;
};

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  if (context.outputs.empty()) fail("needs the graph's outputs (--outputs)");
  std::map<std::string, InputSpec> per_name;
  auto names = options.get_all("name");
  auto types = options.get_all("type_for_name");
  auto shapes = options.get_all("shape_for_name");
  if (types.size() > names.size() || shapes.size() > names.size())
    fail("type_for_name and shape_for_name must follow a name=...");
  for (std::size_t i = 0; i < names.size(); ++i) {
    InputSpec s;
    if (i < types.size()) s.type = *parse_dtype(types[i]);
    if (i < shapes.size()) s.shape = PassOptions::parse_shape(shapes[i]);
    per_name[names[i]] = s;
  }
  // "shape" may be repeated (one per input, in order) or hold ':'-separated shapes.
  std::vector<Shape> shapes_in_order;
  for (const auto& s : options.get_all("shape")) {
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t colon = s.find(':', start);
      if (colon == std::string::npos) colon = s.size();
      shapes_in_order.push_back(PassOptions::parse_shape(s.substr(start, colon - start)));
      start = colon + 1;
    }
  }

  const IoRefs io(context.inputs, context.outputs);
  std::unordered_set<const Node*> cut;
  std::vector<Node*> placeholders;
  bool changed = false;
  for (std::size_t i = 0; i < context.inputs.size(); ++i) {
    const TensorRef& ref = io.inputs()[i];
    Node* node = graph.find(ref.node);
    if (!node) fail("input '{}' is not in the graph", context.inputs[i]);
    InputSpec spec = per_name.count(ref.node) ? per_name[ref.node] : per_name[context.inputs[i]];
    if (!spec.type && options.has("type")) spec.type = options.get_dtype("type", tfprod::tf::DT_FLOAT);
    if (!spec.shape && i < shapes_in_order.size()) spec.shape = shapes_in_order[i];
    if (!spec.shape && shapes_in_order.size() == 1) spec.shape = shapes_in_order[0];

    Node* ph = node;
    if (ref.index > 0) {
      ph = &graph.add_node(ref.node + "_" + std::to_string(ref.index), "Placeholder");
      replace_all_uses(graph, {node, ref.index}, {ph, 0});
    }
    // Other ports of a node cut at port 0 are pruned below; one the outputs
    // still need is refused there.
    DataType dtype = tfprod::tf::DT_FLOAT;
    if (spec.type) {
      dtype = *spec.type;
    } else if (ph->op.rfind("Placeholder", 0) == 0 && ph->attr("dtype")) {
      dtype = ph->attr("dtype")->type();
    }
    std::optional<Shape> shape = spec.shape;
    if (!shape && ph->op == "Placeholder" && ph->attr("shape") && ph->attr("shape")->has_shape() &&
        !ph->attr("shape")->shape().unknown_rank())
      shape = shape_from_proto(ph->attr("shape")->shape());
    auto spelled = [](const Node& n) {  // one node: cheap
      std::string s = n.op;
      for (const auto& a : n.attrs()) s += a.SerializeAsString();
      return s;
    };
    const std::string before = spelled(*ph);
    changed |= !ph->inputs.empty() || !ph->control_inputs.empty();
    ph->op = "Placeholder";
    graph.clear_inputs(*ph);
    ph->attrs().Clear();
    ph->set_attr("dtype").set_type(dtype);
    if (shape) shape_to_proto(*shape, ph->set_attr("shape").mutable_shape());
    changed |= before != spelled(*ph);
    cut.insert(ph);
    placeholders.push_back(ph);
  }

  // Keep the ancestors of the outputs, not looking past the placeholders.
  std::unordered_set<const Node*> keep;
  std::vector<const Node*> stack;
  for (std::size_t i = 0; i < io.outputs().size(); ++i) {
    const Node* n = graph.find(io.outputs()[i].node);
    if (!n) fail("output '{}' is not in the graph", context.outputs[i]);
    stack.push_back(n);
  }
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!keep.insert(n).second || cut.count(n)) continue;
    for (const auto& in : n->inputs) stack.push_back(in.node);
    for (const Node* c : n->control_inputs) stack.push_back(c);
  }
  for (const Node* n : keep)
    for (const auto& in : n->inputs)
      if (cut.count(in.node) && in.index != 0 && in.node->op == "Placeholder")
        fail("node '{}' reads output {} of '{}', which is cut to a one-output Placeholder; list '{}:{}' in the inputs",
             n->name(), in.index, in.node->name(), in.node->name(), in.index);
  const std::size_t before = graph.size();
  graph.remove_nodes([&](const Node& n) { return !keep.count(&n); });
  return changed || graph.size() != before;
}

}  // namespace

PassSpec strip_unused_nodes() {
  return {"strip_unused_nodes",
          "Cut at the inputs (Placeholders of a given dtype and shape) and remove what the outputs do not need",
          {{"type", OptionType::kDataType, "dtype of the new placeholders (default float)"},
           {"shape", OptionType::kString, "shape of the placeholders, \"1,20,20,1\"", true},
           {"name", OptionType::kString, "an input that type_for_name / shape_for_name apply to", true},
           {"type_for_name", OptionType::kDataType, "dtype for the preceding name", true},
           {"shape_for_name", OptionType::kShape, "shape for the preceding name", true}},
          run};
}

}  // namespace tfprod::passes
