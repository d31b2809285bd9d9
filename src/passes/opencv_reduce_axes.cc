// opencv_reduce_axes: OpenCV 4.6 reads Mean / Sum only over the spatial axes
// of a 4-D NHWC tensor ([1], [2], [1,2]) or its channels ([3]); over both, or
// over the features of a 2-D tensor, its importer refuses ("Unsupported mode
// of reduce_mean") or fails at run time. Rewritten into forms it reads:
//
//   2-D [N,C], axis 1:      y = Mean(x, [1])      =>  y = MatMul(x, Const[C,1] of 1/C)   (Sum: of 1)
//                                                      (keep_dims=false: then Squeeze([1]))
//   4-D, spatial + channel: y = Mean(x, [1,2,3])  =>  y/spatial = Mean(x, [1,2]); y = Mean(y/spatial, [3])
//                           (keep_dims=false: Mean(x, [1,2]) -> [N,C], then the 2-D form)
//
// The mean of equal-sized means is the mean, so values are unchanged up to
// float rounding. Needs the input's static shape (placeholders of known
// shape); the Sum of tf.nn.l2_normalize (which OpenCV fuses) stays; reductions over the batch axis, or whose shape is unknown, are left
// for the pre-flight check to name. The last node keeps the reduction's name.
#include <algorithm>
#include <set>

#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/tensor_values.h"

namespace tfprod::passes {

namespace {

void set_reduce(Graph& graph, Node& node, const std::string& op, Endpoint x, const std::vector<int32_t>& axes,
                bool keep, tfprod::tf::DataType dtype) {
  Node& ax = add_const(graph, unique_name(graph, node.name() + "/axes"), int32_tensor(axes));
  graph.set_inputs(node, {x, {&ax, 0}});
  node.attrs().Clear();
  node.op = op;
  node.set_attr("T").set_type(dtype);
  node.set_attr("Tidx").set_type(tfprod::tf::DT_INT32);
  node.set_attr("keep_dims").set_b(keep);
}

// node := x [N,C] reduced over axis 1 as a MatMul (and a Squeeze unless keep).
void set_feature_reduce(Graph& graph, Node& node, Endpoint x, int64_t channels, bool mean, bool keep,
                        tfprod::tf::DataType dtype) {
  Tensor w = eval::make_tensor(tfprod::tf::DT_FLOAT, {channels, 1});
  std::fill(eval::values<float>(w).begin(), eval::values<float>(w).end(),
            mean ? 1.0f / static_cast<float>(channels) : 1.0f);
  Node& weights = add_const(graph, unique_name(graph, node.name() + "/weights"),
                            dtype == tfprod::tf::DT_FLOAT ? w : eval::cast(w, dtype));
  Node& matmul = keep ? node : graph.add_node(unique_name(graph, node.name() + "/matmul"), "MatMul");
  graph.set_inputs(matmul, {x, {&weights, 0}});
  matmul.attrs().Clear();
  matmul.op = "MatMul";
  matmul.set_attr("T").set_type(dtype);
  matmul.set_attr("transpose_a").set_b(false);
  matmul.set_attr("transpose_b").set_b(false);
  if (keep) return;
  graph.set_inputs(node, {{&matmul, 0}});
  node.attrs().Clear();
  node.op = "Squeeze";
  node.set_attr("T").set_type(dtype);
  node.set_attr("squeeze_dims").mutable_list()->add_i(1);
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  struct Candidate {
    Node* node;
    std::set<int64_t> axes;
  };
  std::vector<Candidate> candidates;
  std::vector<Endpoint> inputs;
  for (Node* n : graph.nodes()) {
    if ((n->op != "Mean" && n->op != "Sum") || n->inputs.size() != 2 || !n->attr("T") || part_of_l2_normalize(*n))
      continue;
    auto axes = const_tensor(*n->inputs[1].node);
    if (!axes) continue;
    std::set<int64_t> set;
    for (int64_t a : eval::as_ints(*axes)) set.insert(a);
    if (set == std::set<int64_t>{1, 2}) continue;  // global pooling: OpenCV reads it; no evaluation for the rank
    candidates.push_back({n, set});
    inputs.push_back(n->inputs[0]);
  }
  if (candidates.empty()) return false;
  auto shapes = static_shapes(graph, inputs);
  if (!shapes) return false;
  bool changed = false;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    Node& n = *candidates[i].node;
    const Shape& shape = (*shapes)[i];
    const int64_t rank = static_cast<int64_t>(shape.size());
    std::set<int64_t> axes;
    bool valid = true;
    for (int64_t a : candidates[i].axes) valid &= eval::normalize_axis(&a, rank) && axes.insert(a).second;
    if (!valid || axes.count(0)) continue;
    const bool mean = n.op == "Mean";
    const bool keep = n.attr("keep_dims") && n.attr("keep_dims")->b();
    const auto dtype = n.attr("T")->type();
    Node* old_axes = n.inputs[1].node;
    const Endpoint x = n.inputs[0];
    if (rank == 2 && axes == std::set<int64_t>{1}) {
      set_feature_reduce(graph, n, x, shape[1], mean, keep, dtype);
    } else if (rank == 4 && axes.count(3) && axes.size() > 1) {
      std::vector<int32_t> spatial;
      for (int64_t a : axes)
        if (a != 3) spatial.push_back(static_cast<int32_t>(a));
      if (!keep && spatial.size() != 2) continue;
      Node& first = graph.add_node(unique_name(graph, n.name() + "/spatial"), n.op);
      set_reduce(graph, first, n.op, x, spatial, keep, dtype);
      if (keep)
        set_reduce(graph, n, n.op, {&first, 0}, {3}, true, dtype);
      else
        set_feature_reduce(graph, n, {&first, 0}, shape[3], mean, false, dtype);
    } else {
      continue;
    }
    erase_dead(graph, {old_axes}, {});
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec opencv_reduce_axes() {
  return {"opencv_reduce_axes",
          "Mean / Sum over features (2-D) or spatial + channel axes (4-D) -> forms OpenCV 4.6 reads", {}, run};
}

}  // namespace tfprod::passes
