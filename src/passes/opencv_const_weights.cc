// opencv_const_weights: OpenCV reads weights only from a Const that is the
// consuming op's direct input ("Const input blob for weights not found").
//
//   w:Const -> Identity(w/read) -> Conv2D          w:Const -> Conv2D
//   b:Const[half] -> Cast[half->float] -> BiasAdd  =>   b/Cast:Const[float] -> BiasAdd
//
// Every data input reached through a chain of Identity / Snapshot /
// StopGradient nodes (without control inputs) from a Const is rewired to
// that Const; a Cast whose input is (so reached) a Const becomes a Const
// holding the cast value. Nodes left unused are removed unless named in the
// inputs or outputs. Values are unchanged.
#include "tfprod/tensor_values.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

bool is_forward(const Node* n) {
  return (n->op == "Identity" || n->op == "Snapshot" || n->op == "StopGradient") && n->inputs.size() == 1 &&
         n->control_inputs.empty();
}

// The Const behind a chain of forwarding nodes, else `e` itself.
Endpoint through(Endpoint e) {
  Endpoint cur = e;
  for (int guard = 0; guard < 64 && is_forward(cur.node); ++guard) cur = cur.node->inputs[0];
  return cur.node->op == "Const" ? cur : e;
}

// A Cast of a Const (reached through forwarding nodes) becomes a Const.
bool fold_casts(Graph& graph) {
  bool changed = false;
  for (Node* n : graph.topological_order()) {
    if (n->op != "Cast" || n->inputs.size() != 1 || !n->attr("DstT")) continue;
    Endpoint src = through(n->inputs[0]);
    if (src.node->op != "Const" || !src.node->attr("value")) continue;
    Tensor t = eval::cast(tensor_from_proto(src.node->attr("value")->tensor(), src.node->name()),
                          n->attr("DstT")->type());
    make_const(graph, *n, std::move(t));
    changed = true;
  }
  return changed;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  bool changed = fold_casts(graph);
  for (Node* n : graph.nodes())
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      if (Endpoint e = through(n->inputs[i]); e != n->inputs[i]) {
        graph.set_input(*n, i, e);
        changed = true;
      }
  // Drop forwarding nodes and Consts nothing reads any more.
  auto removable = [](const Node& n) { return is_forward(&n) || n.op == "Const"; };
  std::vector<Node*> seeds;
  for (Node* n : graph.nodes())
    if (removable(*n)) seeds.push_back(n);
  const IoRefs io(context.inputs, context.outputs);
  changed |= erase_dead(graph, seeds, io.protected_names(), removable) > 0;
  return changed;
}

}  // namespace

PassSpec opencv_const_weights() {
  return {"opencv_const_weights",
          "Make weights direct Const inputs of their consumers (skip Identity chains, fold Cast of a Const)", {}, run,
          /*fixed_point=*/true};
}

}  // namespace tfprod::passes
