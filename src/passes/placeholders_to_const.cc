// placeholders_to_const: optimize_for_inference's first step. A bool
// PlaceholderWithDefault (or Placeholder) named in `names` becomes a Const:
// its default when that is a constant, else the value given as NAME:VALUE
// (default false: the training flag off).
//
//   Const(false) -> PlaceholderWithDefault "keras_learning_phase"  =>  Const "keras_learning_phase" (false)
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  std::map<std::string, bool> wanted;
  for (const auto& list : options.get_all("names")) {
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string item = list.substr(start, comma - start);
      start = comma + 1;
      if (item.empty()) continue;
      bool value = false;
      if (auto colon = item.find_first_of(":="); colon != std::string::npos) {
        std::string v = item.substr(colon + 1);
        value = v == "true" || v == "True" || v == "1";
        item = item.substr(0, colon);
      }
      wanted[item] = value;
    }
  }
  bool changed = false;
  for (Node* n : graph.nodes()) {
    auto it = wanted.find(n->name());
    if (it == wanted.end() || (n->op != "PlaceholderWithDefault" && n->op != "Placeholder")) continue;
    const auto* dtype = n->attr("dtype");
    if (!dtype || dtype->type() != tfprod::tf::DT_BOOL) continue;
    tfprod::tf::TensorProto value;
    if (n->op == "PlaceholderWithDefault" && !n->inputs.empty() && n->inputs[0].node->op == "Const" &&
        n->inputs[0].node->attr("value")) {
      value = n->inputs[0].node->attr("value")->tensor();
    } else {
      value.set_dtype(tfprod::tf::DT_BOOL);
      value.mutable_tensor_shape();
      value.add_bool_val(it->second);
    }
    n->op = "Const";
    graph.clear_inputs(*n);
    n->attrs().Clear();
    n->set_attr("dtype").set_type(tfprod::tf::DT_BOOL);
    *n->set_attr("value").mutable_tensor() = value;
    context.warnings.push_back("placeholders_to_const: " + n->name() + " is now a constant");
    changed = true;
  }
  // Defaults that fed only the converted placeholders are no longer read.
  const std::size_t before = graph.size();
  graph.remove_nodes([&](const Node& n) {
    return n.op == "Const" && n.uses().empty() && n.name().find("keras_learning_phase") != std::string::npos &&
           !wanted.count(n.name());
  });
  return changed || graph.size() != before;
}

}  // namespace

PassSpec placeholders_to_const() {
  return {"placeholders_to_const",
          "Turn bool training-flag placeholders into Consts (optimize_for_inference's first step)",
          {{"names", OptionType::kString, "comma-separated NAME or NAME:VALUE (default value false)", true}},
          run};
}

}  // namespace tfprod::passes
