// freeze(): prune to the outputs' ancestors, then replace each variable by a
// Const holding its checkpoint value.
//
//   VariableV2 "w" --Identity "w/read"--> MatMul     Const "w" --Identity--> MatMul
//   VarHandleOp "v" --ReadVariableOp--> Conv2D  =>   Const "v" --Identity--> Conv2D
//
// Partitioned variables (parts "w/part_0", "w/part_1") each get their slice of
// the checkpoint's full tensor.
#include "tfprod/freeze.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "checkpoint/slice.h"
#include "freeze/variable_keys.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

bool is_variable(const Node& n) {
  return n.op == "VariableV2" || n.op == "Variable" || n.op == "VarHandleOp";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string close_names(const std::string& wanted, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& n : names) {
    std::size_t d = edit_distance(wanted, n);
    if (n.find(wanted) != std::string::npos || wanted.find(n) != std::string::npos) d = std::min(d, std::size_t{2});
    if (d <= std::max<std::size_t>(3, wanted.size() / 3)) scored.emplace_back(d, n);
  }
  std::sort(scored.begin(), scored.end());
  if (scored.empty()) return "";
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < std::min<std::size_t>(3, scored.size()); ++i)
    out += (i ? ", " : "") + ("'" + scored[i].second + "'");
  return out + "?";
}

std::vector<std::string> node_names(const Graph& g) {
  std::vector<std::string> out;
  for (const Node* n : g.nodes()) out.push_back(n->name());
  return out;
}

