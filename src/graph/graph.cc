#include "tfprod/graph.h"

#include <algorithm>
#include <unordered_set>

#include "tfprod/error.h"

namespace tfprod {

Node::Attrs& Node::own_attrs() {
  if (attrs_.use_count() > 1) attrs_ = std::make_shared<Attrs>(*attrs_);
  return *attrs_;
}

const tfprod::tf::AttrValue* Node::attr(std::string_view key) const {
  for (const auto& entry : *attrs_)
    if (entry.key() == key) return &entry.value();
  return nullptr;
}

tfprod::tf::AttrValue& Node::set_attr(std::string_view key) {
  Attrs& attrs = own_attrs();
  for (auto& entry : attrs)
    if (entry.key() == key) return *entry.mutable_value();
  auto* entry = attrs.Add();
  entry->set_key(std::string(key));
  return *entry->mutable_value();
}

tfprod::tf::AttrValue& Node::reset_attr(std::string_view key) {
  if (attrs_.use_count() > 1) {
    auto fresh = std::make_shared<Attrs>();
    fresh->Reserve(attrs_->size());
    for (const auto& entry : *attrs_) {
      auto* copy = fresh->Add();
      copy->set_key(entry.key());
      if (entry.key() != key) *copy->mutable_value() = entry.value();
    }
    attrs_ = std::move(fresh);
  }
  tfprod::tf::AttrValue& value = set_attr(key);
  value.Clear();
  return value;
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
  number_nodes();
  auto copy_of = [&g](const Node* n) { return g.nodes_[n->index_].get(); };
  for (const auto& n : nodes_) {
    auto c = std::make_unique<Node>();
    c->name_ = n->name_;
    c->op = n->op;
    c->device = n->device;
    c->spelled_inputs_ = n->spelled_inputs_;
    c->attrs_ = n->attrs_;  // shared until either side writes
    c->rest_ = n->rest_;
    g.by_name_.emplace(std::string_view(c->name_), c.get());
    g.nodes_.push_back(std::move(c));
  }
  // Edges point at nodes of this graph: point the copies' at the copies.
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = *nodes_[i];
    Node& c = *g.nodes_[i];
    c.inputs.items_.reserve(n.inputs.size());
    for (const Endpoint& in : n.inputs) c.inputs.items_.push_back({copy_of(in.node), in.index});
    c.control_inputs.items_.reserve(n.control_inputs.size());
    for (const Node* ctl : n.control_inputs) c.control_inputs.items_.push_back(copy_of(ctl));
    // Use lists in the same order as the original's, so passes see the clone as they saw it.
    c.uses_.reserve(n.uses_.size());
    for (const Use& u : n.uses_) c.uses_.push_back({copy_of(u.node), u.input_index});
  }
  return g;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

void Graph::number_nodes() const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) nodes_[i]->index_ = i;
}

Node* Graph::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Node& Graph::add_node(std::string name, std::string op) {
  if (name.empty()) fail("{}: a node needs a name", source_);
  if (by_name_.count(name)) fail("{}: node '{}': name already taken", source_, name);
  auto node = std::make_unique<Node>();
  node->name_ = std::move(name);
  node->op = std::move(op);
  Node* raw = node.get();
  by_name_.emplace(std::string_view(raw->name_), raw);
  nodes_.push_back(std::move(node));
  return *raw;
}

void Graph::rename(Node& node, std::string new_name) {
  if (new_name == node.name_) return;
  if (new_name.empty() || by_name_.count(new_name))
    fail("{}: cannot rename '{}' to '{}': name empty or taken", source_, node.name_, new_name);
  by_name_.erase(node.name_);
  node.name_ = std::move(new_name);
  by_name_.emplace(std::string_view(node.name_), &node);
}

void Graph::unlink_use(Node* producer, Use use) {
  auto& uses = producer->uses_;
  for (auto it = uses.begin(); it != uses.end(); ++it)
    if (*it == use) {
      uses.erase(it);
      return;
    }
}

