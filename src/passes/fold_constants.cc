// fold_constants (see the header for the policy).
//
//   Const a -+                          Const a -+
//            Add --> Relu         =>              (removed)
//   Const b -+                          Const Add --> Relu
//
// Constness flows in topological order: a node is constant when its kernel is
// deterministic and every data and control input is constant. A constant
// node read by a non-constant node (or named in `keep`... as an output it
// stays Const under its own name) becomes a Const holding its value; a node
// with several consumed outputs gets one Const per output, named
// "<node>/_folded_<port>". Constant nodes nobody reads any more are removed.
#include "tfprod/fold_constants.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "eval/kernel.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/rewrite.h"

namespace tfprod {

namespace {

// Ops never folded even when their inputs are constant.
bool never_fold(const Node& n) {
  static const std::unordered_set<std::string> ops = {
      "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "Switch", "RefSwitch", "Merge", "RefMerge",
      "Enter", "Exit", "NextIteration", "LoopCond", "NoOp", "Assert", "Print", "CheckNumerics"};
  return ops.count(n.op) > 0;
}

uint64_t bytes_of(const std::vector<Tensor>& outputs) {
  uint64_t total = 0;
  for (const auto& t : outputs) {
    total += t.data.size();
    for (const auto& s : t.strings) total += s.size();
  }
  return total;
}


// Ops whose output shape depends on input values: shapes found on zero
// inputs would not hold for real ones.
bool value_dependent_shape(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "Where", "Unique", "UniqueV2", "NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3",
      "NonMaxSuppressionV4", "NonMaxSuppressionV5", "DynamicPartition", "DynamicStitch", "Bincount"};
  return ops.count(op) > 0;
}

// Shape / ShapeN / Size / Rank whose shapes are fully known from the
// placeholders: their values, computed on zero inputs, and the node each
// read (which gets a control edge to the Const that replaces it).
// The zeros a placeholder is fed while shapes are computed; none when its
// dtype or shape is not fully known (its shapes cannot be folded then).
std::optional<Tensor> zero_feed(const Node& placeholder) {
  const auto* dtype = placeholder.attr("dtype");
  const auto* shape = placeholder.attr("shape");
  if (!dtype || !shape || !shape->has_shape() || shape->shape().unknown_rank()) return std::nullopt;
  Tensor z;
  z.dtype = dtype->type();
  z.shape = shape_from_proto(shape->shape());
  for (int64_t d : z.shape)
    if (d < 0) return std::nullopt;
  if (dtype_size(z.dtype) == 0) return std::nullopt;
  z.data.assign(static_cast<std::size_t>(num_elements(z.shape)) * dtype_size(z.dtype), '\0');
  return z;
}

// Nodes whose shapes static folding cannot know: a value-dependent-shape op or
// a placeholder without a known shape, or anything computed from one. One
// walk in topological order (asking each shape op for its ancestors was
// quadratic in graph size).
std::unordered_set<const Node*> shape_unknowable(const Graph& graph) {
  std::unordered_set<const Node*> unknowable;
  for (const Node* n : graph.topological_order()) {
    bool u = value_dependent_shape(n->op) || (n->op == "Placeholder" && !zero_feed(*n));
    // A loop's Merge also reads its NextIteration (a back edge the order skips).
    for (const auto& in : n->inputs) u = u || unknowable.count(in.node) || in.node->op == "NextIteration";
    for (const Node* c : n->control_inputs) u = u || unknowable.count(c);
    if (u) unknowable.insert(n);
  }
  return unknowable;
}

void fold_static_shapes(Graph& graph, std::unordered_map<const Node*, std::vector<Tensor>>& values,
                        std::unordered_map<const Node*, const Node*>& controls, FoldReport& report) {
  static const std::unordered_set<std::string> shape_ops = {"Shape", "ShapeN", "Size", "Rank"};
  std::vector<const Node*> candidates;
  std::optional<std::unordered_set<const Node*>> unknowable;
  for (const Node* n : graph.nodes()) {
    if (!shape_ops.count(n->op) || n->inputs.empty()) continue;
    bool all_const = true;
    for (const auto& in : n->inputs) all_const = all_const && in.node->op == "Const";
    if (all_const) continue;
    if (!unknowable) unknowable = shape_unknowable(graph);
    if (!unknowable->count(n)) candidates.push_back(n);
  }
  std::map<std::string, Tensor> zeros;
  if (!candidates.empty())
    for (const Node* a : ancestors(candidates))
      if (a->op == "Placeholder") zeros[a->name()] = *zero_feed(*a);
  if (candidates.empty()) return;
  std::vector<std::pair<std::string, Tensor>> feeds(zeros.begin(), zeros.end());
  std::vector<std::string> fetches;
  for (const Node* c : candidates) {
    const int ports = c->op == "ShapeN" ? static_cast<int>(c->inputs.size()) : 1;
    for (int p = 0; p < ports; ++p) fetches.push_back(TensorRef{c->name(), p, false}.str());
  }
  std::vector<Tensor> results;
  try {
    results = Evaluator(graph).run(feeds, fetches);
  } catch (const Error& e) {
    report.warnings.push_back(fmt::format("shapes not folded: evaluating them failed: {}", e.what()));
    return;
  }
  std::size_t k = 0;
  for (const Node* c : candidates) {
    const std::size_t ports = c->op == "ShapeN" ? c->inputs.size() : 1;
    auto& out = values[c];
    for (std::size_t p = 0; p < ports; ++p) out.push_back(std::move(results[k++]));
    controls[c] = c->inputs[0].node;
  }
}

using Values = std::unordered_map<const Node*, std::vector<Tensor>>;  // constant nodes' outputs

// Runs `n`'s kernel on `inputs`; its outputs, or nullopt (with a warning
// where that is news) when it fails or must not be folded.
std::optional<std::vector<Tensor>> run_kernel(Node& n, const eval::KernelDef& kernel, std::vector<const Tensor*> inputs,
                                              const FoldOptions& options, std::mt19937_64& rng, FoldReport& report) {
  eval::KernelContext ctx(n, std::move(inputs), &rng);
  try {
    kernel.fn(ctx);
  } catch (const Error& e) {
    report.warnings.push_back(fmt::format("{}: kept: {}", n.name(), e.what()));
    return std::nullopt;
  }
  bool dead = false;
  for (bool d : ctx.dead()) dead = dead || d;
  if (dead || ctx.used_random()) return std::nullopt;
  if (n.op != "Const" && bytes_of(ctx.outputs()) > options.max_output_bytes) {
    report.warnings.push_back(fmt::format("{} (op {}): output of {} bytes is over the fold cap, kept", n.name(), n.op,
                                          bytes_of(ctx.outputs())));
    return std::nullopt;
  }
  return std::move(ctx.outputs());
}

// How many distinct non-null nodes `key` gives over `items` (a node's uses:
// sorted in a small vector, not hashed, as this runs once per Const).
template <class Items, class Key>
std::size_t distinct(const Items& items, Key key) {
  std::vector<const Node*> nodes;
  nodes.reserve(items.size());
  for (const auto& item : items)
    if (const Node* k = key(item)) nodes.push_back(k);
  std::sort(nodes.begin(), nodes.end());
  return static_cast<std::size_t>(std::unique(nodes.begin(), nodes.end()) - nodes.begin());
}

// Which nodes are constant, and their outputs. A Const is constant without
// being read: its tensor is decoded only when a node being folded reads it,
// and dropped once every reader has been visited. So folding a graph whose
// large weights feed only non-constant nodes (a MatMul on the input) decodes
// none of them: memory stays at the graph's own.
class Constants {
 public:
  Constants(const FoldOptions& options, FoldReport& report) : options_(options), report_(report) {}

