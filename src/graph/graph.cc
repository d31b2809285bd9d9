#include "tfprod/graph.h"

#include <algorithm>
#include <unordered_set>

#include "tfprod/error.h"

namespace tfprod {

Node::Attrs& Node::own_attrs() {
  if (attrs_.use_count() > 1) attrs_ = std::make_shared<Attrs>(*attrs_);
  return *attrs_;
}

const tensorflow::AttrValue* Node::attr(std::string_view key) const {
  for (const auto& entry : *attrs_)
    if (entry.key() == key) return &entry.value();
  return nullptr;
}

tensorflow::AttrValue& Node::set_attr(std::string_view key) {
  Attrs& attrs = own_attrs();
  for (auto& entry : attrs)
    if (entry.key() == key) return *entry.mutable_value();
  auto* entry = attrs.Add();
  entry->set_key(std::string(key));
  return *entry->mutable_value();
}

bool Node::remove_attr(std::string_view key) {
  if (!attr(key)) return false;
  Attrs& attrs = own_attrs();
  for (int i = 0; i < attrs.size(); ++i) {
    if (attrs.Get(i).key() == key) {
      attrs.DeleteSubrange(i, 1);
      return true;
    }
  }
  return false;
}

Graph::Graph() = default;
Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

Graph Graph::clone() const {
  Graph g;
  g.source_ = source_;
  g.rest_ = rest_;
  g.nodes_.reserve(nodes_.size());
  g.by_name_.reserve(by_name_.size());
  std::unordered_map<const Node*, Node*> copy_of;
  copy_of.reserve(nodes_.size());
  for (const auto& n : nodes_) {
    auto c = std::make_unique<Node>();
    c->name_ = n->name_;
    c->op = n->op;
    c->device = n->device;
    c->spelled_inputs_ = n->spelled_inputs_;
    c->attrs_ = n->attrs_;  // shared until either side writes
    c->rest_ = n->rest_;
    copy_of[n.get()] = c.get();
    g.by_name_[c->name_] = c.get();
    g.nodes_.push_back(std::move(c));
  }
  // Edges point at nodes of this graph: point the copies' at the copies.
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = *nodes_[i];
    Node& c = *g.nodes_[i];
    c.inputs.reserve(n.inputs.size());
    for (const Endpoint& in : n.inputs) c.inputs.push_back({copy_of.at(in.node), in.index});
    c.control_inputs.reserve(n.control_inputs.size());
    for (const Node* ctl : n.control_inputs) c.control_inputs.push_back(copy_of.at(ctl));
  }
  return g;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

Node* Graph::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

Node& Graph::add_node(std::string name, std::string op) {
  if (name.empty()) fail("{}: a node needs a name", source_);
  if (by_name_.count(name)) fail("{}: node '{}': name already taken", source_, name);
  auto node = std::make_unique<Node>();
  node->name_ = std::move(name);
  node->op = std::move(op);
  Node* raw = node.get();
  by_name_[raw->name_] = raw;
  nodes_.push_back(std::move(node));
  return *raw;
}

void Graph::rename(Node& node, std::string new_name) {
  if (new_name == node.name_) return;
  if (new_name.empty() || by_name_.count(new_name))
    fail("{}: cannot rename '{}' to '{}': name empty or taken", source_, node.name_, new_name);
  by_name_.erase(node.name_);
  node.name_ = std::move(new_name);
  by_name_[node.name_] = &node;
}

void Graph::remove_nodes(const std::function<bool(const Node&)>& remove) {
  std::unordered_set<const Node*> doomed;
  for (const auto& n : nodes_)
    if (remove(*n)) doomed.insert(n.get());
  if (doomed.empty()) return;
  for (const auto& n : nodes_) {
    if (doomed.count(n.get())) continue;
    for (const auto& in : n->inputs)
      if (doomed.count(in.node))
        fail("{}: cannot remove '{}': node '{}' still reads it", source_, in.node->name(), n->name());
    for (const Node* c : n->control_inputs)
      if (doomed.count(c))
        fail("{}: cannot remove '{}': node '{}' still depends on it", source_, c->name(), n->name());
  }
  for (const Node* d : doomed) by_name_.erase(d->name());
  std::erase_if(nodes_, [&](const std::unique_ptr<Node>& n) { return doomed.count(n.get()) > 0; });
}

std::unordered_map<const Node*, std::vector<Use>> Graph::uses() const {
  std::unordered_map<const Node*, std::vector<Use>> out;
  for (const auto& n : nodes_) {
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      out[n->inputs[i].node].push_back({n.get(), static_cast<int>(i)});
    for (Node* c : n->control_inputs) out[c].push_back({n.get(), -1});
  }
  return out;
}

namespace {
bool is_loop_back_edge(const Node& consumer, const Node& producer) {
  return (consumer.op == "Merge" || consumer.op == "RefMerge") &&
         (producer.op == "NextIteration" || producer.op == "RefNextIteration");
}
}  // namespace

std::vector<Node*> Graph::topological_order() const {
  std::unordered_map<const Node*, int> pending;
  std::unordered_map<const Node*, std::vector<Node*>> consumers;
  for (const auto& n : nodes_) {
    int count = 0;
    auto add = [&](Node* producer) {
      if (is_loop_back_edge(*n, *producer)) return;
      ++count;
      consumers[producer].push_back(n.get());
    };
    for (const auto& in : n->inputs) add(in.node);
    for (Node* c : n->control_inputs) add(c);
    pending[n.get()] = count;
  }
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  for (const auto& n : nodes_)
    if (pending[n.get()] == 0) order.push_back(n.get());
  for (std::size_t i = 0; i < order.size(); ++i)
    for (Node* c : consumers[order[i]])
      if (--pending[c] == 0) order.push_back(c);
  if (order.size() == nodes_.size()) return order;

  // Name one cycle: walk back from a node still pending through pending inputs.
  const Node* start = nullptr;
  for (const auto& n : nodes_)
    if (pending[n.get()] > 0) {
      start = n.get();
      break;
    }
  std::vector<const Node*> path;
  std::unordered_map<const Node*, std::size_t> seen;
  const Node* cur = start;
  while (!seen.count(cur)) {
    seen[cur] = path.size();
    path.push_back(cur);
    const Node* next = nullptr;
    for (const auto& in : cur->inputs)
      if (pending[in.node] > 0 && !is_loop_back_edge(*cur, *in.node)) next = in.node;
    if (!next)
      for (const Node* c : cur->control_inputs)
        if (pending[c] > 0) next = c;
    cur = next;
  }
  std::string cycle;
  for (std::size_t i = path.size(); i-- > seen[cur];) cycle += path[i]->name() + " -> ";
  cycle += cur->name();
  fail("{}: graph has a cycle: {}", source_, cycle);
}

void validate(const Graph& graph) {
  std::unordered_set<const Node*> present;
  for (const Node* n : graph.nodes()) present.insert(n);
  for (const Node* n : graph.nodes()) {
    if (n->op.empty()) fail("{}: node '{}': has no op", graph.source(), n->name());
    for (const auto& in : n->inputs) {
      if (!present.count(in.node))
        fail("{}: node '{}': an input names a node that is not in the graph", graph.source(), n->name());
      if (in.index < 0) fail("{}: node '{}': negative output index", graph.source(), n->name());
    }
    for (const Node* c : n->control_inputs)
      if (!present.count(c))
        fail("{}: node '{}': a control input names a node that is not in the graph", graph.source(), n->name());
  }
  (void)graph.topological_order();
}

std::vector<const Node*> ancestors(const std::vector<const Node*>& roots) {
  std::unordered_set<const Node*> seen(roots.begin(), roots.end());
  std::vector<const Node*> stack(roots.begin(), roots.end());
  std::vector<const Node*> out(roots.begin(), roots.end());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    auto visit = [&](const Node* p) {
      if (seen.insert(p).second) {
        stack.push_back(p);
        out.push_back(p);
      }
    };
    for (const auto& in : n->inputs) visit(in.node);
    for (const Node* c : n->control_inputs) visit(c);
  }
  return out;
}

}  // namespace tfprod
