// inline_partitionedcall: replaces each PartitionedCall /
// StatefulPartitionedCall whose function `f` is in the graph's library by the
// function's body, so that tools without function support see plain ops.
//
//   x -> call = StatefulPartitionedCall[f=F](x, w) -> y = Relu(call:0)
//   F(a, b) { m = MatMul(a, b); ret out = "m:product:0" }
//       =>
//   x -> call/m = MatMul(x, w) -> y = Relu(call/m)
//
// Body nodes are named "<call>/<body name>"; function argument k reads the
// call's input k; "node:out_arg:idx" references become output ports (the
// output-arg layout of multi-output ops comes from a table; other ops are
// taken to have one output arg, and references naming two different output
// args of an op outside the table fail naming the op); consumers of call:i
// read the tensor the function returns as output i. The call's control
// inputs reach every inlined node that reads nothing from inside the body
// (through a NoOp "<call>/input_control_node"). When the call is a graph
// input or output, or something depends on it by a control edge, it stays as
// an IdentityN of the returned tensors (and the control_ret nodes) under its
// name. Calls inside inlined bodies are inlined in turn. Functions stay in
// the library. Preconditions: arguments are single tensors (no list args),
// body attributes hold no placeholders ("$T").
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "passes/passes.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

// Output args, in order, of ops with several (each a single tensor).
const std::map<std::string, std::vector<std::string>>& output_args() {
  static const std::map<std::string, std::vector<std::string>> t = [] {
    std::map<std::string, std::vector<std::string>> m;
    const std::vector<std::string> bn = {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"};
    m["FusedBatchNorm"] = m["FusedBatchNormV2"] = bn;
    m["FusedBatchNormV3"] = bn;
    m["FusedBatchNormV3"].push_back("reserve_space_3");
    m["Switch"] = m["RefSwitch"] = {"output_false", "output_true"};
    m["Merge"] = m["RefMerge"] = {"output", "value_index"};
    m["Unique"] = {"y", "idx"};
    m["TopKV2"] = {"values", "indices"};
    m["MaxPoolWithArgmax"] = {"output", "argmax"};
    m["QuantizeV2"] = {"output", "output_min", "output_max"};
    m["BlockLSTM"] = m["LSTMBlockCell"] = {"i", "cs", "f", "o", "ci", "co", "h"};
    m["NonMaxSuppressionV4"] = {"selected_indices", "valid_outputs"};
    m["NonMaxSuppressionV5"] = {"selected_indices", "selected_scores", "valid_outputs"};
    return m;
  }();
  return t;
}

int port_number(const std::string& text, const std::string& ref, const std::string& fname) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    fail("function '{}': malformed reference '{}'", fname, ref);
  return std::stoi(text);
}

bool is_call(const Node& n) { return n.op == "PartitionedCall" || n.op == "StatefulPartitionedCall"; }

struct Inliner {
  Graph& graph;
  const std::set<std::string>& required;

  const tensorflow::FunctionDef& function_of(const Node& call) {
    const auto* f = call.attr("f");
    if (!f || !f->has_func()) fail("'{}' ({}) has no function attr f", call.name(), call.op);
    for (const auto& fn : graph.rest().library().function())
      if (fn.signature().name() == f->func().name()) return fn;
    fail("'{}' calls function '{}', which is not in the graph's library", call.name(), f->func().name());
  }

