// The converter: one evaluation of the graph gives every tensor's static
// shape and dtype, then each node the outputs need is converted by its
// family's handler in topological order, the model's inputs and outputs are
// declared (NCHW where asked), and the transpose optimizer runs.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "onnx/registry.h"
#include "onnx/transpose_optimizer.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/onnx.h"
#include "tfprod/tensor_values.h"
#include "tfprod/version.h"

namespace tfprod {

using onnx_export::Builder;
using onnx_export::TensorInfo;

std::string onnx_name(const std::string& tf_tensor) { return TensorRef::parse(tf_tensor).str(); }

namespace {

// How many outputs a node gives: those its consumers read, or all of an
// op whose ONNX form writes them all.
int output_count(const Node& n, int used) {
  auto attr_i = [&](const char* k) { const auto* a = n.attr(k); return a ? static_cast<int>(a->i()) : 0; };
  if (n.op == "Unpack") return std::max(used, attr_i("num"));
  if (n.op == "Split" || n.op == "SplitV") return std::max(used, attr_i("num_split"));
  return std::max(used, 1);
}

void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const TensorInfo& info) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx_export::onnx_dtype(info.dtype, name));
  auto* s = t->mutable_shape();
  for (int64_t d : info.shape) s->add_dim()->set_dim_value(d);
}

bool listed(const std::vector<std::string>& names, const std::string& tf_tensor) {
  for (const auto& n : names)
    if (onnx_name(n) == onnx_name(tf_tensor)) return true;
  return false;
}

// Renames value `from` to `to` wherever a node writes or reads it.
void rename_value(onnx::GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) {
    for (auto& i : *n.mutable_input())
      if (i == from) i = to;
    for (auto& o : *n.mutable_output())
      if (o == from) o = to;
  }
}

