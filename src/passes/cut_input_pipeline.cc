// cut_input_pipeline: the model reads its input from a tf.data iterator, a
// queue, an image decoder or an Example parser; at inference it is fed.
//
//   OneShotIterator -> IteratorGetNext:0 -> Conv2D ...       Placeholder "IteratorGetNext" -> Conv2D ...
//                      IteratorGetNext:1 -> (labels)    =>   (iterator, queue, enqueue ops gone)
//
// Cut points: IteratorGetNext(Sync), QueueDequeue(V2 / Many / UpTo),
// DecodeJpeg / DecodePng / DecodeImage / DecodeBmp / DecodeGif, ParseExample(V2),
// ParseSingleExample. Walking up from the outputs (--outputs, else the graph's
// candidate outputs) and stopping at cut points, each cut-point output the
// model reads becomes a Placeholder: named after the node (port k > 0:
// "node_k") unless `name` is given (repeated: one per cut tensor, in graph
// order), dtype `type` or else the one the op declares (output_types,
// component_types, Tdense, uint8 for images; float when unknown), shape
// `shape` or the declared one. Then the pipeline goes: the cut nodes, what only
// they fed, and every node downstream of it that the outputs do not need
// (enqueue / close ops, labels).
//
// Preconditions: no graph input is given (strip_unused_nodes cuts at given
// inputs); at least one cut point feeds the outputs.
#include <algorithm>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/analysis.h"
#include "tfprod/error.h"
#include "tfprod/freeze.h"

namespace tfprod::passes {

namespace {

using NodeSet = std::unordered_set<const Node*>;

bool cut_point(const std::string& op) { return is_pipeline_cut_point(op); }

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  if (!context.inputs.empty()) fail("the inputs are given: strip_unused_nodes cuts there");
  std::vector<std::string> outputs = context.outputs.empty() ? candidate_outputs(graph) : context.outputs;
  const IoRefs io({}, outputs);
  const std::vector<TensorRef>& out_refs = io.outputs();
  NodeSet keep_named;
  std::vector<const Node*> stack;
  for (std::size_t i = 0; i < out_refs.size(); ++i) {
    const std::string& o = outputs[i];
    const Node* n = graph.find(out_refs[i].node);
    if (!n) fail("output '{}' is not in the graph", o);
    keep_named.insert(n);
    stack.push_back(n);
  }
  // The model: ancestors of the outputs, not looking past cut points.
  NodeSet model;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!model.insert(n).second || cut_point(n->op)) continue;
    for (const auto& in : n->inputs) stack.push_back(in.node);
    for (const Node* c : n->control_inputs) stack.push_back(c);
  }
  std::vector<Endpoint> cut;  // in graph order, then port
  for (Node* n : graph.nodes())
    if (model.count(n) && !cut_point(n->op))
      for (const auto& in : n->inputs)
        if (cut_point(in.node->op) && std::find(cut.begin(), cut.end(), in) == cut.end()) cut.push_back(in);
  if (cut.empty()) fail("no input pipeline (iterator, queue, decoder, parser) feeds the outputs");
  std::sort(cut.begin(), cut.end(), [](const Endpoint& a, const Endpoint& b) {
    return a.node != b.node ? a.node->name() < b.node->name() : a.index < b.index;
  });

  const auto names = options.get_all("name");
  if (!names.empty() && names.size() != cut.size())
    fail("{} name(s) given for {} cut tensor(s)", names.size(), cut.size());
  const std::optional<Shape> shape =
      options.has("shape") ? std::optional(PassOptions::parse_shape(options.get_string("shape"))) : std::nullopt;
  NodeSet pipeline;
  std::vector<Node*> placeholders;
  for (std::size_t i = 0; i < cut.size(); ++i) {
    const Endpoint e = cut[i];
    auto [type, decl_shape] = declared_output(*e.node, e.index);
    std::string name = !names.empty() ? names[i]
                       : e.index == 0 ? e.node->name() + "/placeholder"
                                      : e.node->name() + "_" + std::to_string(e.index);
    Node& ph = graph.add_node(name, "Placeholder");
    ph.set_attr("dtype").set_type(options.has("type") ? options.get_dtype("type", tfprod::tf::DT_FLOAT)
                                                      : type.value_or(tfprod::tf::DT_FLOAT));
    if (shape || decl_shape) shape_to_proto(shape ? *shape : *decl_shape, ph.set_attr("shape").mutable_shape());
    replace_all_uses(graph, e, {&ph, 0});
    pipeline.insert(e.node);
    placeholders.push_back(&ph);
  }
  // Port 0 keeps the node's name: the pipeline node is renamed out of the way first.
  for (std::size_t i = 0; i < cut.size(); ++i)
    if (names.empty() && cut[i].index == 0 && cut[i].node->name() + "/placeholder" == placeholders[i]->name()) {
      std::string original = cut[i].node->name();
      graph.rename(*cut[i].node, original + "/cut");
      graph.rename(*placeholders[i], original);
    }

  // What the outputs still need; the rest of the pipeline's reach goes.
  std::vector<const Node*> roots;
  for (const auto& o : out_refs) roots.push_back(graph.find(o.node));
  auto needed_list = ancestors(roots);
  NodeSet needed(needed_list.begin(), needed_list.end());
  // Upstream of a cut point is all pipeline (queues, datasets, iterators, files).
  NodeSet removed;
  for (const Node* n : ancestors(std::vector<const Node*>(pipeline.begin(), pipeline.end())))
    if (!needed.count(n) && !keep_named.count(n)) removed.insert(n);
  for (bool changed = true; changed;) {
    changed = false;
    for (const Node* n : graph.nodes()) {
      if (removed.count(n) || needed.count(n) || keep_named.count(n)) continue;
      // Downstream of the pipeline (enqueue ops, labels), or only feeding it.
      bool down =
          std::any_of(n->inputs.begin(), n->inputs.end(), [&](const Endpoint& e) { return removed.count(e.node); }) ||
          std::any_of(n->control_inputs.begin(), n->control_inputs.end(), [&](Node* c) { return removed.count(c); });
      const auto& uses = n->uses();  // what only the pipeline used
      bool up = !uses.empty() && std::all_of(uses.begin(), uses.end(), [&](const Use& u) { return removed.count(u.node); });
      if (down || up) changed = removed.insert(n).second || changed;
    }
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
  return true;  // it always cuts (no pipeline is an error)
}

}  // namespace

PassSpec cut_input_pipeline() {
  return {"cut_input_pipeline",
          "Find the input pipeline (iterator, queue, image decoder, Example parser) the outputs read and replace "
          "it by Placeholders",
          {{"type", OptionType::kDataType, "dtype of the placeholders (default: the one the pipeline declares)"},
           {"shape", OptionType::kShape, "shape of the placeholders, \"1,224,224,3\" (default: declared)"},
           {"name", OptionType::kString, "name of a placeholder (one per cut tensor, in order)", true}},
          run};
}

}  // namespace tfprod::passes
