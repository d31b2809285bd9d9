// opencv_unpack_to_split: OpenCV 4.6's TF importer has no Unpack (unstack),
// which a static RNN uses to walk over time. Unpack along an axis is a Split
// into size-1 slices along it, each reshaped to drop that axis:
//
//   x [N,T,F] -> Unpack(axis=1, num=T) -> y:i [N,F]
//     =>  x -> y/split = Split(axis=1, num_split=T) -> y/reshape_i = Reshape(y/split:i, [N,F])
//
// Needs x's static shape (placeholders of known shape). Unpacks named as
// inputs or outputs, or of unknown shape, are left alone. Values are unchanged.
#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/tensor_values.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  std::vector<Node*> unpacks;
  std::vector<Endpoint> inputs;
  for (Node* n : graph.nodes())
    if (n->op == "Unpack" && n->inputs.size() == 1 && n->attr("T") && n->attr("num") && !io.is_protected(*n)) {
      unpacks.push_back(n);
      inputs.push_back(n->inputs[0]);
    }
  if (unpacks.empty()) return false;
  auto shapes = static_shapes(graph, inputs);
  if (!shapes) return false;
  std::vector<Node*> dropped;
  for (std::size_t i = 0; i < unpacks.size(); ++i) {
    Node& n = *unpacks[i];
    const Shape& shape = (*shapes)[i];
    int64_t axis = n.attr("axis") ? n.attr("axis")->i() : 0;
    const int64_t num = n.attr("num")->i();
    if (!eval::normalize_axis(&axis, static_cast<int64_t>(shape.size())) || shape[axis] != num || num < 1) continue;
    const auto dtype = n.attr("T")->type();
    std::vector<int32_t> target;
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (static_cast<int64_t>(d) != axis) target.push_back(static_cast<int32_t>(shape[d]));
    Node& axis_const =
        add_scalar_int_const(graph, unique_name(graph, n.name() + "/split_axis"), static_cast<int32_t>(axis));
    Node& split = graph.add_node(unique_name(graph, n.name() + "/split"), "Split");
    graph.set_inputs(split, {{&axis_const, 0}, n.inputs[0]});
    split.set_attr("T").set_type(dtype);
    split.set_attr("num_split").set_i(num);
    Node& shape_const = add_const(graph, unique_name(graph, n.name() + "/shape"), int32_tensor(target));
    for (int64_t k = 0; k < num; ++k) {
      Node& reshape = graph.add_node(unique_name(graph, n.name() + "/reshape_" + std::to_string(k)), "Reshape");
      graph.set_inputs(reshape, {{&split, static_cast<int>(k)}, {&shape_const, 0}});
      reshape.set_attr("T").set_type(dtype);
      reshape.set_attr("Tshape").set_type(tfprod::tf::DT_INT32);
      replace_all_uses(graph, {&n, static_cast<int>(k)}, {&reshape, 0});
    }
    dropped.push_back(&n);
  }
  erase_dead(graph, dropped, io.protected_names());
  return !dropped.empty();
}

}  // namespace

PassSpec opencv_unpack_to_split() {
  return {"opencv_unpack_to_split", "Unpack (unstack) -> Split + Reshape per slice (OpenCV 4.6 has no Unpack)", {},
          run};
}

}  // namespace tfprod::passes
