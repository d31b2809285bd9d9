// tfprod's in-memory graph: what every pass works on. Nodes own their attrs
// (in file order; shared copy-on-write with clones, so a snapshot copies no
// weights) and point at their producers through typed edges; protobuf
// appears only at the edges (import from / export to GraphDef, losing nothing:
// versions, library, debug info, unknown fields all survive).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tensor_name.h"

namespace google::protobuf::io {
class ZeroCopyOutputStream;
}

namespace tfprod {

class Node;

// One output of a node: the value a data edge carries.
struct Endpoint {
  Node* node = nullptr;
  int index = 0;
  bool operator==(const Endpoint&) const = default;
};

// A consumer of a node's output: `node` reads it as data input `input_index`,
// or as a control input when input_index is -1.
struct Use {
  Node* node = nullptr;
  int input_index = -1;
  bool operator==(const Use&) const = default;
};

// A node's input edges, read-only to everyone but Graph: every write goes
// through Graph (set_input, add_input, ...) so the producers' use lists stay
// current. Reads look like a const std::vector (and convert to one).
template <class T>
class EdgeList {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;
  using iterator = const_iterator;

  EdgeList() = default;
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const T& operator[](std::size_t i) const { return items_[i]; }
  const T& front() const { return items_.front(); }
  const T& back() const { return items_.back(); }
  const std::vector<T>& vector() const { return items_; }
  operator const std::vector<T>&() const { return items_; }

 private:
  friend class Graph;
  EdgeList(const EdgeList&) = default;
  EdgeList& operator=(const EdgeList&) = default;
  std::vector<T> items_;
};

class Node {
 public:
  const std::string& name() const { return name_; }

  std::string op;
  std::string device;
  EdgeList<Endpoint> inputs;       // data inputs, in order (write through Graph)
  EdgeList<Node*> control_inputs;  // "^node" inputs, in order (write through Graph)

  // Who reads this node (data and control), kept current by Graph: one entry
  // per edge, in the order the edges were made.
  const std::vector<Use>& uses() const { return uses_; }

  using Attrs = google::protobuf::RepeatedPtrField<tfprod::tf::AttrEntry>;

  // Attributes, kept in the order the file had them. The storage is shared
  // with the node's clones (Graph::clone) until written: set_attr,
  // remove_attr and the non-const attrs() first give this node its own copy.
  // So read through a const Node (or attr()) where nothing is written, and do
  // not keep a mutable reference across a Graph::clone.
  const tfprod::tf::AttrValue* attr(std::string_view key) const;
  tfprod::tf::AttrValue& set_attr(std::string_view key);  // adds when absent
  // set_attr for a value to be written whole: returns `key`'s value cleared
  // (added when absent), and when the storage is shared copies every other
  // attribute but not the old value, so replacing a large tensor costs no copy of it.
  tfprod::tf::AttrValue& reset_attr(std::string_view key);
  bool remove_attr(std::string_view key);
  Attrs& attrs() { return own_attrs(); }
  const Attrs& attrs() const { return *attrs_; }
  // True when this node and `other` read the same attribute storage.
  bool shares_attrs_with(const Node& other) const { return attrs_ == other.attrs_; }

  // Every NodeDef field other than name, op, input, device and attr
  // (experimental_debug_info, experimental_type, unknown fields).
  tfprod::tf::NodeDef& rest() { return rest_; }
  const tfprod::tf::NodeDef& rest() const { return rest_; }

 private:
  friend class Graph;
  std::string name_;
  // Input strings as the file spelled them ("x:0" and "x" are the same edge);
  // export reuses them while the edges are unchanged, so bytes round-trip.
  std::vector<std::string> spelled_inputs_;
  Attrs& own_attrs();  // detaches shared storage
  std::shared_ptr<Attrs> attrs_ = std::make_shared<Attrs>();
  tfprod::tf::NodeDef rest_;
  std::vector<Use> uses_;
  // Position in the graph's node list, set by Graph::number_nodes() for the
  // whole-graph walks (clone, topological_order) that index arrays by node
  // instead of hashing pointers; stale at any other time.
  mutable std::size_t index_ = 0;
};

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;

