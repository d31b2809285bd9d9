// inline_function_calls(): see include/tfprod/inline_functions.h.
#include "tfprod/inline_functions.h"

#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include "tfprod/tf/framework/function.pb.h"
#include "tfprod/error.h"
#include "tfprod/tensor.h"

namespace tfprod {

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

bool is_call(const Node& n) { return n.op == "PartitionedCall" || n.op == "StatefulPartitionedCall"; }
bool is_if(const Node& n) { return n.op == "If" || n.op == "StatelessIf"; }

// TF's truth of an If predicate: a scalar is true when non-zero (a string:
// non-empty); any other tensor when it has elements.
bool truth(const Tensor& t) {
  if (t.num_elements() != 1 || !t.shape.empty()) return t.num_elements() > 0;
  if (t.dtype == tfprod::tf::DT_STRING) return !t.strings.empty() && !t.strings[0].empty();
  if (t.dtype == tfprod::tf::DT_FLOAT) {
    float f;
    std::memcpy(&f, t.data.data(), 4);
    return f != 0;
  }
  if (t.dtype == tfprod::tf::DT_DOUBLE) {
    double d;
    std::memcpy(&d, t.data.data(), 8);
    return d != 0;
  }
  for (char c : t.data)
    if (c) return true;
  return false;
}

// The constant value of an If predicate, if it has one. `via` names the
// PlaceholderWithDefault whose default was taken.
std::optional<bool> constant_predicate(const Endpoint& e, std::string* via) {
  const Node* n = e.node;
  for (int depth = 0; depth < 16 && n; ++depth) {
    if (n->op == "Identity" && !n->inputs.empty()) {
      n = n->inputs[0].node;
    } else if (n->op == "PlaceholderWithDefault" && !n->inputs.empty()) {
      *via = n->name();
      n = n->inputs[0].node;
    } else if (n->op == "Const") {
      const auto* value = n->attr("value");
      if (!value || !value->has_tensor()) return std::nullopt;
      return truth(tensor_from_proto(value->tensor(), n->name()));
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

int port_number(const std::string& text, const std::string& ref, const std::string& where) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    fail("{}: malformed reference '{}'", where, ref);
  return std::stoi(text);
}

struct Inliner {
  Graph& graph;
  const std::set<std::string>& keep;
  std::set<const Node*> doomed;

  const tfprod::tf::FunctionDef& function_named(const Node& call, const std::string& name) {
    for (const auto& fn : graph.rest().library().function())
      if (fn.signature().name() == name) return fn;
    fail("{}: '{}' calls function '{}', which is not in the graph's library", graph.source(), call.name(), name);
  }

  const tfprod::tf::FunctionDef& function_of(const Node& call, const char* attr) {
    const auto* f = call.attr(attr);
    if (!f || !f->has_func()) fail("{}: '{}' ({}) has no function attr {}", graph.source(), call.name(), call.op, attr);
    return function_named(call, f->func().name());
  }

  // One inlined copy of a function body: its nodes (named prefix + node
  // name), the call's arguments, and how references inside it resolve.
  struct Body {
    std::string prefix;                   // "<call>/"
    std::string where;                    // "<graph>: function '<name>'", for messages
    std::map<std::string, Endpoint> args;  // input arg name -> the call's input
    std::map<std::string, Node*> nodes;    // body node name -> its copy
    std::vector<std::pair<Node*, const tfprod::tf::NodeDef*>> added;
    std::map<const Node*, std::map<std::string, std::string>> arg_names_used;  // unknown ops: out_arg seen
    Node* input_control = nullptr;         // carries the call's control inputs, if any

    // "arg", "node", "node:1" or "node:out_arg:0" -> the tensor it names.
    Endpoint resolve(const std::string& ref) {
      std::vector<std::string> parts;
      for (std::size_t start = 0;;) {
        std::size_t colon = ref.find(':', start);
        parts.push_back(ref.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      if (parts.size() <= 2 && args.count(parts[0])) {
        if (parts.size() == 2 && parts[1] != "0") fail("{}: '{}' indexes a single-tensor argument", where, ref);
        return args[parts[0]];
      }
      auto it = nodes.find(parts[0]);
      if (it == nodes.end()) fail("{}: '{}' names no node or argument", where, ref);
      if (parts.size() == 1) return {it->second, 0};
      if (parts.size() == 2) return {it->second, port_number(parts[1], ref, where)};
      if (parts.size() > 3) fail("{}: malformed reference '{}'", where, ref);
      const int idx = port_number(parts[2], ref, where);
      const std::string& op = it->second->op;
      if (auto layout = output_args().find(op); layout != output_args().end()) {
        for (std::size_t k = 0; k < layout->second.size(); ++k)
          if (layout->second[k] == parts[1]) {
            if (idx != 0) fail("{}: '{}': output '{}' of {} is a single tensor", where, ref, parts[1], op);
            return {it->second, static_cast<int>(k)};
          }
        fail("{}: '{}': {} has no output '{}'", where, ref, op, parts[1]);
      }
      auto& seen = arg_names_used[it->second];
      seen.emplace(parts[1], ref);
      if (seen.size() > 1)
        fail("{}: node '{}' (op {}) is read through output args '{}' and '{}': tfprod does not know the "
             "output layout of {}", where, parts[0], op, seen.begin()->second, seen.rbegin()->second, op);
      return {it->second, idx};
    }
  };

  // The call's data inputs from `first_arg` on, by argument name.
  void bind_arguments(Body& body, const Node* call, const tfprod::tf::FunctionDef& fn, std::size_t first_arg) {
    const auto& sig = fn.signature();
    if (call->inputs.size() - first_arg != static_cast<std::size_t>(sig.input_arg_size()))
      fail("{}: '{}' passes {} inputs to '{}', which takes {}", graph.source(), call->name(),
           call->inputs.size() - first_arg, sig.name(), sig.input_arg_size());
    for (int i = 0; i < sig.input_arg_size(); ++i) {
      const auto& a = sig.input_arg(i);
      if (!a.number_attr().empty() || !a.type_list_attr().empty())
        fail("{}: list argument '{}' is not supported", body.where, a.name());
      body.args[a.name()] = call->inputs[first_arg + i];
    }
    for (const auto& a : sig.output_arg())
      if (!a.number_attr().empty() || !a.type_list_attr().empty())
        fail("{}: list output '{}' is not supported", body.where, a.name());
  }

  // Adds a copy of each body node (attrs and the rest of its NodeDef; no inputs yet).
  void copy_nodes(Body& body, const Node* call, const tfprod::tf::FunctionDef& fn) {
    for (const auto& def : fn.node_def()) {
      Node& n = graph.add_node(body.prefix + def.name(), def.op());
      n.device = def.device().empty() ? call->device : def.device();
      for (const auto& a : def.attr()) {
        if (!a.value().placeholder().empty())
          fail("{}: node '{}' attr '{}' is a placeholder (${})", body.where, def.name(), a.key(),
               a.value().placeholder());
        *n.attrs().Add() = a;
      }
      n.rest() = def;
      n.rest().clear_name(), n.rest().clear_op(), n.rest().clear_input(), n.rest().clear_device(),
          n.rest().clear_attr();
      body.nodes[def.name()] = &n;
      body.added.emplace_back(&n, &def);
    }
  }

  // The copies' inputs. Nodes that read nothing of the body run after the
  // call's control inputs (through one NoOp).
  void wire_nodes(Body& body, Node* call) {
    if (!call->control_inputs.empty()) {
      body.input_control = &graph.add_node(body.prefix + "input_control_node", "NoOp");
      graph.set_control_inputs(*body.input_control, call->control_inputs);
      body.input_control->device = call->device;
    }
    for (auto& [n, def] : body.added) {
      bool reads_body = false;
      for (const auto& in : def->input()) {
        if (!in.empty() && in[0] == '^') {
          Endpoint e = body.resolve(in.substr(1));
          graph.add_control_input(*n, e.node);
          reads_body |= body.nodes.count(in.substr(1)) > 0;
        } else {
          Endpoint e = body.resolve(in);
          graph.add_input(*n, e);
          reads_body |= e.node->name().rfind(body.prefix, 0) == 0 &&
                        body.nodes.count(e.node->name().substr(body.prefix.size()));
        }
      }
      if (body.input_control && !reads_body) graph.add_control_input(*n, body.input_control);
    }
  }

  // The tensors the function returns, in output-arg order.
  std::vector<Endpoint> returns(Body& body, const tfprod::tf::FunctionDef& fn) {
    std::vector<Endpoint> rets;
    std::map<std::string, std::string> ret_of;
    for (const auto& r : fn.ret()) ret_of[r.key()] = r.value();
    for (const auto& a : fn.signature().output_arg()) {
      auto it = ret_of.find(a.name());
      if (it == ret_of.end()) fail("{} returns nothing for output '{}'", body.where, a.name());
      rets.push_back(body.resolve(it->second));
    }
    return rets;
  }

  // Data readers of the call read the returned tensors instead; true when
  // the call also has control readers.
  bool rewire_readers(const Node* call, const std::vector<Endpoint>& rets,
                      const std::unordered_map<const Node*, std::vector<Use>>& uses) {
    bool control_consumers = false;
    if (auto it = uses.find(call); it != uses.end())
      for (const Use& u : it->second) {
        if (u.input_index < 0) {
          control_consumers = true;
          continue;
        }
        const Endpoint e = u.node->inputs[u.input_index];
        if (e.index >= static_cast<int>(rets.size()))
          fail("{}: '{}' reads output {} of '{}', whose function returns {}", graph.source(), u.node->name(), e.index,
               call->name(), rets.size());
        graph.set_input(*u.node, u.input_index, rets[e.index]);
      }
    return control_consumers;
  }

  // A call that must stay (kept by name, or read through control edges)
  // becomes an IdentityN of the returns, after the body's control returns.
  void become_identity_n(Body& body, Node* call, const tfprod::tf::FunctionDef& fn, std::vector<Endpoint> rets) {
    std::optional<tfprod::tf::AttrValue> tout;
    if (const auto* t = call->attr("Tout")) tout = *t;
    call->op = "IdentityN";
    call->attrs().Clear();
    if (tout) call->set_attr("T") = std::move(*tout);
    graph.set_inputs(*call, std::move(rets));
    graph.set_control_inputs(*call, {});
    for (const auto& r : fn.control_ret()) {
      auto it = body.nodes.find(r.value());
      if (it == body.nodes.end()) fail("{}: control_ret '{}' names no node", body.where, r.value());
      graph.add_control_input(*call, it->second);
    }
    if (call->inputs.empty() && call->control_inputs.empty() && body.input_control)
      graph.add_control_input(*call, body.input_control);
  }

  // Inlines `fn` for `call`, whose data inputs from `first_arg` on are the
  // function's arguments.
  void inline_body(Node* call, const tfprod::tf::FunctionDef& fn, std::size_t first_arg,
                   const std::unordered_map<const Node*, std::vector<Use>>& uses) {
    Body body;
    body.where = fmt::format("{}: function '{}'", graph.source(), fn.signature().name());
    body.prefix = call->name() + "/";
    bind_arguments(body, call, fn, first_arg);
    copy_nodes(body, call, fn);
    wire_nodes(body, call);
    std::vector<Endpoint> rets = returns(body, fn);
    const bool control_consumers = rewire_readers(call, rets, uses);
    if (keep.count(call->name()) || control_consumers)
      become_identity_n(body, call, fn, std::move(rets));
    else
      doomed.insert(call);
  }
};

void collect_funcs(const tfprod::tf::AttrValue& v, std::vector<std::string>* out) {
  if (v.has_func()) out->push_back(v.func().name());
  if (v.has_list())
    for (const auto& f : v.list().func()) out->push_back(f.name());
}

}  // namespace

void inline_function_calls(Graph& graph, const std::set<std::string>& keep, InlineReport* report) {
  InlineReport local;
  InlineReport& r = report ? *report : local;
  Inliner inliner{graph, keep, {}};
  for (int depth = 0;; ++depth) {
    std::vector<std::pair<Node*, std::optional<bool>>> work;
    for (Node* n : graph.nodes()) {
      if (is_call(*n)) {
        work.emplace_back(n, std::nullopt);  // a kept call became an IdentityN
      } else if (is_if(*n) && !n->inputs.empty()) {
        std::string via;
        if (auto pred = constant_predicate(n->inputs[0], &via)) {
          work.emplace_back(n, pred);
          if (!via.empty())
            r.notes.push_back(fmt::format("'{}' ({}): took the {} branch, the default of '{}'", n->name(), n->op,
                                          *pred ? "then" : "else", via));
        }
      }
    }
    if (work.empty()) break;
    if (depth == 64)
      fail("{}: calls nested 64 deep (a recursive function?), e.g. '{}'", graph.source(), work[0].first->name());
    for (auto& [node, pred] : work) {
      if (!pred) {
        inliner.inline_body(node, inliner.function_of(*node, "f"), 0, graph.uses());
        ++r.calls;
      } else {
        inliner.inline_body(node, inliner.function_of(*node, *pred ? "then_branch" : "else_branch"), 1, graph.uses());
        ++r.ifs;
      }
    }
    graph.remove_nodes([&](const Node& n) { return inliner.doomed.count(&n) > 0; });
    inliner.doomed.clear();
  }
}

int prune_function_library(Graph& graph) {
  auto* lib = graph.rest().mutable_library();
  std::map<std::string, const tfprod::tf::FunctionDef*> by_name;
  for (const auto& fn : lib->function()) by_name[fn.signature().name()] = &fn;
  std::vector<std::string> todo;
  for (const Node* n : graph.nodes())
    for (const auto& a : n->attrs()) collect_funcs(a.value(), &todo);
  std::set<std::string> used;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!used.insert(name).second) continue;
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;
    for (const auto& def : it->second->node_def())
      for (const auto& a : def.attr()) collect_funcs(a.value(), &todo);
  }
  const int before = lib->function_size();
  google::protobuf::RepeatedPtrField<tfprod::tf::FunctionDef> kept;
  for (auto& fn : *lib->mutable_function())
    if (used.count(fn.signature().name())) kept.Add(std::move(fn));
  lib->mutable_function()->Swap(&kept);
  // Gradients of removed functions go too.
  google::protobuf::RepeatedPtrField<tfprod::tf::GradientDef> grads;
  for (auto& g : *lib->mutable_gradient())
    if (used.count(g.function_name())) grads.Add(std::move(g));
  lib->mutable_gradient()->Swap(&grads);
  if (lib->function_size() == 0 && lib->gradient_size() == 0) graph.rest().clear_library();
  return before - static_cast<int>(graph.rest().has_library() ? graph.rest().library().function_size() : 0);
}

}  // namespace tfprod
