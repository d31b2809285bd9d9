// The shared rewrite helpers (include/tfprod/rewrite.h).
#include "tfprod/rewrite.h"

#include <algorithm>
#include <cstring>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod {

IoRefs::IoRefs(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  for (const auto& s : inputs) {
    inputs_.push_back(TensorRef::parse(s));
    input_nodes_.insert(inputs_.back().node);
    protected_.insert(inputs_.back().node);
  }
  for (const auto& s : outputs) {
    outputs_.push_back(TensorRef::parse(s));
    output_nodes_.insert(outputs_.back().node);
    protected_.insert(outputs_.back().node);
  }
}

int replace_all_uses(Graph& graph, Endpoint from, Endpoint to) {
  if (from == to) return 0;
  std::vector<Use> moving;
  for (const Use& u : from.node->uses())
    if (u.input_index >= 0 && u.node->inputs[static_cast<std::size_t>(u.input_index)] == from) moving.push_back(u);
  for (const Use& u : moving) graph.set_input(*u.node, static_cast<std::size_t>(u.input_index), to);
  return static_cast<int>(moving.size());
}

namespace {
int replace_uses(Graph& graph, Node& from, Node& to, const Endpoint* to_output) {
  if (&from == &to) return 0;
  const std::vector<Use> uses = from.uses();  // copied: the loop edits it
  int moved = 0;
  std::unordered_set<Node*> control_readers;
  for (const Use& u : uses) {
    if (u.node == &to) {
      if (u.input_index < 0 && graph.remove_control_input(to, &from)) ++moved;  // ^to on itself: dropped
      continue;
    }
    if (u.input_index >= 0) {
      const auto i = static_cast<std::size_t>(u.input_index);
      graph.set_input(*u.node, i, to_output ? *to_output : Endpoint{&to, u.node->inputs[i].index});
      ++moved;
    } else {
      control_readers.insert(u.node);
    }
  }
  for (const Use& u : uses) {
    if (u.input_index >= 0 || !control_readers.erase(u.node)) continue;
    // ^from becomes ^to where it stood; a second ^to goes.
    std::vector<Node*> next;
    for (Node* c : u.node->control_inputs) {
      Node* r = c == &from ? &to : c;
      moved += c == &from;
      if (std::find(next.begin(), next.end(), r) == next.end()) next.push_back(r);
    }
    graph.set_control_inputs(*u.node, std::move(next));
  }
  return moved;
}
}  // namespace

int replace_node_uses(Graph& graph, Node& from, Node& to) { return replace_uses(graph, from, to, nullptr); }

int replace_node_uses(Graph& graph, Node& from, Endpoint to_output) {
  return replace_uses(graph, from, *to_output.node, &to_output);
}

std::size_t erase_dead(Graph& graph, const std::vector<Node*>& seeds,
                       const std::unordered_set<std::string>& protected_names) {
  return erase_dead(graph, seeds, protected_names, {});
}

std::size_t erase_dead(Graph& graph, const std::vector<Node*>& seeds,
                       const std::unordered_set<std::string>& protected_names,
                       const std::function<bool(const Node&)>& removable,
                       std::vector<std::string>* removed_names) {
  auto is_protected = [&](const Node* n) {
    return protected_names.count(n->name()) > 0 || (removable && !removable(*n));
  };
  auto producers = [](const Node* n, std::vector<Node*>& out) {
    for (const auto& in : n->inputs) out.push_back(in.node);
    for (Node* c : n->control_inputs) out.push_back(c);
  };
  auto read_only_by_dead = [](const Node* n, const std::unordered_set<const Node*>& dead) {
    return std::all_of(n->uses().begin(), n->uses().end(), [&](const Use& u) { return dead.count(u.node) > 0; });
  };
  // The seeds that are dead: the largest set of unprotected seeds read only
  // by each other (so a dead loop among the seeds goes too).
  std::unordered_set<const Node*> dead;
  for (Node* s : seeds)
    if (!is_protected(s)) dead.insert(s);
  std::vector<Node*> work;
  for (Node* s : seeds)
    if (dead.count(s)) work.push_back(s);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    if (!dead.count(n) || read_only_by_dead(n, dead)) continue;
    dead.erase(n);  // a live node reads it: it lives, and what it reads is checked again
    std::vector<Node*> ps;
    producers(n, ps);
    for (Node* p : ps)
      if (dead.count(p)) work.push_back(p);
  }
  // Then, transitively, producers only dead nodes read.
  for (const Node* d : dead) producers(d, work);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    if (dead.count(n) || is_protected(n) || !read_only_by_dead(n, dead)) continue;
    dead.insert(n);
    producers(n, work);
  }
  if (dead.empty()) return 0;
  if (removed_names)
    for (const Node* n : graph.nodes())
      if (dead.count(n)) removed_names->push_back(n->name());
  graph.remove_nodes([&](const Node& n) { return dead.count(&n) > 0; });
  return dead.size();
}

