// opencv_unary_ops: OpenCV 4.6's TF importer has no layer for a lone Neg or
// Rsqrt ("Can't create layer ... of type Neg"); it reads them only inside the
// patterns it fuses (PReLU, tf.nn.l2_normalize). Elsewhere they become ops it
// runs, with the same values:
//
//   y = Neg(x)     =>   y = Mul(x, -1)                 (exact)
//   y = Rsqrt(x)   =>   y = Reciprocal(y/sqrt = Sqrt(x))   (1 / sqrt(x), as TF's kernel)
//
// Float and half tensors only (what OpenCV computes); the fused patterns and
// Negs of constants (folded elsewhere) are left alone.
#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/rewrite.h"

namespace tfprod::passes {

namespace {

bool float_or_half(const Node& n) {
  const auto* t = n.attr("T");
  return t && (t->type() == tfprod::tf::DT_FLOAT || t->type() == tfprod::tf::DT_HALF);
}

// A 0-D Const of -1 in `dtype`, written as TF writes small constants (float_val / half_val).
Node& minus_one(Graph& graph, const std::string& name, DataType dtype) {
  Node& c = graph.add_node(unique_name(graph, name), "Const");
  c.set_attr("dtype").set_type(dtype);
  auto* t = c.set_attr("value").mutable_tensor();
  t->set_dtype(dtype);
  t->mutable_tensor_shape();
  if (dtype == tfprod::tf::DT_HALF)
    t->add_half_val(0xBC00);  // -1.0 in IEEE half
  else
    t->add_float_val(-1.0f);
  return c;
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->inputs.size() != 1 || !float_or_half(*n) || n->inputs[0].node->op == "Const") continue;
    const DataType dtype = n->attr("T")->type();
    if (n->op == "Neg" && !part_of_prelu(*n)) {
      Node& c = minus_one(graph, n->name() + "/minus_one", dtype);
      n->op = "Mul";
      graph.add_input(*n, {&c, 0});
      changed = true;
    } else if (n->op == "Rsqrt" && !part_of_l2_normalize(*n)) {
      Node& sqrt = graph.add_node(unique_name(graph, n->name() + "/sqrt"), "Sqrt");
      sqrt.set_attr("T").set_type(dtype);
      graph.add_input(sqrt, n->inputs[0]);
      graph.set_input(*n, 0, {&sqrt, 0});
      n->op = "Reciprocal";
      changed = true;
    }
  }
  return changed;
}

}  // namespace

PassSpec opencv_unary_ops() {
  return {"opencv_unary_ops",
          "Neg -> Mul by -1 and Rsqrt -> Reciprocal(Sqrt), ops OpenCV 4.6 runs (not inside the PReLU and "
          "l2_normalize patterns it fuses)",
          {},
          run};
}

}  // namespace tfprod::passes
