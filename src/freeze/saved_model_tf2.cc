// flatten_tf2_signature(): see saved_model_tf2.h.
//
//   serving_default_conv2d_input --+                       conv2d_input --> ...inlined body...
//   conv2d/kernel (VarHandleOp) ---+--> StatefulPartitionedCall   =>       ... --> dense_1 (Identity)
//   ...                            --+        [f=signature_wrapper]
#include "freeze/saved_model_tf2.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "tfprod/error.h"
#include "tfprod/inline_functions.h"

namespace tfprod {

namespace fs = std::filesystem;

namespace {

bool is_lookup_table(const std::string& op) {
  static const std::set<std::string> ops = {
      "HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2", "MutableHashTableOfTensors",
      "MutableHashTableOfTensorsV2", "MutableDenseHashTable", "MutableDenseHashTableV2", "LookupTableFind",
      "LookupTableFindV2", "LookupTableImport", "LookupTableImportV2", "LookupTableSize", "LookupTableSizeV2",
      "InitializeTable", "InitializeTableV2", "InitializeTableFromTextFile", "InitializeTableFromTextFileV2",
      "AnonymousHashTable", "AnonymousMutableHashTable"};
  return ops.count(op) > 0;
}

// Control edges from these only order variable reads and updates, or stand
// for a call whose effects were those.
bool state_plumbing(const Node& n) {
  static const std::set<std::string> ops = {"NoOp", "IdentityN", "ReadVariableOp", "VarHandleOp",
                                            "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"};
  return ops.count(n.op) > 0;
}

bool is_variable_update(const std::string& op) {
  return op == "AssignVariableOp" || op == "AssignAddVariableOp" || op == "AssignSubVariableOp";
}

std::string func_name(const Node& n, const char* attr) {
  const auto* a = n.attr(attr);
  return a && a->has_func() ? a->func().name() : "?";
}

// Keeps exactly the ancestors of `roots`; returns the variable updates removed.
std::size_t prune_to(Graph& graph, const std::vector<const Node*>& roots) {
  auto keep_list = ancestors(roots);
  std::unordered_set<const Node*> keep(keep_list.begin(), keep_list.end());
  std::size_t updates = 0;
  for (const Node* n : graph.nodes()) updates += !keep.count(n) && is_variable_update(n->op);
  graph.remove_nodes([&](const Node& n) { return !keep.count(&n); });
  return updates;
}

// What cannot be made static, with the reason; the first in graph order fails.
void refuse_dynamic(const Graph& graph, const fs::path& dir) {
  for (const Node* n : graph.topological_order()) {
    const std::string head = fmt::format("{}: node '{}' ({})", dir.string(), n->name(), n->op);
    if (n->op == "While" || n->op == "StatelessWhile")
      fail("{}: a While loop (cond '{}', body '{}') cannot be made static: its trip count is only known when it "
           "runs, and tfprod does not unroll loops",
           head, func_name(*n, "cond"), func_name(*n, "body"));
    if (n->op == "If" || n->op == "StatelessIf")
      fail("{}: its predicate '{}' is computed at run time, so neither branch ('{}', '{}') can be chosen statically",
           head, n->inputs.empty() ? "?" : n->inputs[0].node->name(), func_name(*n, "then_branch"),
           func_name(*n, "else_branch"));
    if (is_lookup_table(n->op))
      fail("{}: a lookup table, filled at load time by TensorFlow's initialiser (assets, init op): tfprod cannot make "
           "it a constant",
           head);
    if (n->op == "PartitionedCall" || n->op == "StatefulPartitionedCall")
      fail("{}: a function call left after inlining", head);
  }
}

tfprod::tf::SignatureDef& find_signature(tfprod::tf::MetaGraphDef& meta, const fs::path& dir, const std::string& key) {
  std::vector<std::string> keys;
  for (auto& e : *meta.mutable_signature_def()) {
    if (e.key() == key) return *e.mutable_value();
    keys.push_back(e.key());
  }
  fail("{}: TF2 SavedModel has no signature '{}'; signatures present: {} (choose one with --signature)",
       dir.string(), key, keys.empty() ? "none" : fmt::format("{}", fmt::join(keys, ", ")));
}

std::string free_name(const Graph& graph, const std::string& wanted) {
  if (!graph.find(wanted)) return wanted;
  for (int i = 1;; ++i) {
    std::string name = fmt::format("{}_{}", wanted, i);
    if (!graph.find(name)) return name;
  }
}

}  // namespace

bool is_tf2_meta_graph(const tfprod::tf::MetaGraphDef& meta) {
  if (meta.has_object_graph_def()) return true;
  for (const auto& n : meta.graph_def().node())
    if (n.op() == "StatefulPartitionedCall" || n.op() == "PartitionedCall") return true;
  return false;
}

void flatten_tf2_signature(ModelSource& src, const fs::path& dir, const std::string& key) {
  tfprod::tf::SignatureDef& sig = find_signature(src.meta, dir, key);
  Graph graph = Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());
  const std::string where = fmt::format("{}: signature '{}'", dir.string(), key);

