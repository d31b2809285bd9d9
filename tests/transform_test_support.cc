#include "transform_test_support.h"

#include <google/protobuf/text_format.h>

#include <cmath>
#include <map>
#include <random>

#include "tfprod/tensor_values.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/eval.h"
#include "tfprod/transform.h"

namespace tfprod::test {

Graph parse_graph(const std::string& pbtxt) {
  tfprod::tf::GraphDef def;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(pbtxt, &def)) << "bad test graph";
  return Graph::from_graphdef(def, "test.pbtxt");
}

std::string graph_text(const Graph& graph) {
  std::string out;
  for (const Node* n : graph.nodes()) {
    out += n->name() + " = " + n->op;
    if (n->op == "Const")
      if (const auto* v = n->attr("value"); v && v->has_tensor())
        out += "[" + dtype_name(v->tensor().dtype()) + " " + shape_string(shape_from_proto(v->tensor().tensor_shape())) + "]";
    out += "(";
    std::vector<std::string> ins;
    for (const auto& in : n->inputs) ins.push_back(TensorRef{in.node->name(), in.index, false}.str());
    for (const Node* c : n->control_inputs) ins.push_back("^" + c->name());
    for (std::size_t i = 0; i < ins.size(); ++i) out += (i ? ", " : "") + ins[i];
    out += ")\n";
  }
  return out;
}

Graph apply_transforms(const Graph& graph, const std::string& transforms, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs) {
  Graph g = Graph::from_graphdef(graph.to_graphdef(), graph.source());
  PassContext context{inputs, outputs, {}};
  run_pipeline(g, build_pipeline(parse_transforms(transforms)), context);
  return g;
}

std::vector<std::pair<std::string, Tensor>> random_feeds(const Graph& graph, const std::vector<std::string>& outputs,
                                                         uint64_t seed, const std::map<std::string, Shape>& shapes) {
  std::vector<const Node*> roots;
  for (const auto& o : outputs) roots.push_back(graph.find(TensorRef::parse(o).node));
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<std::pair<std::string, Tensor>> feeds;
  std::vector<const Node*> placeholders;
  for (const Node* n : ancestors(roots))
    if (n->op == "Placeholder") placeholders.push_back(n);
  std::sort(placeholders.begin(), placeholders.end(), [](const Node* a, const Node* b) { return a->name() < b->name(); });
  for (const Node* n : placeholders) {
    Shape shape;
    if (auto it = shapes.find(n->name()); it != shapes.end()) {
      shape = it->second;
    } else {
      const auto* s = n->attr("shape");
      EXPECT_TRUE(s && s->has_shape() && !s->shape().unknown_rank()) << n->name() << ": give its shape";
      if (s) shape = shape_from_proto(s->shape());
      for (int64_t& d : shape)
        if (d < 0) d = 2;
    }
    const DataType dtype = n->attr("dtype") ? n->attr("dtype")->type() : tfprod::tf::DT_FLOAT;
    Tensor f = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
    for (float& v : eval::values<float>(f)) v = normal(rng);
    if (dtype == tfprod::tf::DT_BOOL) {
      feeds.emplace_back(n->name(), eval::make_tensor(tfprod::tf::DT_BOOL, shape));
    } else if (dtype == tfprod::tf::DT_INT32 || dtype == tfprod::tf::DT_INT64) {
      for (float& v : eval::values<float>(f)) v = static_cast<float>(static_cast<int>(std::fabs(v) * 2) % 4);
      feeds.emplace_back(n->name(), eval::cast(f, dtype));
    } else {
      feeds.emplace_back(n->name(), eval::cast(f, dtype));
    }
  }
  return feeds;
}

void expect_same_outputs(const Graph& before, const Graph& after, const std::vector<std::string>& outputs,
                         const std::vector<std::pair<std::string, Tensor>>& feeds, double tol) {
  Evaluator eb(before), ea(after);
  auto want = eb.run(feeds, outputs);
  auto got = ea.run(feeds, outputs);
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(outputs[i]);
    ASSERT_EQ(want[i].shape, got[i].shape);
    Tensor w = eval::cast(want[i], tfprod::tf::DT_DOUBLE), g = eval::cast(got[i], tfprod::tf::DT_DOUBLE);
    double magnitude = 1, err = 0;
    for (double v : eval::values<double>(w)) magnitude = std::max(magnitude, std::fabs(v));
    auto wv = eval::values<double>(w), gv = eval::values<double>(g);
    for (std::size_t k = 0; k < wv.size(); ++k) err = std::max(err, std::fabs(wv[k] - gv[k]));
    EXPECT_LE(err, tol * magnitude) << "outputs differ after the transform";
  }
}

}  // namespace tfprod::test
