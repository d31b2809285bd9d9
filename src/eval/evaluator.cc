// Evaluator::run: find the nodes the fetches need (fed tensors cut the
// graph), run their kernels in topological order, propagate dead tensors
// (the untaken side of a Switch) and free each value after its last use.
#include <malloc.h>

#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "eval/kernel.h"
#include "eval/tensor_util.h"
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

}  // namespace

Evaluator::Evaluator(const Graph& graph, EvalOptions options) : graph_(graph), options_(options) {
  static std::once_flag tuned;
  if (options_.tune_allocator)
    std::call_once(tuned, [] {
      ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
      ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
    });
}

std::vector<Tensor> Evaluator::run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                   const std::vector<std::string>& fetches) {
  used_random_ = false;
  auto port_of = [&](const std::string& name, const char* what) {
    TensorRef ref = TensorRef::parse(name);
    const Node* node = graph_.find(ref.node);
    if (!node) fail("{}: {} '{}' names no node in the graph", graph_.source(), what, name);
    return Port{node, ref.index};
  };
  std::unordered_map<Port, const Tensor*, PortHash> fed;
  std::unordered_set<const Node*> fed_nodes;
  for (const auto& [name, value] : feeds) {
    Port p = port_of(name, "input");
    check_feed_matches(*p.node, value);
    fed[p] = &value;
    fed_nodes.insert(p.node);
  }
  std::vector<Port> wanted;
  for (const auto& f : fetches) wanted.push_back(port_of(f, "output"));

  // Which nodes must run.
  std::unordered_set<const Node*> run_set;
  std::vector<const Node*> stack;
  auto want = [&](const Port& p) {
    if (!fed.count(p) && run_set.insert(p.node).second) stack.push_back(p.node);
  };
  for (const Port& p : wanted) want(p);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    for (const auto& in : n->inputs) want({in.node, in.index});
    for (const Node* c : n->control_inputs)
      if (!fed_nodes.count(c) && run_set.insert(c).second) stack.push_back(c);
  }

  std::unordered_map<const Node*, Result> results;
  for (const Node* n : run_set) {
    for (const auto& in : n->inputs)
      if (run_set.count(in.node) && !fed.count({in.node, in.index})) ++results[in.node].pending_uses;
  }
  for (const Port& p : wanted)
    if (run_set.count(p.node)) ++results[p.node].pending_uses;

  std::mt19937_64 rng(options_.seed);
  for (const Node* n : graph_.topological_order()) {
    if (!run_set.count(n)) continue;
    Result& result = results[n];
    const eval::KernelDef* kernel = eval::find_kernel(n->op);
    if (!kernel) fail("node '{}' (op {}): no kernel for this op", n->name(), n->op);

    std::vector<const Tensor*> inputs;
    bool any_dead = false;
    for (const auto& in : n->inputs) {
      auto f = fed.find({in.node, in.index});
      if (f != fed.end()) {
        inputs.push_back(f->second);
        continue;
      }
      const Result& r = results[in.node];
      const auto i = static_cast<std::size_t>(in.index);
      bool dead = r.all_dead || (i < r.dead.size() && r.dead[i]);
      if (!dead && i >= r.outputs.size())
        fail("node '{}' (op {}): reads output {} of '{}', which has {} outputs", n->name(), n->op, in.index,
             in.node->name(), r.outputs.size());
      any_dead = any_dead || dead;
      inputs.push_back(dead ? nullptr : &r.outputs[i]);
    }
    for (const Node* c : n->control_inputs)
      if (run_set.count(c) && results[c].all_dead) any_dead = true;

    if (any_dead && !kernel->accepts_dead) {
      result.all_dead = true;
    } else {
      eval::KernelContext ctx(*n, std::move(inputs), &rng);
      try {
        kernel->fn(ctx);
      } catch (const Error& e) {
        // Name the graph's file, as every tfprod error does.
        if (graph_.source().empty()) throw;
        fail("{}: {}", graph_.source(), e.what());
      }
      used_random_ = used_random_ || ctx.used_random();
      result.outputs = std::move(ctx.outputs());
      result.dead = std::move(ctx.dead());
    }
    // Free inputs whose last consumer this was.
    for (const auto& in : n->inputs) {
      if (fed.count({in.node, in.index}) || !run_set.count(in.node)) continue;
      Result& r = results[in.node];
      if (--r.pending_uses == 0) r.outputs.clear();
    }
  }

  std::vector<Tensor> out;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const Port& p = wanted[i];
    if (auto f = fed.find(p); f != fed.end()) {
      out.push_back(*f->second);
      continue;
    }
    Result& r = results[p.node];
    const auto idx = static_cast<std::size_t>(p.index);
    if (r.all_dead || (idx < r.dead.size() && r.dead[idx]))
      fail("output '{}' is dead: it lies on the untaken branch of a Switch", fetches[i]);
    if (idx >= r.outputs.size())
      fail("output '{}': node '{}' has only {} outputs", fetches[i], p.node->name(), r.outputs.size());
    out.push_back(--r.pending_uses == 0 ? std::move(r.outputs[idx]) : r.outputs[idx]);
  }
  return out;
}

}  // namespace tfprod
