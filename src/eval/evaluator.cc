// Evaluator::run: find the nodes the fetches need (fed tensors cut the
// graph), run their kernels in topological order, propagate dead tensors
// (the untaken side of a Switch) and free each value after its last use.

#include <mutex>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "eval/kernel.h"
#include "eval/tensor_util.h"
#include "tfprod/allocator.h"
#include "tfprod/eval.h"

namespace tfprod {

namespace {

struct Port {
  const Node* node;
  int index;
  bool operator==(const Port&) const = default;
};
struct PortHash {
  std::size_t operator()(const Port& p) const { return std::hash<const void*>()(p.node) * 31 + p.index; }
};

struct Result {
  std::vector<Tensor> outputs;
  std::vector<bool> dead;
  bool all_dead = false;
  int pending_uses = 0;
};

void check_feed_matches(const Node& node, const Tensor& value) {
  if (node.op != "Placeholder" && node.op != "PlaceholderWithDefault") return;
  if (const auto* dtype = node.attr("dtype"); dtype && dtype->type() != value.dtype)
    fail("fed {} {} to placeholder '{}' of {}", dtype_name(value.dtype), shape_string(value.shape), node.name(),
         dtype_name(dtype->type()));
  const auto* shape = node.attr("shape");
  if (!shape || !shape->has_shape() || shape->shape().unknown_rank()) return;
  Shape declared = shape_from_proto(shape->shape());
  bool ok = declared.size() == value.shape.size();
  for (std::size_t i = 0; ok && i < declared.size(); ++i) ok = declared[i] < 0 || declared[i] == value.shape[i];
  if (!ok)
    fail("fed shape {} to placeholder '{}' of shape {}", shape_string(value.shape), node.name(), shape_string(declared));
}

// One Evaluator::run, step by step: bind the feeds and fetches, find the
// nodes that must run and how often each value is read, run the kernels in
// topological order, then hand out the fetched values.
class EvalRun {
 public:
  EvalRun(const Graph& graph, const std::vector<std::string>& fetches, uint64_t seed, bool* used_random)
      : graph_(graph), fetches_(fetches), rng_(seed), used_random_(used_random) {}

  std::vector<Tensor> run(const std::vector<std::pair<std::string, Tensor>>& feeds) {
    bind_feeds(feeds);
    for (const auto& f : fetches_) wanted_.push_back(port_of(f, "output"));
    find_nodes_to_run();
    count_uses();
    for (const Node* n : schedule()) run_node(n);
    return fetched();
  }

 private:
  Port port_of(const std::string& name, const char* what) const {
    TensorRef ref = TensorRef::parse(name);
    const Node* node = graph_.find(ref.node);
    if (!node) fail("{}: {} '{}' names no node in the graph", graph_.source(), what, name);
    return Port{node, ref.index};
  }

  void bind_feeds(const std::vector<std::pair<std::string, Tensor>>& feeds) {
    for (const auto& [name, value] : feeds) {
      Port p = port_of(name, "input");
      check_feed_matches(*p.node, value);
      fed_[p] = &value;
      fed_nodes_.insert(p.node);
    }
  }

  // When a kernel fails on a half op fed from a float placeholder (TF's
  // optimize_for_inference writes these into half graphs): the placeholder
  // and both dtypes, so the user knows to feed it as half.
  std::string float_placeholder_hint(const Node* n) const {
    const auto* t = n->attr("T");
    if (!t || t->type() != tfprod::tf::DT_HALF) return "";
    for (const Node* p : fed_nodes_) {
      const auto* dtype = p->attr("dtype");
      if (p->op.starts_with("Placeholder") && dtype && dtype->type() == tfprod::tf::DT_FLOAT)
        return fmt::format("; placeholder '{}' is DT_FLOAT but '{}' computes in DT_HALF: feed it as half (--input "
                           "{}:half:SHAPE)",
                           p->name(), n->name(), p->name());
    }
    return "";
  }

  // Which nodes must run: what the fetches need, fed tensors cutting the graph.
  void find_nodes_to_run() {
    std::vector<const Node*> stack;
    auto want = [&](const Port& p) {
      if (!fed_.count(p) && run_set_.insert(p.node).second) stack.push_back(p.node);
    };
    for (const Port& p : wanted_) want(p);
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      for (const auto& in : n->inputs) want({in.node, in.index});
      for (const Node* c : n->control_inputs)
        if (!fed_nodes_.count(c) && run_set_.insert(c).second) stack.push_back(c);
    }
  }

  // The nodes to run in topological order, except that a Const runs just
  // before its first reader: a model's weights are then decoded one reader
  // at a time and freed after it, not all held from the start.
  std::vector<const Node*> schedule() const {
    std::unordered_set<const Node*> wanted;
    for (const Port& p : wanted_) wanted.insert(p.node);
    auto deferred = [&](const Node* n) {
      return n->op == "Const" && n->inputs.empty() && n->control_inputs.empty() && !wanted.count(n);
    };
    std::vector<const Node*> order;
    order.reserve(run_set_.size());
    std::unordered_set<const Node*> emitted;
    auto emit_deferred = [&](const Node* p) {
      if (run_set_.count(p) && deferred(p) && emitted.insert(p).second) order.push_back(p);
    };
    for (const Node* n : graph_.topological_order()) {
      if (!run_set_.count(n) || deferred(n)) continue;
      for (const auto& in : n->inputs) emit_deferred(in.node);
      for (const Node* c : n->control_inputs) emit_deferred(c);
      order.push_back(n);
    }
    return order;
  }

