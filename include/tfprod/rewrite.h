// Rewrite helpers every pass shares: redirecting readers, removing what is
// left unread, fresh names, constants, and the pipeline's inputs/outputs
// parsed once. They work on the use lists Graph keeps (Node::uses), so none
// of them scans the whole graph per call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"
#include "tfprod/tensor_name.h"

namespace tfprod {

// The pipeline's --inputs / --outputs, parsed once. A node named by either
// is protected: no rewrite removes it or folds it away.
class IoRefs {
 public:
  IoRefs() = default;
  // Throws Error on a reference that does not parse ("a:x").
  IoRefs(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);

  const std::vector<TensorRef>& inputs() const { return inputs_; }
  const std::vector<TensorRef>& outputs() const { return outputs_; }
  bool is_input(std::string_view node) const { return input_nodes_.count(std::string(node)) > 0; }
  bool is_output(std::string_view node) const { return output_nodes_.count(std::string(node)) > 0; }
  bool is_input(const Node& node) const { return is_input(node.name()); }
  bool is_output(const Node& node) const { return is_output(node.name()); }
  bool is_protected(const Node& node) const { return is_input(node) || is_output(node); }
  // Names of the input and output nodes together.
  const std::unordered_set<std::string>& protected_names() const { return protected_; }
  const std::unordered_set<std::string>& output_names() const { return output_nodes_; }

 private:
  std::vector<TensorRef> inputs_, outputs_;
  std::unordered_set<std::string> input_nodes_, output_nodes_, protected_;
};

// Every data edge reading `from` reads `to` instead. Returns how many edges
// moved. Control edges are untouched (an endpoint is not a node).
int replace_all_uses(Graph& graph, Endpoint from, Endpoint to);

// Every reader of `from` reads `to`: data edges from:k become to:k (or, with
// `to_output`, every data edge reads `to_output`), control edges ^from become
// ^to (not doubled where ^to is already there). `to`'s own data edges from
// `from` stay (a node may replace the node it reads); its ^from is dropped.
// Returns how many edges moved.
int replace_node_uses(Graph& graph, Node& from, Node& to);
int replace_node_uses(Graph& graph, Node& from, Endpoint to_output);

// Adds ^producer to `node` unless it is there already or is `node` itself.
// Returns whether it added it.
bool add_control_dependency(Graph& graph, Node& node, Node* producer);

// Splices `node` out from between its producers and readers: a data reader
// of node:k reads forward[k] (Error past the end of `forward`), a control
// reader depends on the nodes of `forward` instead, and every reader takes
// over node's control inputs. `node` is left unread, not removed.
void bypass(Graph& graph, Node& node, const std::vector<Endpoint>& forward);

// The one rule for removing what a rewrite left unread: a node is dead when
// it is not protected and every node reading it (data or control) is dead.
// The seeds are the nodes a rewrite dropped (and any it wants checked): those
// read only by dead nodes go, and so do, transitively, their producers that
// only dead nodes read. Returns how many nodes were removed.
std::size_t erase_dead(Graph& graph, const std::vector<Node*>& seeds,
                       const std::unordered_set<std::string>& protected_names);
// The same, where only nodes `removable` accepts may die (the others count as
// protected).
std::size_t erase_dead(Graph& graph, const std::vector<Node*>& seeds,
                       const std::unordered_set<std::string>& protected_names,
                       const std::function<bool(const Node&)>& removable,
                       std::vector<std::string>* removed_names = nullptr);  // in graph order

// True when every reader of `node` is `reader` (and something reads it).
bool only_read_by(const Node& node, const Node& reader);

// `base`, or base_1, base_2, ... : the first name no node has.
std::string unique_name(const Graph& graph, std::string_view base);

// An int32 tensor of `values`: a vector, or with `scalar` a 0-D tensor of
// its one value (the axis and shape operands rewrites add).
Tensor int32_tensor(const std::vector<int32_t>& values, bool scalar = false);
// A Const node holding `value` (dtype and value attrs); `name` must be free.
Node& add_const(Graph& graph, std::string name, Tensor value);
// Replaces a Const node's value and dtype.
void set_const(Node& node, Tensor value);
// Turns `node` (any op) into a Const holding `value`: its inputs and attrs go;
// name and device stay.
void make_const(Graph& graph, Node& node, Tensor value);

// The value of a Const node (nullopt for any other node or a missing value).
std::optional<Tensor> const_tensor(const Node& node);
// The elements of a Const of exactly T's dtype (float, double, int32_t,
// int64_t, bool); nullopt when the node is no such Const.
template <class T>
std::optional<std::vector<T>> const_value(const Node& node);

extern template std::optional<std::vector<float>> const_value<float>(const Node&);
extern template std::optional<std::vector<double>> const_value<double>(const Node&);
extern template std::optional<std::vector<int32_t>> const_value<int32_t>(const Node&);
extern template std::optional<std::vector<int64_t>> const_value<int64_t>(const Node&);
extern template std::optional<std::vector<bool>> const_value<bool>(const Node&);

}  // namespace tfprod
