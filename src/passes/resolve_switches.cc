// resolve_switches: tf.cond on a flag whose value is known at inference
// (is_training, keras_learning_phase, ...) becomes the branch it selects.
//
//   x --> Switch(x, pred=is_train) --:0--> Identity --+            x --> Identity --> Relu
//                                  --:1--> dropout ---+--> Merge --> Relu   =>   (dropout branch gone)
//
// A Switch's predicate is known when it is computed (through a few nodes,
// evaluated with tfprod's evaluator) from Consts, PlaceholderWithDefault
// defaults, bool Placeholders named like a training flag (is_training,
// is_train, phase_train, keras_learning_phase, ...: false) and the values the
// user gives (repeated `set=NAME:VALUE`, e.g. set=is_train:false; VALUE is
// true/false or a number). Then readers of the taken output read the Switch's
// input; the untaken branch (everything dead, as TF's executor defines it) is
// removed, and each Merge with one live input is replaced by it. Merge input
// order is never used. Control edges from the branch pivots (switch_t /
// switch_f) are dropped; nodes only the removed ones used (pred_id, the flag
// placeholder) go too. Repeats until no known Switch is left.
//
// Preconditions: nodes named in the outputs must not be in an untaken branch
// (the pass fails naming them); while-loop switches (LoopCond) are left alone.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "passes/passes.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"

namespace tfprod::passes {

namespace {

using NodeSet = std::unordered_set<const Node*>;

bool training_flag_name(const std::string& name) {
  std::string base = name.substr(name.rfind('/') + 1);
  std::transform(base.begin(), base.end(), base.begin(), ::tolower);
  return base.starts_with("is_train") || base.starts_with("phase_train") || base.starts_with("train_phase") ||
         base.find("learning_phase") != std::string::npos || base == "training" || base == "istraining";
}

Tensor scalar(DataType dtype, const std::string& text, const std::string& name) {
  Tensor t{dtype, {}, {}, {}};
  const bool truth = text == "true" || text == "True";
  const double v = truth ? 1 : (text == "false" || text == "False") ? 0 : std::stod(text);
  auto put = [&](auto value) { t.data.assign(reinterpret_cast<const char*>(&value), sizeof(value)); };
  switch (dtype) {
    case tensorflow::DT_BOOL:
      put(static_cast<bool>(v != 0));
      break;
    case tensorflow::DT_FLOAT:
      put(static_cast<float>(v));
      break;
    case tensorflow::DT_DOUBLE:
      put(v);
      break;
    case tensorflow::DT_INT32:
      put(static_cast<int32_t>(v));
      break;
    case tensorflow::DT_INT64:
      put(static_cast<int64_t>(v));
      break;
    default:
      fail("set={}:{}: cannot give a value to '{}' of {}", name, text, name, dtype_name(dtype));
  }
  return t;
}

// Feeds that fix the flags: the user's values, training-named bool placeholders.
std::vector<std::pair<std::string, Tensor>> flag_feeds(const Graph& graph, const PassOptions& options) {
  std::map<std::string, Tensor> feeds;
  for (const Node* n : graph.nodes())
    if (n->op == "Placeholder" && training_flag_name(n->name()) && n->attr("dtype") &&
        n->attr("dtype")->type() == tensorflow::DT_BOOL)
      feeds[n->name()] = scalar(tensorflow::DT_BOOL, "false", n->name());
  for (const auto& s : options.get_all("set")) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) fail("set={}: expected NAME:VALUE", s);
    std::string name = s.substr(0, colon);
    const Node* n = graph.find(name);
    if (!n) fail("set={}: no node named '{}'", s, name);
    DataType dtype = n->attr("dtype") ? n->attr("dtype")->type() : tensorflow::DT_BOOL;
    try {
      feeds[name] = scalar(dtype, s.substr(colon + 1), name);
    } catch (const std::logic_error&) {
      fail("set={}: '{}' is not true, false or a number", s, s.substr(colon + 1));
    }
  }
  return {feeds.begin(), feeds.end()};
}

