// opencv_div_to_realdiv: OpenCV 4.6's TF importer knows RealDiv, not Div.
// On floating-point tensors Div is RealDiv (TF's Div is integer division
// only on integers), so the op is renamed; integer Divs are left alone.
//
//   y = Div(x, s) [T=float]   =>   y = RealDiv(x, s) [T=float]
//
// Values are unchanged.
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool floating(const Node& n) {
  const auto* t = n.attr("T");
  if (!t) return false;
  const auto type = t->type();
  return type == tfprod::tf::DT_FLOAT || type == tfprod::tf::DT_HALF || type == tfprod::tf::DT_DOUBLE ||
         type == tfprod::tf::DT_BFLOAT16;
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes())
    if (n->op == "Div" && floating(*n)) {
      n->op = "RealDiv";
      changed = true;
    }
  return changed;
}

}  // namespace

PassSpec opencv_div_to_realdiv() {
  return {"opencv_div_to_realdiv", "Rename a floating-point Div to RealDiv (the op OpenCV 4.6 knows)", {}, run};
}

}  // namespace tfprod::passes
