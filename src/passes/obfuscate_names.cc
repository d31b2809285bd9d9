// obfuscate_names: renames every node that is not a graph input or output
// to a short generated name ("0", "1", ..., "z", "A", ..., "Z", "10", ...:
// base 62 in graph order, as TF does), hiding the model's structure names.
//
//   input = Placeholder            input = Placeholder
//   conv1/weights = Const    =>    0 = Const
//   conv1/Conv2D = Conv2D(...)     1 = Conv2D(input, 0)
//   output = Softmax(...)          output = Softmax(...)
//
// Generated names never collide with the kept ones. Colocation attributes
// (_class "loc:@name") follow the renamed nodes.
#include <set>
#include <unordered_map>

#include "passes/passes.h"

namespace tfprod::passes {

namespace {

std::string base62(int64_t i) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string s;
  do {
    s.insert(s.begin(), digits[i % 62]);
    i /= 62;
  } while (i > 0);
  return s;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  const auto& required = io.protected_names();

  std::unordered_map<std::string, std::string> new_names;
  std::vector<std::pair<Node*, std::string>> renamed;
  int64_t counter = 0;
  for (Node* n : graph.nodes()) {
    if (required.count(n->name())) continue;
    std::string name;
    do name = base62(counter++);
    while (required.count(name));
    new_names[n->name()] = name;
    renamed.emplace_back(n, name);
  }
  // Two steps, so that a new name may be an old name not yet renamed.
  int64_t k = 0;
  for (auto& [n, name] : renamed) {
    std::string tmp;
    do tmp = "__obfuscate_names_" + std::to_string(k++);
    while (graph.find(tmp));
    graph.rename(*n, tmp);
  }
  for (auto& [n, name] : renamed) graph.rename(*n, name);
  for (Node* n : graph.nodes())
    if (auto* cls = n->attr("_class"); cls && cls->has_list()) {
      auto& list = *n->set_attr("_class").mutable_list();
      for (auto& s : *list.mutable_s())
        if (s.rfind("loc:@", 0) == 0)
          if (auto it = new_names.find(s.substr(5)); it != new_names.end()) s = "loc:@" + it->second;
    }
  return !renamed.empty();
}

}  // namespace

PassSpec obfuscate_names() {
  return {"obfuscate_names", "Rename every node except the inputs and outputs to a short generated name", {}, run};
}

}  // namespace tfprod::passes