  // How many times each node's values are read, so each is freed after its last use.
  void count_uses() {
    for (const Node* n : run_set_) {
      for (const auto& in : n->inputs)
        if (run_set_.count(in.node) && !fed_.count({in.node, in.index})) ++results_[in.node].pending_uses;
    }
    for (const Port& p : wanted_)
      if (run_set_.count(p.node)) ++results_[p.node].pending_uses;
  }

  // The node's inputs (nullptr for a dead one); true when any is dead,
  // through a data or a control edge.
  bool gather_inputs(const Node* n, std::vector<const Tensor*>& inputs) {
    bool any_dead = false;
    for (const auto& in : n->inputs) {
      auto f = fed_.find({in.node, in.index});
      if (f != fed_.end()) {
        inputs.push_back(f->second);
        continue;
      }
      const Result& r = results_[in.node];
      const auto i = static_cast<std::size_t>(in.index);
      bool dead = r.all_dead || (i < r.dead.size() && r.dead[i]);
      if (!dead && i >= r.outputs.size())
        fail("node '{}' (op {}): reads output {} of '{}', which has {} outputs", n->name(), n->op, in.index,
             in.node->name(), r.outputs.size());
      any_dead = any_dead || dead;
      inputs.push_back(dead ? nullptr : &r.outputs[i]);
    }
    for (const Node* c : n->control_inputs)
      if (run_set_.count(c) && results_[c].all_dead) any_dead = true;
    return any_dead;
  }

  void run_node(const Node* n) {
    advise_heap();
    Result& result = results_[n];
    const eval::KernelDef* kernel = eval::find_kernel(n->op);
    if (!kernel) fail("node '{}' (op {}): no kernel for this op", n->name(), n->op);
    std::vector<const Tensor*> inputs;
    const bool any_dead = gather_inputs(n, inputs);
    if (any_dead && !kernel->accepts_dead) {
      result.all_dead = true;
    } else {
      eval::KernelContext ctx(*n, std::move(inputs), &rng_);
      try {
        kernel->fn(ctx);
      } catch (const Error& e) {
        // Name the graph's file, as every tfprod error does.
        const std::string hint = float_placeholder_hint(n);
        if (graph_.source().empty() && hint.empty()) throw;
        if (graph_.source().empty()) fail("{}{}", e.what(), hint);
        fail("{}: {}{}", graph_.source(), e.what(), hint);
      }
      *used_random_ = *used_random_ || ctx.used_random();
      result.outputs = std::move(ctx.outputs());
      result.dead = std::move(ctx.dead());
    }
    free_inputs_read_last(n);
  }

  // Frees inputs whose last consumer `n` was.
  void free_inputs_read_last(const Node* n) {
    for (const auto& in : n->inputs) {
      if (fed_.count({in.node, in.index}) || !run_set_.count(in.node)) continue;
      Result& r = results_[in.node];
      if (--r.pending_uses == 0) r.outputs.clear();
    }
  }

  std::vector<Tensor> fetched() {
    std::vector<Tensor> out;
    for (std::size_t i = 0; i < wanted_.size(); ++i) {
      const Port& p = wanted_[i];
      if (auto f = fed_.find(p); f != fed_.end()) {
        out.push_back(*f->second);
        continue;
      }
      Result& r = results_[p.node];
      const auto idx = static_cast<std::size_t>(p.index);
      if (r.all_dead || (idx < r.dead.size() && r.dead[idx]))
        fail("output '{}' is dead: it lies on the untaken branch of a Switch", fetches_[i]);
      if (idx >= r.outputs.size())
        fail("output '{}': node '{}' has only {} outputs", fetches_[i], p.node->name(), r.outputs.size());
      out.push_back(--r.pending_uses == 0 ? std::move(r.outputs[idx]) : r.outputs[idx]);
    }
    return out;
  }

  const Graph& graph_;
  const std::vector<std::string>& fetches_;
  std::mt19937_64 rng_;
  bool* used_random_;
  std::unordered_map<Port, const Tensor*, PortHash> fed_;
  std::unordered_set<const Node*> fed_nodes_;
  std::vector<Port> wanted_;
  std::unordered_set<const Node*> run_set_;
  std::unordered_map<const Node*, Result> results_;
};

}  // namespace

Evaluator::Evaluator(const Graph& graph, EvalOptions options) : graph_(graph), options_(options) {
  if (options_.tune_allocator) tune_allocator();
}

std::vector<Tensor> Evaluator::run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                   const std::vector<std::string>& fetches) {
  used_random_ = false;
  return EvalRun(graph_, fetches, options_.seed, &used_random_).run(feeds);
}

}  // namespace tfprod