  // Inputs: the placeholder takes the key's name when it is free.
  std::vector<std::string> renamed;
  for (auto& in : *sig.mutable_inputs()) {
    if (in.value().name().empty()) fail("{}: input '{}' is not a plain tensor (composite or sparse)", where, in.key());
    TensorRef ref = TensorRef::parse(in.value().name());
    Node* node = graph.find(ref.node);
    if (!node) fail("{}: input '{}' names tensor '{}', which is not in the graph", where, in.key(), ref.str());
    if (node->op == "Placeholder" && ref.index == 0 && node->name() != in.key() && !graph.find(in.key())) {
      renamed.push_back(fmt::format("{} <- {}", in.key(), node->name()));
      graph.rename(*node, in.key());
    }
    TensorRef now{node->name(), ref.index};
    in.mutable_value()->set_name(now.str() + (ref.index == 0 ? ":0" : ""));
    src.signature_inputs.push_back(in.value().name());
  }

  // Outputs: an Identity named after each key reads the returned tensor.
  std::vector<const Node*> outputs;
  std::vector<std::string> named;
  for (auto& out : *sig.mutable_outputs()) {
    if (out.value().name().empty())
      fail("{}: output '{}' is not a plain tensor (composite or sparse)", where, out.key());
    TensorRef ref = TensorRef::parse(out.value().name());
    Node* producer = graph.find(ref.node);
    if (!producer) fail("{}: output '{}' names tensor '{}', which is not in the graph", where, out.key(), ref.str());
    DataType dtype = out.value().dtype();
    if (const auto* tout = producer->attr("Tout"); tout && ref.index < tout->list().type_size())
      dtype = tout->list().type(ref.index);
    Node& id = graph.add_node(free_name(graph, out.key()), "Identity");
    graph.add_input(id, {producer, ref.index});
    id.device = producer->device;
    if (dtype != tfprod::tf::DT_INVALID) id.set_attr("T").set_type(dtype);
    named.push_back(fmt::format("{} <- {}", id.name(), out.value().name()));
    out.mutable_value()->set_name(id.name() + ":0");
    src.signature_outputs.push_back(out.value().name());
    outputs.push_back(&id);
  }
  if (outputs.empty()) fail("{}: the signature has no outputs", where);

  const std::size_t before = graph.size();
  prune_to(graph, outputs);
  InlineReport inlined;
  inline_function_calls(graph, {}, &inlined);
  prune_to(graph, outputs);

  std::size_t edges = 0;
  for (Node* n : graph.nodes()) {
    std::vector<Node*> c = n->control_inputs;
    const std::size_t was = c.size();
    std::erase_if(c, [](const Node* p) { return state_plumbing(*p); });
    edges += was - c.size();
    if (c.size() != was) graph.set_control_inputs(*n, std::move(c));
  }
  const std::size_t updates = prune_to(graph, outputs);
  refuse_dynamic(graph, dir);
  const int functions = prune_function_library(graph);

  src.notes.push_back(fmt::format("{}: inlined {} function calls{}; {} -> {} nodes; {} of {} library functions unused "
                                  "now, dropped",
                                  where, inlined.calls, inlined.ifs ? fmt::format(" and {} If", inlined.ifs) : "",
                                  before, graph.size(), functions,
                                  functions + (graph.rest().has_library() ? graph.rest().library().function_size() : 0)));
  src.notes.push_back(fmt::format("{}: inputs {}; outputs {}", where, renamed.empty() ? "(names kept)" : fmt::format("{}", fmt::join(renamed, ", ")),
                                  fmt::join(named, ", ")));
  if (updates)
    src.notes.push_back(fmt::format("{}: dropped {} variable updates (training-mode statistics) that only control "
                                    "edges reached ({} edges): a frozen model holds no state",
                                    where, updates, edges));
  for (const auto& n : inlined.notes) src.notes.push_back(n);
  *src.meta.mutable_graph_def() = std::move(graph).release_graphdef();
}

}  // namespace tfprod
