// opencv_reshape_layout: OpenCV keeps 4-D tensors NCHW internally and
// permutes back to TF's NHWC order before a Reshape only when it knows the
// input is NHWC, i.e. when some producer above carries data_format (a Conv2D,
// a pool, a BiasAdd). A Reshape straight after a 4-D placeholder (or after
// element-wise ops on one) flattens the NCHW buffer: wrong order.
//
//   x[1,H,W,C] -> Relu -> Reshape([1, H*W*C])      x -> Relu -> BiasAdd(zeros[C], data_format=NHWC) -> Reshape
//                                             =>
//
// The inserted BiasAdd adds exact zeros (TF's result is unchanged) and tells
// OpenCV's layout inference the tensor is NHWC, so its importer inserts the
// NCHW->NHWC permute itself. Only Reshapes of a rank-4 tensor to rank 2 or 3
// by a Const shape are touched (a 4-D -> 4-D Reshape keeps OpenCV's own
// heuristics).
// Preconditions: an NHWC graph (nothing with data_format NCHW) whose
// placeholders have fully known shapes (ranks are found by one evaluation on
// zero inputs); otherwise the graph is left unchanged with a warning.
#include <map>

#include "tfprod/tensor_values.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/eval.h"

namespace tfprod::passes {

namespace {

enum class Layout { kUnknown, kNhwc, kNchw };

// OpenCV 4.6's predictOutputDataLayout: a node's own data_format, else the
// one layout its inputs agree on.
std::map<const Node*, Layout> opencv_layouts(const Graph& graph) {
  std::map<const Node*, Layout> layout;
  for (const Node* n : graph.topological_order()) {
    Layout l = Layout::kUnknown;
    if (const auto* f = n->attr("data_format")) {
      l = f->s() == "NCHW" ? Layout::kNchw : f->s() == "NHWC" ? Layout::kNhwc : Layout::kUnknown;
    } else if (n->op != "Reshape") {
      for (const auto& in : n->inputs) {
        Layout li = layout[in.node];
        if (li == Layout::kUnknown) continue;
        if (l != Layout::kUnknown && l != li) { l = Layout::kUnknown; break; }
        l = li;
      }
    }
    layout[n] = l;
  }
  return layout;
}

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const Node* n : graph.nodes()) {
    if (const auto* f = n->attr("data_format"); f && f->s() == "NCHW") {
      context.warnings.push_back("an NCHW graph: Reshapes left as they are");
      return false;
    }
    if (n->op != "Placeholder") continue;
    const auto* s = n->attr("shape");
    if (!s || !s->has_shape() || s->shape().unknown_rank()) {
      context.warnings.push_back("placeholder '" + n->name() + "' has no known shape: Reshapes left as they are");
      return false;
    }
    Shape shape = shape_from_proto(s->shape());
    for (int64_t d : shape)
      if (d < 0) {
        context.warnings.push_back("placeholder '" + n->name() + "' has unknown dims: Reshapes left as they are");
        return false;
      }
    feeds.emplace_back(n->name(), eval::make_tensor(n->attr("dtype")->type(), shape));
  }
  std::vector<Node*> reshapes;
  std::vector<std::string> fetches;
  for (Node* n : graph.nodes())
    if (n->op == "Reshape" && n->inputs.size() == 2 && n->inputs[1].node->op == "Const") {
      int64_t rank = n->inputs[1].node->attr("value")->tensor().tensor_shape().dim_size() == 1
                         ? n->inputs[1].node->attr("value")->tensor().tensor_shape().dim(0).size()
                         : -1;
      if (rank != 2 && rank != 3) continue;
      reshapes.push_back(n);
      fetches.push_back(n->inputs[0].node->name() + ":" + std::to_string(n->inputs[0].index));
    }
  if (reshapes.empty()) return false;
  auto layouts = opencv_layouts(graph);
  std::vector<Tensor> values = Evaluator(graph).run(feeds, fetches);
  bool changed = false;
  for (std::size_t i = 0; i < reshapes.size(); ++i) {
    Node* r = reshapes[i];
    if (values[i].shape.size() != 4 || layouts[r->inputs[0].node] == Layout::kNhwc) continue;
    DataType dtype = values[i].dtype;
    Node& zeros = add_const(graph, r->name() + "/opencv_nhwc/zeros", eval::make_tensor(dtype, {values[i].shape[3]}));
    Node& bias = graph.add_node(r->name() + "/opencv_nhwc", "BiasAdd");
    graph.set_inputs(bias, {r->inputs[0], {&zeros, 0}});
    bias.set_attr("T").set_type(dtype);
    bias.set_attr("data_format").set_s("NHWC");
    graph.set_input(*r, 0, {&bias, 0});
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec opencv_reshape_layout() {
  return {"opencv_reshape_layout",
          "Mark 4-D tensors NHWC (a zero BiasAdd) before a Reshape to rank 2/3 where OpenCV cannot infer the layout",
          {}, run};
}

}  // namespace tfprod::passes