  void inline_call(Node* call, const std::unordered_map<const Node*, std::vector<Use>>& uses) {
    const tensorflow::FunctionDef& fn = function_of(*call);
    const auto& sig = fn.signature();
    const std::string& fname = sig.name();
    if (static_cast<int>(call->inputs.size()) != sig.input_arg_size())
      fail("'{}' passes {} inputs to '{}', which takes {}", call->name(), call->inputs.size(), fname,
           sig.input_arg_size());
    std::map<std::string, Endpoint> args;
    for (int i = 0; i < sig.input_arg_size(); ++i) {
      const auto& a = sig.input_arg(i);
      if (!a.number_attr().empty() || !a.type_list_attr().empty())
        fail("function '{}': list argument '{}' is not supported", fname, a.name());
      args[a.name()] = call->inputs[i];
    }
    for (const auto& a : sig.output_arg())
      if (!a.number_attr().empty() || !a.type_list_attr().empty())
        fail("function '{}': list output '{}' is not supported", fname, a.name());

    const std::string prefix = call->name() + "/";
    std::map<std::string, Node*> body;
    std::vector<std::pair<Node*, const tensorflow::NodeDef*>> added;
    for (const auto& def : fn.node_def()) {
      Node& n = graph.add_node(prefix + def.name(), def.op());
      n.device = def.device().empty() ? call->device : def.device();
      for (const auto& a : def.attr()) {
        if (!a.value().placeholder().empty())
          fail("function '{}': node '{}' attr '{}' is a placeholder (${})", fname, def.name(), a.key(),
               a.value().placeholder());
        *n.attrs().Add() = a;
      }
      n.rest() = def;
      n.rest().clear_name(), n.rest().clear_op(), n.rest().clear_input(), n.rest().clear_device(),
          n.rest().clear_attr();
      body[def.name()] = &n;
      added.emplace_back(&n, &def);
    }

    std::map<const Node*, std::map<std::string, std::string>> arg_names_used;  // unknown ops: out_arg seen
    auto resolve = [&](const std::string& ref) -> Endpoint {
      std::vector<std::string> parts;
      for (std::size_t start = 0;;) {
        std::size_t colon = ref.find(':', start);
        parts.push_back(ref.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      if (parts.size() <= 2 && args.count(parts[0])) {
        if (parts.size() == 2 && parts[1] != "0") fail("function '{}': '{}' indexes a single-tensor argument", fname, ref);
        return args[parts[0]];
      }
      auto it = body.find(parts[0]);
      if (it == body.end()) fail("function '{}': '{}' names no node or argument", fname, ref);
      if (parts.size() == 1) return {it->second, 0};
      if (parts.size() == 2) return {it->second, port_number(parts[1], ref, fname)};
      if (parts.size() > 3) fail("function '{}': malformed reference '{}'", fname, ref);
      const int idx = port_number(parts[2], ref, fname);
      const std::string& op = it->second->op;
      if (auto layout = output_args().find(op); layout != output_args().end()) {
        for (std::size_t k = 0; k < layout->second.size(); ++k)
          if (layout->second[k] == parts[1]) {
            if (idx != 0) fail("function '{}': '{}': output '{}' of {} is a single tensor", fname, ref, parts[1], op);
            return {it->second, static_cast<int>(k)};
          }
        fail("function '{}': '{}': {} has no output '{}'", fname, ref, op, parts[1]);
      }
      auto& seen = arg_names_used[it->second];
      seen.emplace(parts[1], ref);
      if (seen.size() > 1)
        fail("function '{}': node '{}' (op {}) is read through output args '{}' and '{}': tfprod does not know the "
             "output layout of {}", fname, parts[0], op, seen.begin()->second, seen.rbegin()->second, op);
      return {it->second, idx};
    };

    Node* input_control = nullptr;
    if (!call->control_inputs.empty()) {
      input_control = &graph.add_node(prefix + "input_control_node", "NoOp");
      input_control->control_inputs = call->control_inputs;
      input_control->device = call->device;
    }
    for (auto& [n, def] : added) {
      bool reads_body = false;
      for (const auto& in : def->input()) {
        if (!in.empty() && in[0] == '^') {
          Endpoint e = resolve(in.substr(1));
          n->control_inputs.push_back(e.node);
          reads_body |= body.count(in.substr(1)) > 0;
        } else {
          Endpoint e = resolve(in);
          n->inputs.push_back(e);
          reads_body |= e.node->name().rfind(prefix, 0) == 0 && body.count(e.node->name().substr(prefix.size()));
        }
      }
      if (input_control && !reads_body) n->control_inputs.push_back(input_control);
    }

    std::vector<Endpoint> rets;
    std::map<std::string, std::string> ret_of;
    for (const auto& r : fn.ret()) ret_of[r.key()] = r.value();
    for (const auto& a : sig.output_arg()) {
      auto it = ret_of.find(a.name());
      if (it == ret_of.end()) fail("function '{}' returns nothing for output '{}'", fname, a.name());
      rets.push_back(resolve(it->second));
    }

    bool control_consumers = false;
    if (auto it = uses.find(call); it != uses.end())
      for (const Use& u : it->second) {
        if (u.input_index < 0) {
          control_consumers = true;
          continue;
        }
        Endpoint& e = u.node->inputs[u.input_index];
        if (e.index >= static_cast<int>(rets.size()))
          fail("'{}' reads output {} of '{}', whose function returns {}", u.node->name(), e.index, call->name(),
               rets.size());
        e = rets[e.index];
      }
    if (required.count(call->name()) || control_consumers) {
      std::optional<tensorflow::AttrValue> tout;
      if (const auto* t = call->attr("Tout")) tout = *t;
      call->op = "IdentityN";
      call->attrs().Clear();
      if (tout) call->set_attr("T") = std::move(*tout);
      call->inputs = rets;
      call->control_inputs.clear();
      for (const auto& r : fn.control_ret()) {
        auto it = body.find(r.value());
        if (it == body.end()) fail("function '{}': control_ret '{}' names no node", fname, r.value());
        call->control_inputs.push_back(it->second);
      }
      if (call->inputs.empty() && call->control_inputs.empty() && input_control)
        call->control_inputs.push_back(input_control);
    } else {
      doomed.insert(call);
    }
  }

  std::set<const Node*> doomed;
};

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::set<std::string> required;
  for (const auto& s : context.inputs) required.insert(TensorRef::parse(s).node);
  for (const auto& s : context.outputs) required.insert(TensorRef::parse(s).node);
  Inliner inliner{graph, required};
  for (int depth = 0;; ++depth) {
    std::vector<Node*> calls;
    for (Node* n : graph.nodes())
      if (is_call(*n)) calls.push_back(n);  // a kept call became an IdentityN
    if (calls.empty()) break;
    if (depth == 64) fail("calls nested 64 deep (a recursive function?), e.g. '{}'", calls[0]->name());
    for (Node* call : calls) {
      inliner.inline_call(call, graph.uses());
    }
    graph.remove_nodes([&](const Node& n) { return inliner.doomed.count(&n) > 0; });
    inliner.doomed.clear();
  }
}

}  // namespace

PassSpec inline_partitionedcall() {
  return {"inline_partitionedcall",
          "Inline the library functions that PartitionedCall / StatefulPartitionedCall nodes call", {}, run};
}

}  // namespace tfprod::passes