// The predicate's value, when its few ancestors are constants or fed flags.
std::optional<bool> predicate(const Graph& graph, const Endpoint& pred,
                              const std::vector<std::pair<std::string, Tensor>>& feeds) {
  static const std::unordered_set<std::string> opaque = {
      "Placeholder", "Switch",     "Merge",       "Enter",          "Exit",          "NextIteration",  "LoopCond",
      "RefSwitch",   "VariableV2", "VarHandleOp", "ReadVariableOp", "RandomUniform", "IteratorGetNext"};
  std::map<std::string, const Tensor*> fed;
  for (const auto& f : feeds) fed[f.first] = &f.second;
  std::vector<std::pair<std::string, Tensor>> used;
  NodeSet seen;
  std::vector<const Node*> stack{pred.node};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    if (auto f = fed.find(n->name()); f != fed.end()) {
      used.emplace_back(f->first, *f->second);
      continue;
    }
    if (seen.size() > 64 || opaque.count(n->op)) return std::nullopt;
    for (const auto& in : n->inputs) stack.push_back(in.node);
  }
  try {
    Evaluator ev(graph, {.tune_allocator = false});
    auto out = ev.run(used, {pred.node->name() + ":" + std::to_string(pred.index)});
    if (out.size() != 1 || out[0].dtype != tensorflow::DT_BOOL || out[0].data.size() != 1) return std::nullopt;
    return out[0].data[0] != 0;
  } catch (const Error&) {
    return std::nullopt;
  }
}

bool is_switch(const Node* n) { return n->op == "Switch" || n->op == "RefSwitch"; }
bool is_merge(const Node* n) { return n->op == "Merge" || n->op == "RefMerge"; }