  bool known(const Node* n) const { return known_.count(n) > 0; }
  void add(const Node* n, std::vector<Tensor> outs) {
    known_.insert(n);
    values_[n] = std::move(outs);
  }
  void add_const(Node& n) {
    known_.insert(&n);
    unread_[&n] = distinct(n.uses(), [](const Use& u) { return u.input_index >= 0 ? u.node : nullptr; });
  }
  Values& values() { return values_; }

  // `n`'s outputs when all its inputs are constant and it may be folded.
  std::optional<std::vector<Tensor>> evaluate(Node& n, std::mt19937_64& rng) {
    for (const auto& in : n.inputs)
      if (!known(in.node)) return std::nullopt;
    for (const Node* c : n.control_inputs)
      if (!known(c)) return std::nullopt;
    if (never_fold(n)) return std::nullopt;
    const eval::KernelDef* kernel = eval::find_kernel(n.op);
    if (!kernel) {
      report_.warnings.push_back(fmt::format("{} (op {}): no kernel, kept", n.name(), n.op));
      return std::nullopt;
    }
    if (kernel->random || kernel->stateful) return std::nullopt;
    std::vector<const Tensor*> inputs;
    for (const auto& in : n.inputs) {
      const std::vector<Tensor>* outs = outputs_of(*in.node, rng);
      if (!outs || static_cast<std::size_t>(in.index) >= outs->size()) return std::nullopt;
      inputs.push_back(&(*outs)[static_cast<std::size_t>(in.index)]);
    }
    return run_kernel(n, *kernel, std::move(inputs), options_, rng, report_);
  }

  // Called once `n` was visited: Const values only `n` still needed go.
  void visited(const Node& n) {
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const Node* p = n.inputs[i].node;
      bool seen = false;  // a producer read twice counts once (a node has few inputs: no set)
      for (std::size_t j = 0; j < i && !seen; ++j) seen = n.inputs[j].node == p;
      if (seen) continue;
      auto it = unread_.find(p);
      if (it == unread_.end() || it->second == 0) continue;
      if (--it->second == 0) values_.erase(p);
    }
  }

