// strip_unused_nodes, fold_constants (as a transform) and
// sort_by_execution_order: structure and numbers.
#include <gtest/gtest.h>

#include "transform_test_support.h"
#include "tfprod/error.h"
#include "tfprod/transform.h"

namespace tfprod {
namespace {

using test::graph_text;

const char* kNet = R"(
node { name: "it" op: "IteratorGetNext" attr { key: "output_types" value { list { type: DT_FLOAT type: DT_INT32 } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } dim { size: 2 } } float_val: 0.5 float_val: -1 float_val: 2 float_val: 1 float_val: 0 float_val: 3 } } } }
node { name: "w/read" op: "Identity" input: "w" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "mm" op: "MatMul" input: "it" input: "w/read" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "shape" op: "Shape" input: "mm" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2 } } } }
node { name: "fill" op: "Fill" input: "shape" input: "two" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "out" op: "Mul" input: "mm" input: "fill" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "loss" op: "Sum" input: "it:1" input: "dim" attr { key: "T" value { type: DT_INT32 } } }
node { name: "dim" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
)";

TEST(TransformBasic, StripFoldSortOnASmallNet) {
  Graph g = test::parse_graph(kNet);
  Graph cut = test::apply_transforms(g, "strip_unused_nodes(type=float, shape=\"4,3\")", {"it"}, {"out"});
  EXPECT_EQ(graph_text(cut),
            "it = Placeholder()\n"
            "w = Const[DT_FLOAT [3,2]]()\n"
            "w/read = Identity(w)\n"
            "mm = MatMul(it, w/read)\n"
            "shape = Shape(mm)\n"
            "two = Const[DT_FLOAT []]()\n"
            "fill = Fill(shape, two)\n"
            "out = Mul(mm, fill)\n");
  Graph folded = test::apply_transforms(cut, "fold_constants sort_by_execution_order", {"it"}, {"out"});
  EXPECT_EQ(graph_text(folded),
            "it = Placeholder()\n"
            "w/read = Const[DT_FLOAT [3,2]]()\n"
            "fill = Const[DT_FLOAT [4,2]]()\n"
            "mm = MatMul(it, w/read)\n"
            "out = Mul(mm, fill)\n");
  auto feeds = test::random_feeds(cut, {"out"});
  test::expect_same_outputs(cut, folded, {"out"}, feeds);
}

TEST(TransformBasic, StripAtASecondOutputAndRefusesUnlistedPorts) {
  Graph g = test::parse_graph(kNet);
  Graph cut = test::apply_transforms(g, "strip_unused_nodes(name=it, type_for_name=int32, shape_for_name=\"5\")",
                                     {"it:1"}, {"loss"});
  EXPECT_EQ(graph_text(cut), "loss = Sum(it_1, dim)\ndim = Const[DT_INT32 []]()\nit_1 = Placeholder()\n");
  EXPECT_THROW(test::apply_transforms(g, "strip_unused_nodes", {"it"}, {"loss"}), Error);
}

TEST(TransformBasic, SortPutsProducersFirst) {
  Graph g = test::parse_graph(kNet);
  Graph sorted = test::apply_transforms(g, "sort_by_execution_order", {}, {"out", "loss"});
  auto order = sorted.nodes();
  auto pos = [&](const char* n) { return std::find(order.begin(), order.end(), sorted.find(n)) - order.begin(); };
  EXPECT_LT(pos("dim"), pos("loss"));
  EXPECT_LT(pos("w"), pos("w/read"));
  EXPECT_EQ(sorted.size(), g.size());
}

}  // namespace
}  // namespace tfprod

namespace tfprod {
namespace {

// A pass that removes one Identity per run: with fixed_point the pipeline
// runs it until the graph stops changing.
TEST(TransformPipeline, FixedPointPassesRunUntilNothingChanges) {
  Graph g = test::parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "a" op: "Identity" input: "x" }
node { name: "b" op: "Identity" input: "a" }
node { name: "c" op: "Identity" input: "b" }
node { name: "out" op: "Neg" input: "c" })");
  PassSpec one_at_a_time{"peel_identity", "test", {}, [](Graph& graph, const PassOptions&, PassContext&) {
                           for (Node* n : graph.nodes()) {
                             if (n->op != "Neg" || n->inputs[0].node->op != "Identity") continue;
                             Node* id = n->inputs[0].node;
                             graph.set_input(*n, 0, id->inputs[0]);
                             graph.remove_nodes([&](const Node& m) { return &m == id; });
                             return true;
                           }
                           return false;
                         }};
  PassContext context{{"x"}, {"out"}, {}};
  std::vector<PipelineStep> steps(1);
  steps[0].pass = &one_at_a_time;
  Graph once = Graph::from_graphdef(g.to_graphdef(), "g");
  run_pipeline(once, steps, context);
  EXPECT_EQ(once.size(), 4u) << "one run peels one Identity";
  one_at_a_time.fixed_point = true;
  run_pipeline(g, steps, context);
  EXPECT_EQ(test::graph_text(g), "x = Placeholder()\nout = Neg(x)\n");
  EXPECT_TRUE(context.warnings.empty());
}

// A fixed-point pass is driven by its changed flag: it runs until it says
// nothing changed, a warning it repeats on every run is given once, and one
// that never settles is cut off with a warning.
TEST(TransformPipeline, FixedPointFollowsTheChangedFlagAndWarnsOnce) {
  Graph g = test::parse_graph(R"(node { name: "x" op: "Placeholder" })");
  int runs = 0;
  PassSpec twice{"twice", "test", {}, [&](Graph&, const PassOptions&, PassContext& c) {
                   c.warnings.push_back("same every run");
                   return ++runs < 3;  // changed, changed, settled
                 }};
  twice.fixed_point = true;
  std::vector<PipelineStep> steps(1);
  steps[0].pass = &twice;
  PassContext context{{"x"}, {"x"}, {}};
  run_pipeline(g, steps, context);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(context.warnings, std::vector<std::string>{"same every run"});

  PassSpec forever{"forever", "test", {}, [&](Graph&, const PassOptions&, PassContext&) { return ++runs > 0; }};
  forever.fixed_point = true;
  steps[0].pass = &forever;
  runs = 0;
  PassContext again{{"x"}, {"x"}, {}};
  run_pipeline(g, steps, again);
  EXPECT_EQ(runs, kMaxIterations);
  ASSERT_EQ(again.warnings.size(), 1u);
  EXPECT_NE(again.warnings[0].find("still changed the graph"), std::string::npos);
}

}  // namespace
}  // namespace tfprod
