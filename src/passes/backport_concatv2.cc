// backport_concatv2: rewrite ConcatV2 as the older Concat, for consumers
// that predate ConcatV2.
//
//   ConcatV2(v0, .., vN-1, axis; N, T, Tidx)   =>   Concat(axis, v0, .., vN-1; N, T)
//
// Same values: only the axis moves from last to first input. Concat's
// concat_dim is int32, so a ConcatV2 with Tidx int64 is left untouched (with
// a warning). Name, device, control inputs and other attrs are kept.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->op != "ConcatV2" || n->inputs.empty()) continue;
    if (const auto* t = n->attr("Tidx"); t && t->type() != tfprod::tf::DT_INT32) {
      context.warnings.push_back("backport_concatv2: '" + n->name() + "' left as is: its axis is " +
                                 dtype_name(t->type()) + ", Concat takes int32");
      continue;
    }
    Endpoint axis = n->inputs.back();
    graph.remove_input(*n, n->inputs.size() - 1);
    graph.insert_input(*n, 0, axis);
    n->op = "Concat";
    n->remove_attr("Tidx");
    n->set_attr("N").set_i(static_cast<int64_t>(n->inputs.size()) - 1);
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec backport_concatv2() {
  return {"backport_concatv2", "Rewrite ConcatV2 (axis last) as Concat (axis first)", {}, run};
}

}  // namespace tfprod::passes
