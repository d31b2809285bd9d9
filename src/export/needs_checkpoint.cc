#include "export/needs_checkpoint.h"

#include <unordered_set>

#include "tfprod/error.h"
#include "tfprod/tensor_name.h"

namespace tfprod {

void refuse_variables_without_checkpoint(const Graph& graph, const std::vector<std::string>& inputs,
                                         const std::vector<std::string>& outputs, const std::string& source) {
  std::unordered_set<const Node*> cut, seen;
  for (const auto& in : inputs)
    if (const Node* n = graph.find(TensorRef::parse(in).node)) cut.insert(n);
  std::vector<const Node*> stack;
  for (const auto& o : outputs)
    if (const Node* n = graph.find(TensorRef::parse(o).node)) stack.push_back(n);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second || cut.count(n)) continue;
    if (n->op == "VariableV2" || n->op == "Variable" || n->op == "VarHandleOp")
      fail("{}: the outputs read variable '{}' but no checkpoint was found; pass --checkpoint PREFIX", source,
           n->name());
    if (n->op == "Placeholder" && n->attr("dtype") && n->attr("dtype")->type() == tfprod::tf::DT_RESOURCE)
      fail("{}: the outputs read variable handle '{}', a DT_RESOURCE placeholder (a variable a TF2 function "
           "captured), whose values this file does not hold; export the SavedModel directory (saved_model.pb and "
           "variables/)",
           source, n->name());
    for (const auto& in : n->inputs) stack.push_back(in.node);
    for (const Node* c : n->control_inputs) stack.push_back(c);
  }
}

}  // namespace tfprod