// convert_to_onnx; `owned` (the same graph, when the converter may consume
// it) has its weights moved into the model and is freed once converted.
OnnxModel convert(const Graph& graph, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                  const OnnxOptions& options, Graph* owned) {
  const std::string source = graph.source();
  if (options.opset < kOnnxMinOpset || options.opset > kOnnxMaxOpset)
    fail("--opset {}: ONNX export supports opsets {} to {}", options.opset, kOnnxMinOpset, kOnnxMaxOpset);
  if (outputs.empty()) fail("{}: no outputs to export", graph.source());
  for (const auto& name : options.inputs_as_nchw)
    if (!listed(inputs, name)) fail("--inputs-as-nchw {}: not one of the model's inputs ({})", name, fmt::join(inputs, ", "));
  for (const auto& name : options.outputs_as_nchw)
    if (!listed(outputs, name))
      fail("--outputs-as-nchw {}: not one of the model's outputs ({})", name, fmt::join(outputs, ", "));

  std::vector<const Node*> roots;
  std::vector<Endpoint> out_eps;
  for (const auto& o : outputs) {
    const TensorRef ref = TensorRef::parse(o);
    Node* n = graph.find(ref.node);
    if (!n) fail("{}: output '{}': no such node", graph.source(), o);
    roots.push_back(n);
    out_eps.push_back({n, ref.index});
  }
  const std::vector<const Node*> needed = ancestors(roots);
  const std::set<const Node*> needed_set(needed.begin(), needed.end());

  for (const Node* n : needed)
    if (n->op != "Const" && n->op != "Placeholder" && n->op != "NoOp" && !onnx_export::find_handler(n->op))
      fail("{} ({}): no ONNX export for op {}", n->name(), n->op, n->op);

  // Feeds: zeros of each input placeholder's (fully known) shape.
  std::vector<std::pair<std::string, Tensor>> feeds;
  std::vector<const Node*> input_nodes;
  for (const auto& i : inputs) {
    const TensorRef ref = TensorRef::parse(i);
    const Node* p = graph.find(ref.node);
    if (!p || p->op != "Placeholder") fail("{}: input '{}' is not a placeholder of the graph", graph.source(), i);
    const auto* s = p->attr("shape");
    const auto* dt = p->attr("dtype");
    if (!s || !dt || !s->has_shape() || s->shape().unknown_rank())
      fail("{}: input '{}' has no known shape; pass --input {}:TYPE:SHAPE", graph.source(), i, i);
    Shape shape = shape_from_proto(s->shape());
    for (int64_t d : shape)
      if (d < 0) fail("{}: input '{}' has an unknown dim in {}; pass --input {}:TYPE:SHAPE", graph.source(), i, shape_string(shape), i);
    feeds.emplace_back(p->name(), eval::make_tensor(dt->type(), shape));
    input_nodes.push_back(p);
  }
  for (const Node* n : needed)
    if (n->op == "Placeholder" && std::find(input_nodes.begin(), input_nodes.end(), n) == input_nodes.end())
      fail("{}: the outputs read placeholder '{}', which is not a model input", graph.source(), n->name());

  // One evaluation: every tensor a needed node gives, for its shape and dtype.
  // A Const's are in its value (not fetched: the evaluator then frees each
  // decoded weight after its last reader instead of holding them all).
  std::map<const Node*, int> used_ports;
  for (const Node* n : needed)
    for (const Endpoint& e : n->inputs) used_ports[e.node] = std::max(used_ports[e.node], e.index + 1);
  for (const Endpoint& e : out_eps) used_ports[e.node] = std::max(used_ports[e.node], e.index + 1);
  std::vector<std::string> fetches;
  std::vector<std::pair<const Node*, int>> keys;
  std::map<std::pair<const Node*, int>, TensorInfo> infos;
  for (const Node* n : needed) {
    if (n->op == "NoOp") continue;
    if (n->op == "Const") {
      const auto* v = n->attr("value");
      if (!v) fail("{}: Const without a value", n->name());
      infos[{n, 0}] = {v->tensor().dtype(), shape_from_proto(v->tensor().tensor_shape())};
      continue;
    }
    const int count = output_count(*n, used_ports[n]);
    for (int k = 0; k < count; ++k) {
      fetches.push_back(TensorRef{n->name(), k, false}.str());
      keys.emplace_back(n, k);
    }
  }
  std::vector<Tensor> values = Evaluator(graph).run(feeds, fetches);
  for (std::size_t i = 0; i < keys.size(); ++i) infos[keys[i]] = {values[i].dtype, values[i].shape};
  values.clear();

  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("tfprod");
  model.set_producer_version(TFPROD_VERSION);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name(graph.source().empty() ? "tfprod" : std::filesystem::path(graph.source()).stem().string());
  Builder b(g, options.opset, infos);
  b.dynamic_batch = options.dynamic_batch;
  b.take_weights = owned != nullptr;

  OnnxModel result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Node& p = *input_nodes[i];
    const std::string name = onnx_name(inputs[i]);
    TensorInfo info = b.out_info(p);
    if (listed(options.inputs_as_nchw, inputs[i])) {
      if (info.shape.size() != 4) fail("--inputs-as-nchw {}: the input is not 4-D ({})", name, shape_string(info.shape));
      const Shape nhwc = info.shape;
      info.shape = {nhwc[0], nhwc[3], nhwc[1], nhwc[2]};
      b.bind(p, 0, b.transpose(name, onnx_export::kToNhwc, name + "/onnx/nhwc"));
    }
    set_value_info(g->add_input(), name, info);
    result.inputs.push_back(name);
  }

  for (const Node* n : graph.topological_order()) {
    if (!needed_set.count(n) || n->op == "Const" || n->op == "Placeholder" || n->op == "NoOp") continue;
    const onnx_export::Handler* h = onnx_export::find_handler(n->op);
    if (!h) fail("{} ({}): no ONNX export for op {}", n->name(), n->op, n->op);
    (*h)(*n, b);
  }

  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::string name = onnx_name(outputs[i]);
    TensorInfo info = b.info(out_eps[i]);
    const std::string value = b.in(out_eps[i]);
    std::string nhwc = name;
    if (listed(options.outputs_as_nchw, outputs[i])) {
      if (info.shape.size() != 4) fail("--outputs-as-nchw {}: the output is not 4-D ({})", name, shape_string(info.shape));
      nhwc = b.fresh(name + "/onnx/nhwc");
      if (value == name) rename_value(*g, name, nhwc);
      info.shape = {info.shape[0], info.shape[3], info.shape[1], info.shape[2]};
    }
    if (value != name) b.add("Identity", {value}, {nhwc});
    if (nhwc != name) b.transpose(nhwc, onnx_export::kToNchw, "", name);
    set_value_info(g->add_output(), name, info);
    result.outputs.push_back(name);
  }

  if (owned) *owned = Graph();  // what it still holds is freed before the model grows again
  if (options.optimize_transposes) onnx_export::optimize_transposes(model);
  onnx_export::prune(*g);
  // OpenCV names its layers after the nodes and refuses a name twice.
  std::set<std::string> node_names;
  for (auto& n : *g->mutable_node()) {
    std::string name = n.name().empty() ? n.output(0) : n.name();
    for (int k = 1; node_names.count(name); ++k) name = n.name() + "_" + std::to_string(k);
    node_names.insert(name);
    n.set_name(name);
  }
  result.nodes = static_cast<std::size_t>(g->node_size());
  for (const auto& n : g->node()) result.transposes += n.op_type() == "Transpose";
  if (options.dynamic_batch) {
    for (auto* vs : {g->mutable_input(), g->mutable_output()})
      for (auto& v : *vs) {
        auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
        if (shape->dim_size() > 0) shape->mutable_dim(0)->set_dim_param("N");
      }
  }
  // Weights over protobuf's limit (or all, when asked) go to external data:
  // each initializer's bytes move out of the model (no copy) in file order.
  if (options.external_data || model.ByteSizeLong() > kOnnxProtobufLimit) {
    if (options.external_location.empty() || options.external_location.find('/') != std::string::npos)
      fail("external data file '{}': must be a file name beside the model", options.external_location);
    for (auto& t : *g->mutable_initializer()) {
      if (t.raw_data().size() < kOnnxExternalMinBytes) continue;
      const uint64_t length = t.raw_data().size();
      auto entry = [&](const char* key, const std::string& value) {
        auto* e = t.add_external_data();
        e->set_key(key);
        e->set_value(value);
      };
      entry("location", options.external_location);
      entry("offset", std::to_string(result.external_bytes));
      entry("length", std::to_string(length));
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      result.external.push_back(std::move(*t.mutable_raw_data()));
      t.clear_raw_data();
      result.external_bytes += length;
    }
  }
  const uint64_t size = model.ByteSizeLong();
  if (size > kOnnxProtobufLimit)
    fail("{}: the ONNX model is {} bytes without its external weights, over protobuf's 2 GiB limit ({} nodes)",
         source, size, g->node_size());
  if (!model.SerializeToString(&result.bytes))
    fail("{}: the ONNX model does not serialize ({} bytes)", source, size);
  return result;
}

}  // namespace

OnnxModel convert_to_onnx(const Graph& graph, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const OnnxOptions& options) {
  return convert(graph, inputs, outputs, options, nullptr);
}

OnnxModel convert_to_onnx(Graph&& graph, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const OnnxOptions& options) {
  Graph owned = std::move(graph);
  return convert(owned, inputs, outputs, options, &owned);
}

}  // namespace tfprod
