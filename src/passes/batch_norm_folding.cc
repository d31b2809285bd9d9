// The batch-norm folds' shared steps (batch_norm_folding.h).
#include "passes/batch_norm_folding.h"

#include "tfprod/tensor_values.h"
#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/rewrite.h"

namespace tfprod::passes {

std::optional<Tensor> float_const(const Node* n) {
  auto t = const_tensor(*n);
  if (!t) return std::nullopt;
  const DataType d = t->dtype;
  if (d != tfprod::tf::DT_FLOAT && d != tfprod::tf::DT_HALF && d != tfprod::tf::DT_DOUBLE && d != tfprod::tf::DT_BFLOAT16)
    return std::nullopt;
  return eval::cast(*t, tfprod::tf::DT_DOUBLE);
}

bool is_weighted_producer(const Node* n) {
  return n->op == "Conv2D" || n->op == "DepthwiseConv2dNative" || n->op == "MatMul";
}

std::pair<int64_t, int64_t> output_channels(const Node* conv, const Shape& s) {
  if (conv->op == "Conv2D" && s.size() == 4) return {s[3], 1};
  if (conv->op == "DepthwiseConv2dNative" && s.size() == 4) return {s[2] * s[3], 1};
  if (conv->op == "MatMul" && s.size() == 2) {
    if (conv->attr("transpose_b") && conv->attr("transpose_b")->b()) return {s[0], s[1]};
    return {s[1], 1};
  }
  return {0, 1};
}

std::optional<Tensor> scale_weights(const Node* producer, const Tensor& w, const std::vector<double>& scale) {
  const auto n = static_cast<int64_t>(scale.size());
  const auto [channels, div] = output_channels(producer, w.shape);
  if (channels != n || n == 0) return std::nullopt;
  Tensor out = w;
  auto v = eval::values<double>(out);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] *= scale[(static_cast<int64_t>(i) / div) % n];
  return out;
}

Tensor vector_tensor(const std::vector<double>& v) {
  Tensor t;
  t.dtype = tfprod::tf::DT_DOUBLE;
  t.shape = {static_cast<int64_t>(v.size())};
  t.data.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  return t;
}

void set_value(Node& n, const Tensor& value, DataType dtype) {
  tensor_to_proto(eval::cast(value, dtype), n.set_attr("value").mutable_tensor());
}

Node& writable_const(Graph& g, Node& reader, std::size_t input, const std::string& copy_name, bool copy) {
  Node* n = reader.inputs[input].node;
  if (!copy && n->uses().size() == 1) return *n;
  Node& fresh = g.add_node(unique_name(g, copy_name), "Const");
  fresh.device = n->device;
  fresh.set_attr("dtype").set_type(n->attr("dtype") ? n->attr("dtype")->type() : tfprod::tf::DT_FLOAT);
  g.set_input(reader, input, {&fresh, 0});
  return fresh;
}

}  // namespace tfprod::passes
