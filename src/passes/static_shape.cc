// static_shapes: evaluate on zeros to learn shapes (see static_shape.h).
#include "passes/static_shape.h"

#include <algorithm>
#include <set>

#include "tfprod/error.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/eval.h"
#include "tfprod/tensor_values.h"

namespace tfprod::passes {

std::optional<std::vector<Shape>> static_shapes(const Graph& graph, const std::vector<Endpoint>& tensors) {
  std::vector<const Node*> roots;
  std::vector<std::string> fetches;
  for (const Endpoint& e : tensors) {
    roots.push_back(e.node);
    fetches.push_back(e.index ? e.node->name() + ":" + std::to_string(e.index) : e.node->name());
  }
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const Node* a : ancestors(roots)) {
    if (!a->op.starts_with("Placeholder")) continue;
    const auto* s = a->attr("shape");
    const auto* t = a->attr("dtype");
    if (!s || !t || !s->has_shape() || s->shape().unknown_rank()) return std::nullopt;
    Shape shape = shape_from_proto(s->shape());
    if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; })) return std::nullopt;
    Tensor zeros = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
    feeds.emplace_back(a->name(), t->type() == tfprod::tf::DT_FLOAT ? std::move(zeros) : eval::cast(zeros, t->type()));
  }
  try {
    Evaluator evaluator(graph, {.tune_allocator = false});
    std::vector<Shape> out;
    for (const Tensor& t : evaluator.run(feeds, fetches)) out.push_back(t.shape);
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace tfprod::passes

namespace tfprod::passes {

Node& add_scalar_int_const(Graph& graph, std::string name, int32_t value) {
  Node& node = graph.add_node(std::move(name), "Const");
  node.set_attr("dtype").set_type(tfprod::tf::DT_INT32);
  auto* t = node.set_attr("value").mutable_tensor();
  t->set_dtype(tfprod::tf::DT_INT32);
  t->mutable_tensor_shape();
  t->add_int_val(value);
  return node;
}

}  // namespace tfprod::passes

namespace tfprod::passes {

bool part_of_l2_normalize(const Node& n) {
  auto sum_of_square = [](const Node& s) {
    return s.op == "Sum" && !s.inputs.empty() && s.inputs[0].node->op == "Square";
  };
  if (n.op == "Rsqrt") {  // Rsqrt(Sum(Square(x))), or of Maximum / Add (the epsilon) of it
    if (n.inputs.size() != 1) return false;
    const Node& in = *n.inputs[0].node;
    if (sum_of_square(in)) return true;
    if (in.op != "Maximum" && in.op != "Add" && in.op != "AddV2") return false;
    for (const auto& e : in.inputs)
      if (sum_of_square(*e.node)) return true;
    return false;
  }
  if (!sum_of_square(n)) return false;
  for (const Use& u : n.uses()) {
    if (u.node->op == "Rsqrt") return true;
    for (const Use& v : u.node->uses())
      if (v.node->op == "Rsqrt") return true;
  }
  return false;
}

std::unordered_set<const Node*> nhwc_layout_known(const Graph& graph) {
  static const std::set<std::string> nhwc = {"Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MaxPool",
                                             "AvgPool"};
  std::unordered_set<const Node*> known;
  try {
    for (const Node* n : graph.topological_order()) {
      bool k = nhwc.count(n->op) > 0;
      for (const auto& in : n->inputs) k = k || known.count(in.node);
      if (k) known.insert(n);
    }
  } catch (const Error&) {
    return {};
  }
  return known;
}

bool opencv_broadcasts(const std::string& op, const Shape& a, const Shape& b) {
  if (a == b) return true;
  auto channel_vector = [](const Shape& big, const Shape& small) {
    return big.size() == 4 && small.size() == 4 && small[0] == big[0] && small[1] == 1 && small[2] == 1 &&
           small[3] == big[3];
  };
  return (op == "Add" || op == "AddV2" || op == "Sub") && (channel_vector(a, b) || channel_vector(b, a));
}

bool part_of_prelu(const Node& neg) {
  // Keras' PReLU: Add(Relu(x), Mul(-alpha, Relu(Neg(x)))), in this input order (measured in OpenCV 4.6).
  auto single_use = [](const Node& n, const char* op, int input) -> const Node* {
    if (n.uses().size() != 1) return nullptr;
    const Use& u = n.uses()[0];
    return u.node->op == op && u.input_index == input ? u.node : nullptr;
  };
  if (neg.op != "Neg" || neg.inputs.size() != 1) return false;
  const Node* relu = single_use(neg, "Relu", 0);
  const Node* mul = relu ? single_use(*relu, "Mul", 1) : nullptr;
  if (!mul || mul->inputs.size() != 2) return false;
  const Node* alpha = mul->inputs[0].node;
  if (alpha->op == "Neg" && alpha->inputs.size() == 1) alpha = alpha->inputs[0].node;
  if (alpha->op != "Const") return false;
  const Node* add = nullptr;
  if (mul->uses().size() == 1 && mul->uses()[0].input_index == 1 &&
      (mul->uses()[0].node->op == "Add" || mul->uses()[0].node->op == "AddV2"))
    add = mul->uses()[0].node;
  if (!add || add->inputs.size() != 2) return false;
  const Endpoint pos = add->inputs[0];
  return pos.index == 0 && pos.node->op == "Relu" && pos.node->inputs.size() == 1 &&
         pos.node->inputs[0] == neg.inputs[0];
}

}  // namespace tfprod::passes
