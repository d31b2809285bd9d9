// Input pipeline cut points and the tensors they declare.
#include <unordered_set>

#include "tfprod/analysis.h"

namespace tfprod {

namespace {

const tfprod::tf::AttrValue::ListValue* list_attr(const Node& n, const char* key) {
  const auto* a = n.attr(key);
  return a && a->has_list() ? &a->list() : nullptr;
}

// The dtype of output 0 of an op that is no input pipeline, from its attrs:
// the output-type attr where the op has one, else dtype, else T (most ops
// return what they take). Comparisons and index ops return bool and ints.
std::optional<DataType> output0_dtype(const Node& n) {
  static const std::unordered_set<std::string> boolean = {
      "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "IsNan", "IsInf", "IsFinite",
      "LogicalAnd", "LogicalOr", "LogicalNot", "ApproximateEqual", "InTopK", "InTopKV2"};
  static const std::unordered_set<std::string> int32 = {"Rank", "Bucketize", "NonMaxSuppression",
                                                         "NonMaxSuppressionV2", "NonMaxSuppressionV3",
                                                         "NonMaxSuppressionV4", "NonMaxSuppressionV5"};
  if (boolean.count(n.op)) return tfprod::tf::DT_BOOL;
  if (int32.count(n.op)) return tfprod::tf::DT_INT32;
  if (n.op == "Where") return tfprod::tf::DT_INT64;
  for (const char* key : {"DstT", "out_type", "output_type", "Tout", "dtype", "T"})
    if (const auto* a = n.attr(key); a && a->value_case() == tfprod::tf::AttrValue::kType) return a->type();
  return std::nullopt;
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
  if (!d.dtype && port == 0 && !is_pipeline_cut_point(n.op) && !n.op.starts_with("Placeholder")) d.dtype = output0_dtype(n);
  return d;
}

}  // namespace tfprod