// One round: resolves every Switch whose predicate is known. Returns false
// when there was none.
bool resolve_once(Graph& graph, const std::vector<std::pair<std::string, Tensor>>& feeds, const NodeSet& named) {
  std::unordered_map<const Node*, int> taken;  // resolved Switch -> the live port
  std::map<std::pair<const Node*, int>, std::optional<bool>> known;
  for (Node* n : graph.nodes()) {
    if (!is_switch(n) || n->inputs.size() != 2 || named.count(n)) continue;
    const Endpoint& p = n->inputs[1];
    auto k = known.find({p.node, p.index});
    if (k == known.end()) k = known.emplace(std::pair{p.node, p.index}, predicate(graph, p, feeds)).first;
    if (k->second) taken[n] = *k->second ? 1 : 0;
  }
  if (taken.empty()) return false;

  // Deadness, as TF's executor propagates it: a node with a dead input is
  // dead; a Merge only when all its inputs are.
  NodeSet dead;
  std::unordered_map<const Node*, Endpoint> merged;  // Merge with one live input -> it
  auto dead_port = [&](const Endpoint& e) {
    auto t = taken.find(e.node);
    return dead.count(e.node) || (t != taken.end() && t->second != e.index);
  };
  for (Node* n : graph.topological_order()) {
    if (is_merge(n)) {
      std::vector<Endpoint> live;
      for (const auto& in : n->inputs)
        if (!dead_port(in)) live.push_back(in);
      if (live.empty()) dead.insert(n);
      if (live.size() == 1 && live.size() < n->inputs.size()) merged[n] = live[0];
      continue;
    }
    bool d = std::any_of(n->inputs.begin(), n->inputs.end(), dead_port) ||
             std::any_of(n->control_inputs.begin(), n->control_inputs.end(), [&](Node* c) { return dead.count(c); });
    if (d) dead.insert(n);
  }
  for (const Node* n : dead)
    if (named.count(n)) fail("'{}' is in a branch the known predicates never take", n->name());

  // Pivots: Identity nodes on a resolved Switch (switch_t / switch_f).
  NodeSet pivots;
  for (Node* n : graph.nodes())
    if (n->op == "Identity" && n->inputs.size() == 1 && taken.count(n->inputs[0].node)) pivots.insert(n);

  auto resolve = [&](Endpoint e) {
    for (;;) {
      if (auto t = taken.find(e.node); t != taken.end() && t->second == e.index) {
        e = e.node->inputs[0];
      } else if (auto m = merged.find(e.node); m != merged.end() && e.index == 0) {
        e = m->second;
      } else {
        return e;
      }
    }
  };
  NodeSet removed(dead.begin(), dead.end());
  for (const auto& [s, port] : taken) removed.insert(s);
  for (const auto& [m, live] : merged) removed.insert(m);
  for (Node* n : graph.nodes()) {
    if (removed.count(n)) continue;
    for (auto& in : n->inputs) {
      if (auto m = merged.find(in.node); m != merged.end() && in.index == 1) {  // value_index: a Const
        std::string name = in.node->name() + "/value_index";
        Node* c = graph.find(name);
        if (!c) {
          c = &graph.add_node(name, "Const");
          c->set_attr("dtype").set_type(tensorflow::DT_INT32);
          const auto& ins = in.node->inputs;
          int32_t index = static_cast<int32_t>(std::find(ins.begin(), ins.end(), m->second) - ins.begin());
          Tensor t{tensorflow::DT_INT32, {}, std::string(reinterpret_cast<const char*>(&index), 4), {}};
          tensor_to_proto(std::move(t), c->set_attr("value").mutable_tensor());
        }
        in = {c, 0};
      }
      in = resolve(in);
    }
    std::vector<Node*> controls;
    for (Node* c : n->control_inputs) {
      if (pivots.count(c)) continue;
      Node* r = c;
      if (taken.count(c) || merged.count(c)) r = resolve({c, taken.count(c) ? taken[c] : 0}).node;
      if (r != n && std::find(controls.begin(), controls.end(), r) == controls.end()) controls.push_back(r);
    }
    n->control_inputs = std::move(controls);
  }
  for (auto& [m, live] : merged)
    if (named.count(m)) {  // an output Merge keeps its name as Identity
      Node* node = const_cast<Node*>(m);
      node->op = "Identity";
      node->inputs = {resolve(live)};
      node->remove_attr("N");
      removed.erase(m);
    }

  // Then what only the removed nodes used (pred_id, pivots, the flag).
  auto uses = graph.uses();
  std::vector<const Node*> work(removed.begin(), removed.end());
  for (const Node* p : pivots) work.push_back(p);
  while (!work.empty()) {
    const Node* n = work.back();
    work.pop_back();
    std::vector<const Node*> producers{n};
    for (const auto& in : n->inputs) producers.push_back(in.node);
    producers.insert(producers.end(), n->control_inputs.begin(), n->control_inputs.end());
    for (const Node* p : producers) {
      if (removed.count(p) || named.count(p)) continue;
      const auto& us = uses[p];
      if (std::all_of(us.begin(), us.end(), [&](const Use& u) { return removed.count(u.node); }) &&
          (!us.empty() || pivots.count(p))) {
        removed.insert(p);
        work.push_back(p);
      }
    }
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
  return true;
}

void run(Graph& graph, const PassOptions& options, PassContext& context) {
  const auto feeds = flag_feeds(graph, options);
  for (int round = 0; round < 32; ++round) {
    NodeSet named;
    for (const auto& s : context.inputs)
      if (const Node* n = graph.find(TensorRef::parse(s).node)) named.insert(n);
    for (const auto& s : context.outputs)
      if (const Node* n = graph.find(TensorRef::parse(s).node)) named.insert(n);
    if (!resolve_once(graph, feeds, named)) break;
  }
  for (const Node* n : graph.nodes())
    if (is_switch(n) && n->inputs.size() == 2 && n->inputs[1].node->op != "LoopCond") {
      context.warnings.push_back("resolve_switches: the predicate of '" + n->name() +
                                 "' is unknown; give it with set=NAME:VALUE");
      break;
    }
}

}  // namespace

PassSpec resolve_switches() {
  return {"resolve_switches",
          "Replace tf.cond Switch/Merge on a known flag (Const, default, is_training-like, set=NAME:VALUE) by the "
          "branch it takes",
          {{"set", OptionType::kString, "NAME:VALUE, the value of a flag (e.g. is_train:false)", true}},
          run};
}

}  // namespace tfprod::passes