void Graph::relink_use(Node* producer, Use from, Use to) {
  for (Use& u : producer->uses_)
    if (u == from) {
      u = to;
      return;
    }
}

void Graph::set_input(Node& node, std::size_t i, Endpoint producer) {
  Endpoint& slot = node.inputs.items_.at(i);
  if (slot.node != producer.node) {
    unlink_use(slot.node, {&node, static_cast<int>(i)});
    producer.node->uses_.push_back({&node, static_cast<int>(i)});
  }
  slot = producer;
}

void Graph::add_input(Node& node, Endpoint producer) {
  producer.node->uses_.push_back({&node, static_cast<int>(node.inputs.size())});
  node.inputs.items_.push_back(producer);
}

void Graph::insert_input(Node& node, std::size_t i, Endpoint producer) {
  auto& items = node.inputs.items_;
  if (i > items.size()) fail("{}: node '{}': no input slot {}", source_, node.name(), i);
  for (std::size_t j = items.size(); j-- > i;)
    relink_use(items[j].node, {&node, static_cast<int>(j)}, {&node, static_cast<int>(j + 1)});
  items.insert(items.begin() + static_cast<std::ptrdiff_t>(i), producer);
  producer.node->uses_.push_back({&node, static_cast<int>(i)});
}

void Graph::remove_input(Node& node, std::size_t i) {
  auto& items = node.inputs.items_;
  unlink_use(items.at(i).node, {&node, static_cast<int>(i)});
  for (std::size_t j = i + 1; j < items.size(); ++j)
    relink_use(items[j].node, {&node, static_cast<int>(j)}, {&node, static_cast<int>(j - 1)});
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
}

void Graph::set_inputs(Node& node, std::vector<Endpoint> inputs) {
  auto& items = node.inputs.items_;
  for (std::size_t j = 0; j < items.size(); ++j) unlink_use(items[j].node, {&node, static_cast<int>(j)});
  items = std::move(inputs);
  for (std::size_t j = 0; j < items.size(); ++j) items[j].node->uses_.push_back({&node, static_cast<int>(j)});
}

void Graph::add_control_input(Node& node, Node* producer) {
  producer->uses_.push_back({&node, -1});
  node.control_inputs.items_.push_back(producer);
}

bool Graph::remove_control_input(Node& node, Node* producer) {
  auto& items = node.control_inputs.items_;
  std::size_t removed = std::erase(items, producer);
  for (std::size_t k = 0; k < removed; ++k) unlink_use(producer, {&node, -1});
  return removed > 0;
}

void Graph::set_control_inputs(Node& node, std::vector<Node*> producers) {
  for (Node* p : node.control_inputs.items_) unlink_use(p, {&node, -1});
  node.control_inputs.items_ = std::move(producers);
  for (Node* p : node.control_inputs.items_) p->uses_.push_back({&node, -1});
}

void Graph::clear_inputs(Node& node) {
  set_inputs(node, {});
  set_control_inputs(node, {});
}

