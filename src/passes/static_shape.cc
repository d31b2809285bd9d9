// static_shapes: evaluate on zeros to learn shapes (see static_shape.h).
#include "passes/static_shape.h"

#include <algorithm>

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
  if (n.op != "Sum" || n.inputs.empty() || n.inputs[0].node->op != "Square") return false;
  for (const Use& u : n.uses()) {
    if (u.node->op == "Rsqrt") return true;
    for (const Use& v : u.node->uses())
      if (v.node->op == "Rsqrt") return true;
  }
  return false;
}

}  // namespace tfprod::passes
