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
// placeholder) go too. One round per run: the pipeline runs it again until no
// known Switch is left (fixed_point).
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
    case tfprod::tf::DT_BOOL:
      put(static_cast<bool>(v != 0));
      break;
    case tfprod::tf::DT_FLOAT:
      put(static_cast<float>(v));
      break;
    case tfprod::tf::DT_DOUBLE:
      put(v);
      break;
    case tfprod::tf::DT_INT32:
      put(static_cast<int32_t>(v));
      break;
    case tfprod::tf::DT_INT64:
      put(static_cast<int64_t>(v));
      break;
    default:
      fail("set={}:{}: cannot give a value to '{}' of {}", name, text, name, dtype_name(dtype));
  }
  return t;
}

// Feeds that fix the flags: the user's values, training-named bool
// placeholders. A set=NAME:VALUE whose node is gone goes to `missing` (an
// earlier round may have resolved and removed it).
std::vector<std::pair<std::string, Tensor>> flag_feeds(const Graph& graph, const PassOptions& options,
                                                       std::vector<std::string>& missing) {
  std::map<std::string, Tensor> feeds;
  for (const Node* n : graph.nodes())
    if (n->op == "Placeholder" && training_flag_name(n->name()) && n->attr("dtype") &&
        n->attr("dtype")->type() == tfprod::tf::DT_BOOL)
      feeds[n->name()] = scalar(tfprod::tf::DT_BOOL, "false", n->name());
  for (const auto& s : options.get_all("set")) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) fail("set={}: expected NAME:VALUE", s);
    std::string name = s.substr(0, colon);
    const Node* n = graph.find(name);
    if (!n) {
      missing.push_back(fmt::format("set={}: no node named '{}'", s, name));
      continue;
    }
    DataType dtype = n->attr("dtype") ? n->attr("dtype")->type() : tfprod::tf::DT_BOOL;
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
    if (out.size() != 1 || out[0].dtype != tfprod::tf::DT_BOOL || out[0].data.size() != 1) return std::nullopt;
    return out[0].data[0] != 0;
  } catch (const Error&) {
    return std::nullopt;
  }
}

bool is_switch(const Node* n) { return n->op == "Switch" || n->op == "RefSwitch"; }
bool is_merge(const Node* n) { return n->op == "Merge" || n->op == "RefMerge"; }

using Taken = std::unordered_map<const Node*, int>;  // resolved Switch -> the live port

// Every Switch whose predicate is known, with the port it takes.
Taken known_switches(const Graph& graph, const std::vector<std::pair<std::string, Tensor>>& feeds,
                     const IoRefs& io) {
  Taken taken;
  std::map<std::pair<const Node*, int>, std::optional<bool>> known;
  for (Node* n : graph.nodes()) {
    if (!is_switch(n) || n->inputs.size() != 2 || io.is_protected(*n)) continue;
    const Endpoint& p = n->inputs[1];
    auto k = known.find({p.node, p.index});
    if (k == known.end()) k = known.emplace(std::pair{p.node, p.index}, predicate(graph, p, feeds)).first;
    if (k->second) taken[n] = *k->second ? 1 : 0;
  }
  return taken;
}

// Deadness, as TF's executor propagates it: a node with a dead input is
// dead; a Merge only when all its inputs are. A Merge with one live input
// among several is `merged` into that input.
struct Deadness {
  NodeSet dead;
  std::unordered_map<const Node*, Endpoint> merged;
};

Deadness propagate_deadness(const Graph& graph, const Taken& taken, const IoRefs& io) {
  Deadness d;
  auto dead_port = [&](const Endpoint& e) {
    auto t = taken.find(e.node);
    return d.dead.count(e.node) || (t != taken.end() && t->second != e.index);
  };
  for (Node* n : graph.topological_order()) {
    if (is_merge(n)) {
      std::vector<Endpoint> live;
      for (const auto& in : n->inputs)
        if (!dead_port(in)) live.push_back(in);
      if (live.empty()) d.dead.insert(n);
      if (live.size() == 1 && live.size() < n->inputs.size()) d.merged[n] = live[0];
      continue;
    }
    if (std::any_of(n->inputs.begin(), n->inputs.end(), dead_port) ||
        std::any_of(n->control_inputs.begin(), n->control_inputs.end(), [&](Node* c) { return d.dead.count(c); }))
      d.dead.insert(n);
  }
  for (const Node* n : d.dead)
    if (io.is_protected(*n)) fail("'{}' is in a branch the known predicates never take", n->name());
  return d;
}

