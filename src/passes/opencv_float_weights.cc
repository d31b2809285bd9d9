// opencv_float_weights: OpenCV 4.6 computes in float32; half / bfloat16
// weights and placeholders become float32 and the casts between them go.
//
//   x:half -> Conv2D[T=half](x, w:half)          x:float -> Conv2D[T=float](x, w:float)
//   y:float -> Cast[half->float] -> Relu    =>   y:float -> Relu        (a float->float Cast is spliced out)
//
// Every Const of dtype half / bfloat16 is widened (exactly); every type attr
// (T, dtype, SrcT, DstT, list(type)...) holding half / bfloat16 becomes
// float. A Cast left float->float is removed (consumers read its input); one
// named in the outputs becomes an Identity. Numbers change only by the
// rounding half precision did (the graph now computes in float32).
// Preconditions: none; a graph without half tensors is left unchanged.
#include <algorithm>
#include <unordered_set>
#include <utility>

#include "tfprod/tensor_values.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

bool reduced(tfprod::tf::DataType t) { return t == tfprod::tf::DT_HALF || t == tfprod::tf::DT_BFLOAT16; }

bool holds_reduced_type(const tfprod::tf::AttrValue& v) {
  if (v.has_type()) return reduced(v.type());
  if (v.has_list())
    for (int t : v.list().type())
      if (reduced(static_cast<tfprod::tf::DataType>(t))) return true;
  return false;
}

// Widens half/bfloat16 types in a type or list(type) attr; true when it did.
bool widen_attr(tfprod::tf::AttrValue& v) {
  bool changed = false;
  if (v.has_type()) {
    if (reduced(v.type())) v.set_type(tfprod::tf::DT_FLOAT), changed = true;
  } else if (v.has_list()) {
    for (int i = 0; i < v.list().type_size(); ++i)
      if (reduced(v.list().type(i))) v.mutable_list()->set_type(i, tfprod::tf::DT_FLOAT), changed = true;
  }
  return changed;
}

// The Const's value widened to float32. Weights are the bulk of a model, so
// the common encoding (tensor_content) is converted straight into the new
// value, and the old one is not copied (the snapshot may still share it).
void widen_const(Node& n) {
  const tfprod::tf::TensorProto& old = n.attr("value")->tensor();
  const DataType from = old.dtype();
  const Shape shape = shape_from_proto(old.tensor_shape());
  std::string content;
  if (!old.tensor_content().empty() &&
      old.tensor_content().size() == static_cast<std::size_t>(num_elements(shape)) * sizeof(uint16_t)) {
    eval::append_float32(old.tensor_content().data(), old.tensor_content().size() / sizeof(uint16_t), from, content);
  } else {  // half_val, a repeated scalar, ...: decode as any reader does
    Tensor t = eval::to_float32(tensor_from_proto(old, n.name()));
    content = std::move(t.data);
  }
  tfprod::tf::TensorProto* wide = n.reset_attr("value").mutable_tensor();
  wide->set_dtype(tfprod::tf::DT_FLOAT);
  shape_to_proto(shape, wide->mutable_tensor_shape());
  wide->set_tensor_content(std::move(content));
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->op == "Const" && n->attr("value") && reduced(n->attr("value")->tensor().dtype())) {
      widen_const(*n);
      changed = true;
    }
    // Only nodes that change are written: writing gives a node its own copy
    // of attributes it shares with the pipeline's snapshot.
    const auto& attrs = std::as_const(*n).attrs();
    if (std::any_of(attrs.begin(), attrs.end(), [](const auto& e) { return holds_reduced_type(e.value()); }))
      for (auto& entry : n->attrs()) changed |= widen_attr(*entry.mutable_value());
  }
  // Splice out Casts that became float -> float.
  std::vector<Node*> casts;
  for (Node* n : graph.nodes())
    if (n->op == "Cast" && n->inputs.size() == 1 && n->attr("SrcT") && n->attr("DstT") &&
        n->attr("SrcT")->type() == n->attr("DstT")->type())
      casts.push_back(n);
  std::unordered_set<const Node*> removed;
  for (Node* cast : casts) {
    changed = true;
    if (io.is_output(*cast)) {
      cast->op = "Identity";
      tfprod::tf::DataType t = cast->attr("SrcT")->type();
      cast->attrs().Clear();
      cast->set_attr("T").set_type(t);
      continue;
    }
    replace_node_uses(graph, *cast, cast->inputs[0]);
    removed.insert(cast);
  }
  graph.remove_nodes([&](const Node& n) { return removed.count(&n) > 0; });
  return changed;
}

}  // namespace

PassSpec opencv_float_weights() {
  return {"opencv_float_weights", "Half / bfloat16 constants, placeholders and op types to float32; drop float->float Casts",
          {}, run};
}

}  // namespace tfprod::passes
