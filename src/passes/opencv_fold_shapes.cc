// opencv_fold_shapes: OpenCV recognises only a few shape-arithmetic patterns
// (Keras Flatten, tf.layers.flatten, Keras deconvolution); any other
// Shape/StridedSlice/Pack/Prod chain feeding a Reshape or a
// Conv2DBackpropInput's output_shape fails. With the input shapes known,
// that arithmetic is a constant:
//
//   x -> Shape -> StridedSlice -> Pack(_, -1) --+          x -> Reshape(x, Const[1, 1152])
//   x -------------------------------------> Reshape  =>
//
// Runs fold_constants with fold_shapes: Shape / ShapeN / Size / Rank of
// tensors whose shape is fixed by the placeholders' shapes become Consts, and
// everything computed from constants only is folded. The control edges
// fold_constants adds to such Consts are dropped (OpenCV has no use for them).
// Preconditions: every placeholder the graph reads has a fully known shape
// (strip_unused_nodes(shape=...) sets them); otherwise only constant
// subgraphs are folded and a warning says so.
#include "passes/passes.h"
#include "tfprod/fold_constants.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  FoldOptions options;
  options.fold_shapes = true;
  const IoRefs io(context.inputs, context.outputs);
  options.keep.assign(io.protected_names().begin(), io.protected_names().end());
  for (const Node* n : graph.nodes())
    if (n->op == "Placeholder") {
      const auto* shape = n->attr("shape");
      bool known = shape && shape->has_shape() && !shape->shape().unknown_rank();
      if (known)
        for (const auto& d : shape->shape().dim()) known = known && d.size() >= 0;
      if (!known) context.warnings.push_back("placeholder '" + n->name() + "' has no fully known shape: shapes not folded");
    }
  FoldReport report = fold_constants(graph, options);
  for (auto& w : report.warnings) context.warnings.push_back(std::move(w));
  bool changed = !report.folded.empty() || !report.removed.empty();
  for (Node* n : graph.nodes())
    if (n->op == "Const" && !n->control_inputs.empty()) {
      graph.set_control_inputs(*n, {});
      changed = true;
    }
  return changed;
}

}  // namespace

PassSpec opencv_fold_shapes() {
  return {"opencv_fold_shapes", "Fold shape arithmetic (Shape/StridedSlice/Pack/Prod...) into Const shapes", {}, run};
}

}  // namespace tfprod::passes