  // `source` names the file in error messages. Throws Error on duplicate node
  // names, malformed input strings and inputs that name no node.
  static Graph from_graphdef(tfprod::tf::GraphDef def, const std::string& source);
  tfprod::tf::GraphDef to_graphdef() const;
  tfprod::tf::GraphDef release_graphdef() &&;  // moves attrs (large tensors) out
  // The bytes to_graphdef().SerializeAsString() would give, written to `out`
  // node by node without building the GraphDef: the weights go from the
  // nodes' (possibly shared) attrs straight to the stream, so writing costs
  // no copy of them. serialized_size() is their count, computed the same way.
  void serialize(google::protobuf::io::ZeroCopyOutputStream& out) const;
  uint64_t serialized_size() const;

  // A copy that shares every node's attribute storage (copy-on-write): it
  // costs the nodes and edges, not the weights. The pass pipeline snapshots
  // with it before each step and rolls back by moving the clone in.
  Graph clone() const;

  std::size_t size() const { return nodes_.size(); }
  const std::string& source() const { return source_; }
  // Nodes in graph order.
  std::vector<Node*> nodes() const;
  Node* find(std::string_view name) const;

  Node& add_node(std::string name, std::string op);  // throws on a taken name
  void rename(Node& node, std::string new_name);
  // Puts the nodes in `order`, which must hold each node exactly once. Edges,
  // names and attrs are unchanged; use lists follow the new order, as a graph
  // read from the reordered GraphDef would have them.
  void reorder(const std::vector<Node*>& order);
  // Removes every node for which `remove` is true. Throws (leaving the graph
  // unchanged) if a kept node still reads one of them.
  void remove_nodes(const std::function<bool(const Node&)>& remove);

  // Edge writes. Each keeps the producers' use lists (Node::uses) current.
  void set_input(Node& node, std::size_t i, Endpoint producer);
  void add_input(Node& node, Endpoint producer);
  void insert_input(Node& node, std::size_t i, Endpoint producer);
  void remove_input(Node& node, std::size_t i);  // later inputs move down one
  void set_inputs(Node& node, std::vector<Endpoint> inputs);
  void add_control_input(Node& node, Node* producer);     // appends, even when present
  bool remove_control_input(Node& node, Node* producer);  // every edge from producer
  void set_control_inputs(Node& node, std::vector<Node*> producers);
  void clear_inputs(Node& node);  // data and control

  // Consumers of `node` (same as node.uses()).
  const std::vector<Use>& uses_of(const Node& node) const { return node.uses_; }
  // Consumers of every node, consumers in graph order (a fresh map: prefer
  // uses_of in passes).
  std::unordered_map<const Node*, std::vector<Use>> uses() const;

  // Producers before consumers, ties in graph order. Back edges of while
  // loops (into Merge from NextIteration) are ignored. Throws Error naming the
  // nodes of a cycle. Like clone(), it numbers the nodes (Node::index_), so
  // neither may run on one graph from two threads at once.
  std::vector<Node*> topological_order() const;

  // GraphDef fields other than node: versions, library, debug_info, unknown.
  tfprod::tf::GraphDef& rest() { return rest_; }
  const tfprod::tf::GraphDef& rest() const { return rest_; }

 private:
  static void export_node(const Node& node, tfprod::tf::NodeDef* def);
  static void export_head(const Node& node, tfprod::tf::NodeDef* def);  // fields 1-4 only
  static void unlink_use(Node* producer, Use use);
  static void relink_use(Node* producer, Use from, Use to);
  friend void validate(const Graph& graph);
  void number_nodes() const;  // sets every node's index_
  // After number_nodes(): whether `n` (a live node of any graph) is one of these.
  bool numbered_here(const Node* n) const { return n->index_ < nodes_.size() && nodes_[n->index_].get() == n; }
  std::string source_;
  std::vector<std::unique_ptr<Node>> nodes_;
  // Keys view the nodes' own names (a node outlives its entry; rename and
  // remove_nodes drop the entry first), so a lookup allocates nothing.
  std::unordered_map<std::string_view, Node*> by_name_;
  tfprod::tf::GraphDef rest_;
};

// Structural checks a pass result must pass: every edge points into the
// graph, output indices are non-negative, no cycles. Throws Error.
void validate(const Graph& graph);

// Nodes from which `roots` can be reached along data and control edges,
// `roots` included.
std::vector<const Node*> ancestors(const std::vector<const Node*>& roots);

}  // namespace tfprod