 private:
  // A constant node's outputs, decoding a Const on first use (nullptr, and
  // the Const no longer constant, when its tensor does not decode).
  const std::vector<Tensor>* outputs_of(Node& n, std::mt19937_64& rng) {
    if (auto it = values_.find(&n); it != values_.end()) return &it->second;
    if (n.op != "Const" || !unread_.count(&n)) return nullptr;
    const eval::KernelDef* kernel = eval::find_kernel("Const");
    auto outs = kernel ? run_kernel(n, *kernel, {}, options_, rng, report_) : std::nullopt;
    if (!outs) {
      known_.erase(&n);
      return nullptr;
    }
    return &(values_[&n] = std::move(*outs));
  }

  const FoldOptions& options_;
  FoldReport& report_;
  std::unordered_set<const Node*> known_;
  Values values_;
  std::unordered_map<const Node*, std::size_t> unread_;  // Const -> readers not yet visited
};

// A constant node to replace, and which of its outputs non-constant nodes read.
struct Replacement {
  Node* node;
  std::vector<int> ports;
};

// Every non-Const constant node whose value someone outside the constants
// needs (a kept node: its output 0). Decided before anything changes, so a
// failure leaves the graph intact.
std::vector<Replacement> plan_replacements(const Graph& graph, const Constants& constants,
                                           const std::unordered_set<std::string>& keep) {
  std::unordered_map<const Node*, std::unordered_set<int>> needed;
  for (Node* n : graph.nodes()) {
    if (constants.known(n)) continue;
    for (const auto& in : n->inputs)
      if (constants.known(in.node)) needed[in.node].insert(in.index);
  }
  std::vector<Replacement> plan;
  for (Node* n : graph.nodes()) {
    if (!constants.known(n) || n->op == "Const") continue;
    auto it = needed.find(n);
    std::vector<int> ports;
    if (it != needed.end()) ports.assign(it->second.begin(), it->second.end());
    if (keep.count(n->name()) && ports.empty()) ports.push_back(0);
    std::sort(ports.begin(), ports.end());
    if (!ports.empty()) plan.push_back({n, ports});
  }
  return plan;
}

// A node read at output 0 alone becomes the Const; otherwise each needed
// output k gets a Const NAME/_folded_k that its non-constant readers read.
void apply_replacements(Graph& graph, const std::vector<Replacement>& plan, Constants& constants,
                        const std::unordered_map<const Node*, const Node*>& shape_controls, FoldReport& report) {
  for (const auto& [node, ports] : plan) {
    auto& outs = constants.values().at(node);
    Node* control = nullptr;
    if (auto it = shape_controls.find(node); it != shape_controls.end()) control = const_cast<Node*>(it->second);
    if (ports.size() == 1 && ports[0] == 0) {
      make_const(graph, *node, outs[0]);
      if (control) graph.add_control_input(*node, control);
    } else {
      for (int port : ports) {
        Node& c = graph.add_node(fmt::format("{}/_folded_{}", node->name(), port), "Const");
        c.device = node->device;
        make_const(graph, c, outs[static_cast<std::size_t>(port)]);
        if (control) graph.add_control_input(c, control);
        for (const Use& u : std::vector<Use>(node->uses()))
          if (u.input_index >= 0 && u.node->inputs[u.input_index] == Endpoint{node, port} && !constants.known(u.node))
            graph.set_input(*u.node, u.input_index, {&c, 0});
      }
    }
    report.folded.push_back(node->name());
  }
}

}  // namespace

FoldReport fold_constants(Graph& graph, const FoldOptions& options) {
  FoldReport report;
  const std::unordered_set<std::string> keep(options.keep.begin(), options.keep.end());
  Constants constants(options, report);
  std::mt19937_64 rng(0);
  std::vector<Node*> had_readers;
  for (Node* n : graph.nodes())
    if (!n->uses().empty()) had_readers.push_back(n);
  std::unordered_map<const Node*, const Node*> shape_controls;
  if (options.fold_shapes) {
    Values shapes;
    fold_static_shapes(graph, shapes, shape_controls, report);
    for (auto& [node, outs] : shapes) constants.add(node, std::move(outs));
  }

  for (Node* n : graph.topological_order()) {
    if (constants.known(n)) {
      // a static shape, already known
    } else if (n->op == "Const" && n->inputs.empty() && n->control_inputs.empty()) {
      constants.add_const(*n);
    } else if (auto outs = constants.evaluate(*n, rng)) {
      constants.add(n, std::move(*outs));
    }
    constants.visited(*n);
  }
  apply_replacements(graph, plan_replacements(graph, constants, keep), constants, shape_controls, report);

  // Remove constant nodes that had readers before and have none now (and,
  // so, the constants only they read). Sinks the graph had anyway stay.
  std::vector<Node*> seeds;
  for (Node* n : had_readers)
    if (constants.known(n)) seeds.push_back(n);
  const std::unordered_set<const Node*> removable(seeds.begin(), seeds.end());
  erase_dead(graph, seeds, keep, [&](const Node& n) { return removable.count(&n) > 0; }, &report.removed);
  return report;
}

}  // namespace tfprod