bool add_control_dependency(Graph& graph, Node& node, Node* producer) {
  if (producer == &node) return false;
  const auto& controls = node.control_inputs;
  if (std::find(controls.begin(), controls.end(), producer) != controls.end()) return false;
  graph.add_control_input(node, producer);
  return true;
}

void bypass(Graph& graph, Node& node, const std::vector<Endpoint>& forward) {
  const std::vector<Use> uses = node.uses();  // copied: the loop edits it
  for (const Use& u : uses) {
    Node& reader = *u.node;
    if (u.input_index >= 0) {
      const auto i = static_cast<std::size_t>(u.input_index);
      const int port = reader.inputs[i].index;
      if (port >= static_cast<int>(forward.size()))
        fail("'{}' reads output {} of '{}', which has {} inputs", reader.name(), port, node.name(), forward.size());
      graph.set_input(reader, i, forward[static_cast<std::size_t>(port)]);
    } else {
      graph.remove_control_input(reader, &node);
      for (const Endpoint& f : forward) add_control_dependency(graph, reader, f.node);
    }
    for (Node* c : node.control_inputs) add_control_dependency(graph, reader, c);
  }
}

bool only_read_by(const Node& node, const Node& reader) {
  if (node.uses().empty()) return false;
  return std::all_of(node.uses().begin(), node.uses().end(), [&](const Use& u) { return u.node == &reader; });
}

std::string unique_name(const Graph& graph, std::string_view base) {
  std::string name(base);
  for (int i = 1; graph.find(name); ++i) name = std::string(base) + "_" + std::to_string(i);
  return name;
}

void set_const(Node& node, Tensor value) {
  node.set_attr("dtype").set_type(value.dtype);
  tensor_to_proto(std::move(value), node.set_attr("value").mutable_tensor());
}

void make_const(Graph& graph, Node& node, Tensor value) {
  node.op = "Const";
  graph.clear_inputs(node);
  node.attrs().Clear();
  set_const(node, std::move(value));
}

Tensor int32_tensor(const std::vector<int32_t>& values, bool scalar) {
  if (scalar && values.size() != 1) fail("int32_tensor: a scalar takes one value, not {}", values.size());
  Tensor t;
  t.dtype = tfprod::tf::DT_INT32;
  if (!scalar) t.shape = {static_cast<int64_t>(values.size())};
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int32_t));
  return t;
}

Node& add_const(Graph& graph, std::string name, Tensor value) {
  Node& node = graph.add_node(std::move(name), "Const");
  set_const(node, std::move(value));
  return node;
}

std::optional<Tensor> const_tensor(const Node& node) {
  if (node.op != "Const") return std::nullopt;
  const auto* v = node.attr("value");
  if (!v || !v->has_tensor()) return std::nullopt;
  return tensor_from_proto(v->tensor(), node.name());
}

namespace {
template <class T>
constexpr DataType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return tfprod::tf::DT_FLOAT;
  if constexpr (std::is_same_v<T, double>) return tfprod::tf::DT_DOUBLE;
  if constexpr (std::is_same_v<T, int32_t>) return tfprod::tf::DT_INT32;
  if constexpr (std::is_same_v<T, int64_t>) return tfprod::tf::DT_INT64;
  if constexpr (std::is_same_v<T, bool>) return tfprod::tf::DT_BOOL;
}
}  // namespace

template <class T>
std::optional<std::vector<T>> const_value(const Node& node) {
  auto t = const_tensor(node);
  if (!t || t->dtype != dtype_of<T>()) return std::nullopt;
  const auto n = static_cast<std::size_t>(t->num_elements());
  std::vector<T> out(n);
  if constexpr (std::is_same_v<T, bool>) {
    if (t->data.size() < n) return std::nullopt;
    for (std::size_t i = 0; i < n; ++i) out[i] = t->data[i] != 0;
  } else {
    if (t->data.size() < n * sizeof(T)) return std::nullopt;
    std::memcpy(out.data(), t->data.data(), n * sizeof(T));
  }
  return out;
}

template std::optional<std::vector<float>> const_value<float>(const Node&);
template std::optional<std::vector<double>> const_value<double>(const Node&);
template std::optional<std::vector<int32_t>> const_value<int32_t>(const Node&);
template std::optional<std::vector<int64_t>> const_value<int64_t>(const Node&);
template std::optional<std::vector<bool>> const_value<bool>(const Node&);

}  // namespace tfprod