// The elements of `box` out of a full tensor.
Tensor extract_slice(const Tensor& full, const checkpoint::SliceBox& box) {
  Tensor out;
  out.dtype = full.dtype;
  out.shape = box.size;
  const std::size_t elem = dtype_size(full.dtype);
  const int64_t count = num_elements(box.size);
  const std::size_t rank = full.shape.size();
  if (elem == 0) fail("partitioned string variables are not supported");
  out.data.resize(static_cast<std::size_t>(count) * elem);
  if (count == 0) return out;
  // Row-major strides of the full tensor, in elements.
  Shape stride = full.shape;
  int64_t acc = 1;
  for (std::size_t d = rank; d-- > 0;) {
    const int64_t dim = stride[d];
    stride[d] = acc;
    acc *= dim;
  }
  const int64_t inner = rank ? box.size[rank - 1] : 1;
  Shape idx = box.size;
  std::fill(idx.begin(), idx.end(), 0);
  char* dst = out.data.data();
  for (int64_t done = 0; done < count; done += inner) {
    int64_t offset = 0;
    for (std::size_t d = 0; d < rank; ++d) offset += (box.start[d] + idx[d]) * stride[d];
    std::memcpy(dst, full.data.data() + offset * elem, static_cast<std::size_t>(inner) * elem);
    dst += inner * elem;
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < box.size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// Checks the variable against the checkpoint's index (presence, dtype,
// shape) without reading its bytes. Returns the dtype its Const gets and, in
// `shape`, the shape of its value.
DataType check_variable(const Node& var, const VariableKey& key, const CheckpointReader& ckpt, Shape* shape) {
  const std::string& where = ckpt.prefix();
  const auto* info = ckpt.find(key.key);
  if (!info) {
    std::vector<std::string> names;
    for (const auto& t : ckpt.tensors()) names.push_back(t.name);
    fail("{}: variable '{}' (checkpoint key '{}', from {}) is missing from the checkpoint{}", where,
         var.name(), key.key, key.origin, close_names(key.key, names));
  }
  *shape = info->shape;
  if (key.full_shape) {
    if (*key.full_shape != info->shape)
      fail("{}: '{}': the graph restores it as shape {} but the checkpoint holds {}", where, key.key,
           shape_string(*key.full_shape), shape_string(info->shape));
    *shape = checkpoint::resolve_slice(info->shape, key.extents).size;
  }
  const auto* dtype_attr = var.attr("dtype");
  DataType want = dtype_attr ? base_type(dtype_attr->type()) : base_type(info->dtype);
  if (base_type(info->dtype) != want)
    fail("{}: '{}': checkpoint holds {} {} but graph variable '{}' is {}", where, key.key, dtype_name(info->dtype),
         shape_string(info->shape), var.name(), dtype_name(want));
  if (const auto* shape_attr = var.attr("shape");
      shape_attr && shape_attr->has_shape() && !shape_attr->shape().unknown_rank()) {
    Shape declared = shape_from_proto(shape_attr->shape());
    bool matches = declared.size() == shape->size();
    for (std::size_t i = 0; matches && i < declared.size(); ++i) matches = declared[i] < 0 || declared[i] == (*shape)[i];
    if (!matches)
      fail("{}: '{}': checkpoint holds shape {} but graph variable '{}' has shape {}", where, key.key,
           shape_string(*shape), var.name(), shape_string(declared));
  }
  return want;
}

Tensor read_value(const VariableKey& key, const CheckpointReader& ckpt) {
  Tensor value = ckpt.read(key.key);
  if (key.full_shape) {
    auto box = checkpoint::resolve_slice(value.shape, key.extents);
    if (!checkpoint::covers_all(value.shape, box)) value = extract_slice(value, box);
  }
  return value;
}

// Turns a variable node into a Const (TF's freeze keeps name and device only).
tfprod::tf::TensorProto& become_const(Graph& graph, Node& node, DataType dtype) {
  node.op = "Const";
  graph.clear_inputs(node);
  node.attrs().Clear();
  node.rest().Clear();
  node.set_attr("dtype").set_type(dtype);
  return *node.set_attr("value").mutable_tensor();
}

}  // namespace

void check_outputs_exist(const Graph& graph, const std::vector<std::string>& outputs) {
  for (const auto& out : outputs) {
    TensorRef ref = TensorRef::parse(out);
    if (!graph.find(ref.node))
      fail("{}: output node '{}' is not in the graph{}", graph.source(), ref.node,
           close_names(ref.node, node_names(graph)));
  }
}

std::vector<std::string> candidate_outputs(const Graph& graph) {
  static const std::unordered_set<std::string> plumbing = {
      "Const", "NoOp", "Placeholder", "PlaceholderWithDefault", "Assign", "AssignAdd", "AssignSub",
      "AssignVariableOp", "SaveV2", "Save", "SaveSlices", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename",
      "VariableV2", "Variable", "VarHandleOp", "IsVariableInitialized", "VarIsInitializedOp",
      "ScalarSummary", "HistogramSummary", "ImageSummary", "MergeSummary", "TensorSummaryV2", "Assert",
      "IteratorToStringHandle", "QueueEnqueueManyV2", "QueueEnqueueV2", "QueueCloseV2", "QueueSizeV2",
      "ShuffleDataset", "Shape", "Size", "ReportUninitializedVariables", "StringJoin"};
  static const char* const scopes[] = {"save/", "gradients/", "train/", "report_uninitialized", "init",
                                       "global_step", "metrics/", "accuracy/", "loss/", "Adam", "GradientDescent",
                                       "Momentum", "SGD/", "training/", "enqueue_input/"};
  auto uses = graph.uses();
  std::vector<std::string> out;
  for (const Node* n : graph.nodes()) {
    if (uses.count(n) || plumbing.count(n->op) || n->op.rfind("Apply", 0) == 0 ||
        n->op.rfind("ResourceApply", 0) == 0)
      continue;
    // A resource variable's value read and dropped (Keras reads each variable
    // after set_weights assigns it) is not a computation.
    if (n->op == "ReadVariableOp" && !n->inputs.empty() && n->inputs[0].node->op == "VarHandleOp") continue;
    bool scoped = false;
    for (const char* s : scopes) scoped = scoped || n->name().rfind(s, 0) == 0;
    if (!scoped) out.push_back(n->name());
  }
  return out;
}

Graph freeze(Graph graph, const CheckpointReader& ckpt, const FreezeOptions& options, FreezeReport* report) {
  FreezeReport local;
  FreezeReport& r = report ? *report : local;
  r.nodes_before = graph.size();
  if (options.outputs.empty()) fail("{}: no output nodes given", graph.source());
  check_outputs_exist(graph, options.outputs);

  // Restore ops are not ancestors of the outputs: read them before pruning.
  VariableKeys keys(graph, ckpt);
  std::vector<const Node*> roots;
  for (const auto& out : options.outputs) roots.push_back(graph.find(TensorRef::parse(out).node));
  auto keep_list = ancestors(roots);
  std::unordered_set<const Node*> keep(keep_list.begin(), keep_list.end());
  graph.remove_nodes([&](const Node& n) { return !keep.count(&n); });

  std::unordered_set<std::string> allow(options.allow.begin(), options.allow.end());
  std::unordered_set<std::string> deny(options.deny.begin(), options.deny.end());
  std::unordered_set<const Node*> frozen_handles;
  // Bytes to read, for progress: what the checkpoint says each variable holds.
  uint64_t total = 0, done = 0;
  if (options.progress)
    for (const Node* n : graph.nodes())
      if (is_variable(*n))
        if (const auto* info = ckpt.find(keys.lookup(*n).key)) total += info->bytes;
  for (Node* n : graph.nodes()) {
    if (!is_variable(*n)) continue;
    if ((!allow.empty() && !allow.count(n->name())) || deny.count(n->name())) {
      r.kept.push_back(n->name());
      continue;
    }
    const VariableKey key = keys.lookup(*n);
    Shape shape;
    const DataType dtype = check_variable(*n, key, ckpt, &shape);
    if (n->op == "VarHandleOp") frozen_handles.insert(n);
    std::optional<StoredBytes> stored;
    if (options.stream_threshold > 0 && !key.full_shape) stored = ckpt.stored_bytes(key.key);
    if (stored && stored->size >= options.stream_threshold) {
      auto& tensor = become_const(graph, *n, dtype);
      tensor.set_dtype(dtype);
      shape_to_proto(shape, tensor.mutable_tensor_shape());
      r.bytes_frozen += stored->size;
      r.streamed.push_back({n->name(), std::move(*stored)});
    } else {
      Tensor value = read_value(key, ckpt);
      r.bytes_frozen += value.data.size();
      tensor_to_proto(std::move(value), &become_const(graph, *n, dtype));
    }
    r.frozen.push_back(n->name());
    if (options.progress) {
      if (const auto* info = ckpt.find(key.key)) done += info->bytes;
      options.progress(std::min(done, total), total);
    }
  }

  // Consumers of frozen resource handles read the value directly now.
  for (Node* n : graph.nodes()) {
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      if (!frozen_handles.count(n->inputs[i].node)) continue;
      if (n->op == "ReadVariableOp") {
        const auto* dtype = n->attr("dtype");
        DataType t = dtype ? dtype->type() : tfprod::tf::DT_FLOAT;
        n->op = "Identity";
        n->remove_attr("dtype");
        n->set_attr("T").set_type(t);
      } else if (n->op == "ResourceGather" && i == 0) {
        const auto* dtype = n->attr("dtype");
        DataType t = dtype ? dtype->type() : tfprod::tf::DT_FLOAT;
        n->op = "Gather";
        n->remove_attr("dtype");
        n->remove_attr("batch_dims");
        n->set_attr("Tparams").set_type(t);
      } else {
        fail("{}: node '{}' (op {}) uses resource variable '{}', which cannot be frozen", graph.source(),
             n->name(), n->op, n->inputs[i].node->name());
      }
    }
  }

  if (options.clear_devices)
    for (Node* n : graph.nodes()) n->device.clear();
  if (r.frozen.empty() && r.kept.empty())
    r.notes.push_back("nothing to freeze: no variable feeds the outputs (the graph may already be frozen)");
  validate(graph);
  r.nodes_after = graph.size();
  return graph;
}

}  // namespace tfprod
