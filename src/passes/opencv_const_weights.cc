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
#include <unordered_set>

#include "eval/tensor_util.h"
#include "passes/passes.h"
#include "tensorflow/core/framework/tensor.pb.h"

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

void run(Graph& graph, const PassOptions&, PassContext& context) {
  for (Node* n : graph.topological_order()) {
    if (n->op != "Cast" || n->inputs.size() != 1 || !n->attr("DstT")) continue;
    Endpoint src = through(n->inputs[0]);
    if (src.node->op != "Const" || !src.node->attr("value")) continue;
    Tensor t = eval::cast(tensor_from_proto(src.node->attr("value")->tensor(), src.node->name()),
                          n->attr("DstT")->type());
    tensorflow::DataType dtype = n->attr("DstT")->type();
    n->op = "Const";
    n->inputs.clear();
    n->control_inputs.clear();
    n->attrs().Clear();
    n->set_attr("dtype").set_type(dtype);
    tensor_to_proto(std::move(t), n->set_attr("value").mutable_tensor());
  }
  for (Node* n : graph.nodes())
    for (auto& in : n->inputs) in = through(in);

  std::unordered_set<std::string> keep;
  for (const auto& s : context.inputs) keep.insert(TensorRef::parse(s).node);
  for (const auto& s : context.outputs) keep.insert(TensorRef::parse(s).node);
  // Drop forwarding nodes and Consts nothing reads any more, repeatedly.
  for (bool changed = true; changed;) {
    auto uses = graph.uses();
    std::size_t before = graph.size();
    graph.remove_nodes([&](const Node& n) {
      return (is_forward(&n) || n.op == "Const") && !keep.count(n.name()) && uses[&n].empty();
    });
    changed = graph.size() != before;
  }
}

}  // namespace

PassSpec opencv_const_weights() {
  return {"opencv_const_weights",
          "Make weights direct Const inputs of their consumers (skip Identity chains, fold Cast of a Const)", {}, run};
}

}  // namespace tfprod::passes
