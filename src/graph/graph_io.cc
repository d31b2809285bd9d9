// GraphDef <-> Graph. Import moves attrs out of the GraphDef (tensors can be
// large); export writes data inputs then control inputs, as TF requires.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include "tfprod/error.h"
#include "tfprod/graph.h"

namespace tfprod {

namespace {
// OpenCV's text configs (the .pbtxt readNetFromTensorflow takes beside a .pb)
// keep the layers but not the weights they read, and use ops of OpenCV's own:
// a hint when the graph has such ops, or no Const at all and `missing` is
// named like a weight.
std::string opencv_config_hint(const Graph& g, std::string_view missing) {
  bool consts = false, opencv_ops = false;
  for (const Node* n : g.nodes()) {
    consts = consts || n->op == "Const";
    opencv_ops = opencv_ops || n->op == "Flatten" || n->op == "PriorBox" || n->op == "DetectionOutput";
  }
  const std::string_view leaf = missing.substr(missing.rfind('/') + 1);
  const bool weight = leaf == "kernel" || leaf == "weights" || leaf == "bias" || leaf == "biases" ||
                      leaf == "gamma" || leaf == "beta" || leaf.starts_with("moving_");
  if (!opencv_ops && (consts || !weight)) return "";
  return "; it looks like an OpenCV text config (the .pbtxt readNetFromTensorflow takes beside a .pb), which holds "
         "no weights: give the frozen .pb";
}
}  // namespace

Graph Graph::from_graphdef(tfprod::tf::GraphDef def, const std::string& source) {
  Graph g;
  g.source_ = source;
  auto nodes = std::move(*def.mutable_node());
  def.clear_node();
  g.rest_ = std::move(def);
  g.nodes_.reserve(nodes.size());

  std::vector<std::vector<TensorRef>> refs(nodes.size());
  for (int i = 0; i < nodes.size(); ++i) {
    tfprod::tf::NodeDef& nd = *nodes.Mutable(i);
    if (nd.name().empty()) fail("{}: node #{} (op {}) has no name", source, i, nd.op());
    if (nd.op().empty()) fail("{}: node '{}' has no op", source, nd.name());
    if (g.by_name_.count(nd.name())) fail("{}: node '{}': duplicate node name", source, nd.name());
    for (const auto& in : nd.input()) {
      try {
        refs[i].push_back(TensorRef::parse(in));
      } catch (const Error& e) {
        fail("{}: node '{}': {}", source, nd.name(), e.what());
      }
    }
    Node& node = g.add_node(std::move(*nd.mutable_name()), std::move(*nd.mutable_op()));
    node.device = std::move(*nd.mutable_device());
    node.spelled_inputs_.assign(nd.input().begin(), nd.input().end());
    *node.attrs_ = std::move(*nd.mutable_attr());
    nd.clear_name();
    nd.clear_op();
    nd.clear_input();
    nd.clear_device();
    nd.clear_attr();
    node.rest_ = std::move(nd);
  }
  for (std::size_t i = 0; i < g.nodes_.size(); ++i) {
    Node& node = *g.nodes_[i];
    for (const TensorRef& ref : refs[i]) {
      Node* producer = g.find(ref.node);
      if (!producer)
        fail("{}: node '{}': input '{}' names no node in the graph{}", source, node.name(), ref.str(),
             opencv_config_hint(g, ref.node));
      if (ref.control)
        g.add_control_input(node, producer);
      else
        g.add_input(node, {producer, ref.index});
    }
  }
  return g;
}

namespace {
// True when `spelled` names exactly the edges `canonical` does, in order.
bool same_edges(const std::vector<std::string>& spelled, const std::vector<std::string>& canonical) {
  if (spelled.size() != canonical.size()) return false;
  for (std::size_t i = 0; i < spelled.size(); ++i)
    if (spelled[i] != canonical[i] && TensorRef::parse(spelled[i]).str() != canonical[i]) return false;
  return true;
}
}  // namespace

void Graph::export_node(const Node& n, tfprod::tf::NodeDef* nd) {
  *nd = n.rest();
  export_head(n, nd);
}

void Graph::export_head(const Node& n, tfprod::tf::NodeDef* nd) {
  nd->set_name(n.name());
  nd->set_op(n.op);
  std::vector<std::string> canonical;
  canonical.reserve(n.inputs.size() + n.control_inputs.size());
  for (const auto& in : n.inputs) canonical.push_back(TensorRef{in.node->name(), in.index, false}.str());
  for (const Node* c : n.control_inputs) canonical.push_back("^" + c->name());
  const auto& chosen = same_edges(n.spelled_inputs_, canonical) ? n.spelled_inputs_ : canonical;
  for (const auto& s : chosen) nd->add_input(s);
  nd->set_device(n.device);
}

namespace {

using google::protobuf::io::CodedOutputStream;

// GraphDef.node and NodeDef.attr are field 1 and 5, length-delimited.
constexpr uint32_t kNodeTag = (1 << 3) | 2;
constexpr uint32_t kAttrTag = (5 << 3) | 2;

// A NodeDef on the wire is fields 1-4 (name, op, input, device), then the
// attrs (5), then the rest (6, 7, unknown fields): `head` holds fields 1-4,
// the node's rest() the others, so head + attrs + rest is the node's bytes.
struct NodeParts {
  tfprod::tf::NodeDef head;
  std::size_t bytes = 0;  // the whole NodeDef
};

}  // namespace

// Builds `head` for `n` and sizes the whole NodeDef (caching every part's
// size for SerializeWithCachedSizes).
static void node_parts(const Node& n, NodeParts& parts, void (*export_head)(const Node&, tfprod::tf::NodeDef*)) {
  parts.head.Clear();
  export_head(n, &parts.head);
  std::size_t bytes = parts.head.ByteSizeLong() + n.rest().ByteSizeLong();
  for (const auto& a : n.attrs()) {
    const std::size_t len = a.ByteSizeLong();
    bytes += 1 + CodedOutputStream::VarintSize64(len) + len;
  }
  parts.bytes = bytes;
}

uint64_t Graph::serialized_size() const {
  uint64_t total = rest_.ByteSizeLong();
  NodeParts parts;
  for (const auto& n : nodes_) {
    node_parts(*n, parts, &Graph::export_head);
    total += 1 + CodedOutputStream::VarintSize64(parts.bytes) + parts.bytes;
  }
  return total;
}

void Graph::serialize(google::protobuf::io::ZeroCopyOutputStream& out) const {
  CodedOutputStream coded(&out);
  // Aliasing hands large strings (weights) to the stream whole instead of
  // copying them through its buffers.
  coded.EnableAliasing(true);
  NodeParts parts;
  for (const auto& n : nodes_) {
    node_parts(*n, parts, &Graph::export_head);
    coded.WriteTag(kNodeTag);
    coded.WriteVarint64(parts.bytes);
    parts.head.SerializeWithCachedSizes(&coded);
    for (const auto& a : std::as_const(*n).attrs()) {
      coded.WriteTag(kAttrTag);
      coded.WriteVarint64(a.GetCachedSize());
      a.SerializeWithCachedSizes(&coded);
    }
    n->rest().SerializeWithCachedSizes(&coded);
  }
  rest_.ByteSizeLong();
  rest_.SerializeWithCachedSizes(&coded);
  if (coded.HadError()) fail("{}: writing the graph failed", source_);
}

tfprod::tf::GraphDef Graph::to_graphdef() const {
  tfprod::tf::GraphDef def = rest_;
  def.mutable_node()->Reserve(static_cast<int>(nodes_.size()));
  for (const auto& n : nodes_) {
    auto* nd = def.add_node();
    export_node(*n, nd);
    *nd->mutable_attr() = *n->attrs_;
  }
  return def;
}

tfprod::tf::GraphDef Graph::release_graphdef() && {
  tfprod::tf::GraphDef def = std::move(rest_);
  def.mutable_node()->Reserve(static_cast<int>(nodes_.size()));
  for (auto& n : nodes_) {
    auto* nd = def.add_node();
    export_node(*n, nd);
    // Storage a clone still shares is copied; the rest moves.
    *nd->mutable_attr() = std::move(n->own_attrs());
  }
  nodes_.clear();
  by_name_.clear();
  return def;
}

}  // namespace tfprod