// The Const a reader of a merged Merge's value_index (output 1) reads instead.
Node* value_index_const(Graph& graph, const Node* merge, const Endpoint& live) {
  const std::string name = merge->name() + "/value_index";
  if (Node* c = graph.find(name)) return c;
  const auto& ins = merge->inputs;
  int32_t index = static_cast<int32_t>(std::find(ins.begin(), ins.end(), live) - ins.begin());
  return &add_const(graph, name, Tensor{tfprod::tf::DT_INT32, {}, std::string(reinterpret_cast<const char*>(&index), 4), {}});
}

// Live nodes read through resolved Switches and merged Merges; control edges
// from the pivots (switch_t / switch_f) are dropped.
void rewire_live_readers(Graph& graph, const Taken& taken, const Deadness& d, const NodeSet& pivots,
                         const NodeSet& removed) {
  auto resolve = [&](Endpoint e) {
    for (;;) {
      if (auto t = taken.find(e.node); t != taken.end() && t->second == e.index) {
        e = e.node->inputs[0];
      } else if (auto m = d.merged.find(e.node); m != d.merged.end() && e.index == 0) {
        e = m->second;
      } else {
        return e;
      }
    }
  };
  for (Node* n : graph.nodes()) {
    if (removed.count(n) || d.merged.count(n)) continue;
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      Endpoint in = n->inputs[i];
      if (auto m = d.merged.find(in.node); m != d.merged.end() && in.index == 1) in = {value_index_const(graph, m->first, m->second), 0};
      in = resolve(in);
      if (in != n->inputs[i]) graph.set_input(*n, i, in);
    }
    std::vector<Node*> controls;
    for (Node* c : n->control_inputs) {
      if (pivots.count(c)) continue;
      Node* r = c;
      if (auto t = taken.find(c); t != taken.end()) r = resolve({c, t->second}).node;
      else if (d.merged.count(c)) r = resolve({c, 0}).node;
      if (r != n && std::find(controls.begin(), controls.end(), r) == controls.end()) controls.push_back(r);
    }
    if (controls != n->control_inputs.vector()) graph.set_control_inputs(*n, std::move(controls));
  }
  for (auto& [m, live] : d.merged)
    if (removed.count(m) == 0) {  // an output Merge keeps its name as Identity
      Node* node = const_cast<Node*>(m);
      node->op = "Identity";
      graph.set_inputs(*node, {resolve(live)});
      node->remove_attr("N");
    }
}

// One round: resolves every Switch whose predicate is known. Returns false
// when there was none.
bool resolve_once(Graph& graph, const std::vector<std::pair<std::string, Tensor>>& feeds, const IoRefs& io) {
  const Taken taken = known_switches(graph, feeds, io);
  if (taken.empty()) return false;
  const Deadness d = propagate_deadness(graph, taken, io);

  // Pivots: Identity nodes on a resolved Switch (switch_t / switch_f).
  NodeSet pivots;
  for (Node* n : graph.nodes())
    if (n->op == "Identity" && n->inputs.size() == 1 && taken.count(n->inputs[0].node)) pivots.insert(n);

  NodeSet removed(d.dead.begin(), d.dead.end());
  for (const auto& [s, port] : taken) removed.insert(s);
  for (const auto& [m, live] : d.merged)
    if (!io.is_protected(*m)) removed.insert(m);
  rewire_live_readers(graph, taken, d, pivots, removed);

  // Then what only the removed nodes used (pred_id, pivots, the flag).
  std::vector<Node*> seeds;
  for (const Node* n : removed) seeds.push_back(const_cast<Node*>(n));
  for (const Node* n : pivots) seeds.push_back(const_cast<Node*>(n));
  erase_dead(graph, seeds, io.protected_names());
  return true;
}

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<std::string> missing;
  if (resolve_once(graph, flag_feeds(graph, options, missing), io)) return true;  // the pipeline runs it again
  for (const Node* n : graph.nodes())
    if (is_switch(n) && n->inputs.size() == 2 && n->inputs[1].node->op != "LoopCond") {
      if (!missing.empty()) fail("{}", missing.front());  // a Switch is left that a misspelt flag may be for
      context.warnings.push_back("resolve_switches: the predicate of '" + n->name() +
                                 "' is unknown; give it with set=NAME:VALUE");
      break;
    }
  return false;
}

}  // namespace

PassSpec resolve_switches() {
  return {"resolve_switches",
          "Replace tf.cond Switch/Merge on a known flag (Const, default, is_training-like, set=NAME:VALUE) by the "
          "branch it takes",
          {{"set", OptionType::kString, "NAME:VALUE, the value of a flag (e.g. is_train:false)", true}},
          run,
          /*fixed_point=*/true};
}

}  // namespace tfprod::passes