void Graph::reorder(const std::vector<Node*>& order) {
  if (order.size() != nodes_.size()) fail("{}: reorder: {} nodes given for {}", source_, order.size(), nodes_.size());
  std::unordered_map<const Node*, std::size_t> position;
  position.reserve(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) position.emplace(nodes_[i].get(), i);
  std::vector<std::size_t> from(order.size());
  std::vector<bool> taken(nodes_.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto it = position.find(order[i]);
    if (it == position.end() || taken[it->second])
      fail("{}: reorder: node #{} is not in the graph, or given twice", source_, i);
    taken[it->second] = true;
    from[i] = it->second;
  }
  std::vector<std::unique_ptr<Node>> moved(nodes_.size());
  for (std::size_t i = 0; i < order.size(); ++i) moved[i] = std::move(nodes_[from[i]]);
  nodes_ = std::move(moved);
  // Use lists in consumer order, data inputs before control inputs, as
  // from_graphdef builds them.
  for (auto& n : nodes_) n->uses_.clear();
  for (auto& n : nodes_) {
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      n->inputs[i].node->uses_.push_back({n.get(), static_cast<int>(i)});
    for (Node* c : n->control_inputs) c->uses_.push_back({n.get(), -1});
  }
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
  // Drop the removed nodes' edges from the use lists of the producers that stay.
  std::unordered_set<Node*> producers;
  for (const Node* d : doomed) {
    for (const auto& in : d->inputs)
      if (!doomed.count(in.node)) producers.insert(in.node);
    for (Node* c : d->control_inputs)
      if (!doomed.count(c)) producers.insert(c);
  }
  for (Node* p : producers) std::erase_if(p->uses_, [&](const Use& u) { return doomed.count(u.node) > 0; });
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
  // Kahn's algorithm on arrays indexed by node position: consumers of each
  // producer in compressed rows (graph order, one entry per edge), so the
  // walk allocates three arrays whatever the graph's size.
  number_nodes();
  const std::size_t n = nodes_.size();
  std::vector<int> pending(n, 0);
  std::vector<std::size_t> row(n + 1, 0);
  auto for_each_edge = [&](auto&& f) {
    for (const auto& c : nodes_) {
      for (const auto& in : c->inputs)
        if (!is_loop_back_edge(*c, *in.node)) f(*in.node, *c);
      for (const Node* p : c->control_inputs)
        if (!is_loop_back_edge(*c, *p)) f(*p, *c);
    }
  };
  for_each_edge([&](const Node& p, const Node& c) {
    ++row[p.index_ + 1];
    ++pending[c.index_];
  });
  for (std::size_t i = 0; i < n; ++i) row[i + 1] += row[i];
  std::vector<Node*> consumers(row[n]);
  {
    std::vector<std::size_t> fill(row.begin(), row.end() - 1);
    for_each_edge([&](const Node& p, const Node& c) { consumers[fill[p.index_]++] = nodes_[c.index_].get(); });
  }
  std::vector<Node*> order;
  order.reserve(n);
  for (const auto& node : nodes_)
    if (pending[node->index_] == 0) order.push_back(node.get());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::size_t p = order[i]->index_;
    for (std::size_t k = row[p]; k < row[p + 1]; ++k)
      if (--pending[consumers[k]->index_] == 0) order.push_back(consumers[k]);
  }
  if (order.size() == n) return order;

  // Name one cycle: walk back from a node still pending through pending inputs.
  auto still_pending = [&](const Node* x) { return pending[x->index_] > 0; };
  const Node* start = nullptr;
  for (const auto& node : nodes_)
    if (still_pending(node.get())) {
      start = node.get();
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
      if (still_pending(in.node) && !is_loop_back_edge(*cur, *in.node)) next = in.node;
    if (!next)
      for (const Node* c : cur->control_inputs)
        if (still_pending(c)) next = c;
    cur = next;
  }
  std::string cycle;
  for (std::size_t i = path.size(); i-- > seen[cur];) cycle += path[i]->name() + " -> ";
  cycle += cur->name();
  fail("{}: graph has a cycle: {}", source_, cycle);
}

void validate(const Graph& graph) {
  // Membership by position: after numbering, a node of this graph is the one
  // at its own index; a node of another graph (a clone's, say) is not. This
  // reads each producer, which the Graph API keeps alive: remove_nodes
  // refuses to remove a node that a remaining node still reads.
  graph.number_nodes();
  auto present = [&](const Node* p) { return graph.numbered_here(p); };
  for (const auto& owned : graph.nodes_) {
    const Node* n = owned.get();
    if (n->op.empty()) fail("{}: node '{}': has no op", graph.source(), n->name());
    for (const auto& in : n->inputs) {
      if (!present(in.node))
        fail("{}: node '{}': an input names a node that is not in the graph", graph.source(), n->name());
      if (in.index < 0) fail("{}: node '{}': negative output index", graph.source(), n->name());
    }
    for (const Node* c : n->control_inputs)
      if (!present(c))
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
