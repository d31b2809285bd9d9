// Input pipeline cut points and the tensors they declare.
#include <unordered_set>

#include "tfprod/analysis.h"

namespace tfprod {

namespace {

const tfprod::tf::AttrValue::ListValue* list_attr(const Node& n, const char* key) {
  const auto* a = n.attr(key);
  return a && a->has_list() ? &a->list() : nullptr;
}

}  // namespace

bool is_pipeline_cut_point(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "IteratorGetNext", "IteratorGetNextSync", "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2",
      "QueueDequeue",    "QueueDequeueMany",    "DecodeJpeg",     "DecodePng",          "DecodeImage",
      "DecodeBmp",       "DecodeGif",           "ParseExample",   "ParseExampleV2",     "ParseSingleExample"};
  return ops.count(op) > 0;
}

DeclaredTensor declared_output(const Node& n, int port) {
  DeclaredTensor d;
  auto from_lists = [&](const char* types, const char* shapes, int index, bool batched) {
    if (const auto* t = list_attr(n, types); t && index >= 0 && index < t->type_size()) d.dtype = t->type(index);
    if (const auto* s = list_attr(n, shapes);
        s && index >= 0 && index < s->shape_size() && !s->shape(index).unknown_rank()) {
      d.shape = shape_from_proto(s->shape(index));
      if (batched) d.shape->insert(d.shape->begin(), -1);
    }
  };
  if (n.op.starts_with("Placeholder")) {
    if (const auto* t = n.attr("dtype")) d.dtype = t->type();
    if (const auto* s = n.attr("shape"); s && s->has_shape() && !s->shape().unknown_rank())
      d.shape = shape_from_proto(s->shape());
  } else if (n.op.starts_with("Iterator")) {
    from_lists("output_types", "output_shapes", port, false);
  } else if (n.op.starts_with("QueueDequeue")) {
    from_lists("component_types", "shapes", port, false);
    if (!n.inputs.empty()) {  // shapes live on the queue
      const Node& queue = *n.inputs[0].node;
      if (const auto* s = list_attr(queue, "shapes"); s && port < s->shape_size()) {
        d.shape = shape_from_proto(s->shape(port));
        if (n.op != "QueueDequeueV2" && n.op != "QueueDequeue") d.shape->insert(d.shape->begin(), -1);
      }
    }
  } else if (n.op.starts_with("Decode")) {
    d.dtype = n.attr("dtype") ? n.attr("dtype")->type() : tfprod::tf::DT_UINT8;
  } else if (n.op.starts_with("Parse")) {
    int sparse = 0;
    if (const auto* a = n.attr("Nsparse")) sparse = static_cast<int>(a->i());
    if (const auto* a = n.attr("num_sparse")) sparse = static_cast<int>(a->i());
    from_lists("Tdense", "dense_shapes", port - 3 * sparse, n.op != "ParseSingleExample");
  } else if (const auto* s = n.attr("_output_shapes"); s && s->has_list() && port < s->list().shape_size() &&
                                                         !s->list().shape(port).unknown_rank()) {
    d.shape = shape_from_proto(s->list().shape(port));
  }
  return d;
}

}  // namespace tfprod
