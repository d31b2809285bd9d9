// Graph::clone shares attribute storage copy-on-write: a snapshot of a graph
// with large weights copies no weight bytes, writes after it leave it as it
// was, and the pipeline's rollback (which restores such a snapshot) gives back
// the graph exactly, weights included, without copying them.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"

namespace tfprod {
namespace {

constexpr int kRows = 4, kCols = 1 << 18;  // 4 MiB of float weights

// x:[1,4] -> MatMul(x, w) -> Softmax "out"; w a Const holding kRows*kCols floats.
Graph matmul_graph() {
  tfprod::tf::GraphDef def;
  auto* x = def.add_node();
  x->set_name("x");
  x->set_op("Placeholder");
  auto* xa = x->add_attr();
  xa->set_key("dtype");
  xa->mutable_value()->set_type(tfprod::tf::DT_FLOAT);
  auto* xs = x->add_attr();
  xs->set_key("shape");
  xs->mutable_value()->mutable_shape()->add_dim()->set_size(1);
  xs->mutable_value()->mutable_shape()->add_dim()->set_size(kRows);
  auto* w = def.add_node();
  w->set_name("w");
  w->set_op("Const");
  auto* wd = w->add_attr();
  wd->set_key("dtype");
  wd->mutable_value()->set_type(tfprod::tf::DT_FLOAT);
  auto* wv = w->add_attr();
  wv->set_key("value");
  auto* t = wv->mutable_value()->mutable_tensor();
  t->set_dtype(tfprod::tf::DT_FLOAT);
  t->mutable_tensor_shape()->add_dim()->set_size(kRows);
  t->mutable_tensor_shape()->add_dim()->set_size(kCols);
  std::string bytes(sizeof(float) * kRows * kCols, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  t->set_tensor_content(std::move(bytes));
  auto* mm = def.add_node();
  mm->set_name("mm");
  mm->set_op("MatMul");
  mm->add_input("x");
  mm->add_input("w");
  auto* mt = mm->add_attr();
  mt->set_key("T");
  mt->mutable_value()->set_type(tfprod::tf::DT_FLOAT);
  auto* out = def.add_node();
  out->set_name("out");
  out->set_op("Softmax");
  out->add_input("mm");
  out->add_input("^x");
  auto* ot = out->add_attr();
  ot->set_key("T");
  ot->mutable_value()->set_type(tfprod::tf::DT_FLOAT);
  def.mutable_versions()->set_producer(38);
  return Graph::from_graphdef(std::move(def), "matmul");
}

// Where a Const's weight bytes live (read without writing).
const char* payload(const Graph& g, const char* name) {
  return std::as_const(*g.find(name)).attr("value")->tensor().tensor_content().data();
}

TEST(GraphSnapshot, CloneSharesWeightsAndRemapsEdges) {
  Graph g = matmul_graph();
  Graph snap = g.clone();
  EXPECT_EQ(serialize(snap.to_graphdef()), serialize(g.to_graphdef()));
  EXPECT_EQ(snap.source(), "matmul");
  EXPECT_TRUE(snap.find("w")->shares_attrs_with(*g.find("w")));
  EXPECT_EQ(payload(snap, "w"), payload(g, "w")) << "the 4 MiB tensor is not copied";
  // The clone's edges point at the clone's nodes.
  const Node* mm = snap.find("mm");
  ASSERT_EQ(mm->inputs.size(), 2u);
  EXPECT_EQ(mm->inputs[0].node, snap.find("x"));
  EXPECT_EQ(mm->inputs[1].node, snap.find("w"));
  ASSERT_EQ(snap.find("out")->control_inputs.size(), 1u);
  EXPECT_EQ(snap.find("out")->control_inputs[0], snap.find("x"));
  EXPECT_NE(snap.find("x"), g.find("x"));
  validate(snap);
}

TEST(GraphSnapshot, WritesAfterTheCloneLeaveItUnchanged) {
  Graph g = matmul_graph();
  const std::string before = serialize(g.to_graphdef());
  Graph snap = g.clone();
  const char* shared = payload(g, "w");

  g.find("w")->set_attr("value").mutable_tensor()->set_tensor_content(std::string(16, 'x'));
  g.find("mm")->set_attr("transpose_a").set_b(true);
  g.find("out")->remove_attr("T");
  g.find("x")->attrs().Clear();
  g.find("mm")->op = "BatchMatMul";
  g.rename(*g.find("out"), "renamed");
  g.set_control_inputs(*g.find("renamed"), {});
  g.add_node("extra", "NoOp");

  EXPECT_EQ(serialize(snap.to_graphdef()), before);
  EXPECT_EQ(payload(snap, "w"), shared) << "the snapshot kept the original bytes in place";
  EXPECT_NE(payload(g, "w"), shared);
  EXPECT_FALSE(snap.find("w")->shares_attrs_with(*g.find("w")));
  EXPECT_EQ(std::as_const(*g.find("w")).attr("value")->tensor().tensor_content(), std::string(16, 'x'));
  // Writing to the clone leaves the original alone too.
  Graph g2 = matmul_graph();
  Graph snap2 = g2.clone();
  snap2.find("w")->remove_attr("value");
  EXPECT_NE(g2.find("w")->attr("value"), nullptr);
}

TEST(GraphSnapshot, ResetAttrGivesAnEmptyValueInPlaceAndLeavesTheCloneWhole) {
  Graph g = matmul_graph();
  Graph snap = g.clone();
  const std::string before = serialize(snap.to_graphdef());
  const char* shared = payload(g, "w");
  tfprod::tf::AttrValue& v = g.find("w")->reset_attr("value");
  EXPECT_FALSE(v.has_tensor()) << "the old value is not carried over";
  v.mutable_tensor()->set_dtype(tfprod::tf::DT_HALF);
  const Node& w = *g.find("w");
  ASSERT_EQ(w.attrs().size(), 2);
  EXPECT_EQ(w.attrs().Get(0).key(), "dtype");
  EXPECT_EQ(w.attrs().Get(0).value().type(), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(w.attrs().Get(1).key(), "value") << "kept in its place";
  EXPECT_EQ(w.attr("value")->tensor().dtype(), tfprod::tf::DT_HALF);
  EXPECT_FALSE(snap.find("w")->shares_attrs_with(w));
  EXPECT_EQ(serialize(snap.to_graphdef()), before);
  EXPECT_EQ(payload(snap, "w"), shared);
  // Unshared storage is reset in place; an absent key is added at the end.
  g.find("w")->reset_attr("value").set_i(3);
  EXPECT_EQ(g.find("w")->attr("value")->i(), 3);
  g.find("w")->reset_attr("_extra").set_b(true);
  ASSERT_EQ(g.find("w")->attrs().size(), 3);
  EXPECT_EQ(g.find("w")->attrs().Get(2).key(), "_extra");
}

TEST(GraphSnapshot, ReadingThroughConstNodesDoesNotCopy) {
  Graph g = matmul_graph();
  Graph snap = g.clone();
  const Node& w = *g.find("w");
  EXPECT_EQ(w.attrs().size(), 2);
  EXPECT_NE(w.attr("value"), nullptr);
  EXPECT_FALSE(g.find("w")->remove_attr("absent")) << "removing nothing writes nothing";
  EXPECT_TRUE(snap.find("w")->shares_attrs_with(w));
}

TEST(GraphSnapshot, ReleaseOfASharedGraphLeavesTheCloneWhole) {
  Graph g = matmul_graph();
  Graph snap = g.clone();
  const std::string before = serialize(snap.to_graphdef());
  tfprod::tf::GraphDef def = std::move(g).release_graphdef();
  EXPECT_EQ(serialize(def), before);
  EXPECT_EQ(serialize(snap.to_graphdef()), before);
}

// A pass that rewrites weights, names, edges and nodes, then fails.
PassSpec failing_pass() {
  return {"scribble_then_fail", "test", {}, [](Graph& graph, const PassOptions&, PassContext&) -> bool {
            graph.find("w")->set_attr("value").mutable_tensor()->mutable_tensor_content()->assign(8, '\x01');
            graph.set_input(*graph.find("mm"), 0, {graph.find("w"), 0});
            graph.set_control_inputs(*graph.find("out"), {});
            graph.rename(*graph.find("x"), "x_renamed");
            graph.add_node("junk", "NoOp");
            graph.rest().mutable_versions()->set_producer(1);
            fail("scribbled");
          }};
}

TEST(GraphSnapshot, RollbackAfterAFailingPassRestoresTheGraphExactly) {
  const PassSpec pass = failing_pass();
  std::vector<PipelineStep> steps(1);
  steps[0].pass = &pass;

  Graph g = matmul_graph();
  const std::string before = serialize(g.to_graphdef());
  const char* weights = payload(g, "w");
  PassContext context{{"x"}, {"out"}, {}};
  EXPECT_THROW(run_pipeline(g, steps, context), Error);
  EXPECT_EQ(serialize(g.to_graphdef()), before);
  EXPECT_EQ(payload(g, "w"), weights) << "rollback restored the weights without copying them";
  validate(g);

  steps[0].ignore_errors = true;
  auto results = run_pipeline(g, steps, context);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(serialize(g.to_graphdef()), before);
  EXPECT_EQ(payload(g, "w"), weights);
  EXPECT_EQ(g.find("x_renamed"), nullptr);
  EXPECT_EQ(g.find("junk"), nullptr);
  EXPECT_EQ(g.find("mm")->inputs[0].node, g.find("x")) << "edges point into the restored graph";
  EXPECT_EQ(context.warnings.size(), 1u);
}

// A pass that adds one NoOp named after the count of nodes, and warns.
PassSpec adding_pass() {
  return {"add_marker", "test", {}, [](Graph& graph, const PassOptions&, PassContext& context) -> bool {
            graph.add_node("marker_" + std::to_string(graph.size()), "NoOp");
            context.warnings.push_back("added a marker");
            return true;
          }};
}

// Undoing a failed step replays the steps done before it, across calls
// that share a history: the graph and context are those after the last
// step that succeeded, the weights still not copied.
TEST(GraphSnapshot, RollbackReplaysTheStepsDoneSinceTheHistoryBegan) {
  const PassSpec add = adding_pass(), scribble = failing_pass();
  PipelineStep add_step, fail_step;
  add_step.pass = &add;
  fail_step.pass = &scribble;
  fail_step.ignore_errors = true;

  Graph g = matmul_graph();
  const char* weights = payload(g, "w");
  PassContext context{{"x"}, {"out"}, {}};
  PipelineHistory history;
  PipelineOptions options;
  options.history = &history;
  run_pipeline(g, {add_step}, context, options);
  run_pipeline(g, {add_step}, context, options);
  const std::string after_two = serialize(g.to_graphdef());
  ASSERT_NE(g.find("marker_4"), nullptr);
  ASSERT_NE(g.find("marker_5"), nullptr);
  EXPECT_EQ(history.steps_done(), 2u);

  auto results = run_pipeline(g, {fail_step, add_step}, context, options);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[1].ok);
  EXPECT_EQ(history.steps_done(), 3u) << "the failed step is not replayed";
  EXPECT_NE(g.find("marker_6"), nullptr) << "the step after the failed one ran on the restored graph";
  EXPECT_EQ(g.find("junk"), nullptr);
  EXPECT_EQ(g.find("x_renamed"), nullptr);
  EXPECT_EQ(payload(g, "w"), weights) << "replay restored the weights without copying them";
  EXPECT_EQ(g.find("mm")->inputs[0].node, g.find("x"));
  validate(g);
  // Warnings: three markers (the replayed ones said once each) and the skip.
  EXPECT_EQ(std::count(context.warnings.begin(), context.warnings.end(), "added a marker"), 3);
  EXPECT_EQ(context.warnings.size(), 4u);

  // Without ignore_errors the graph is left as after the last good step.
  fail_step.ignore_errors = false;
  Graph h = matmul_graph();
  PassContext c2{{"x"}, {"out"}, {}};
  PipelineHistory h2;
  PipelineOptions o2;
  o2.history = &h2;
  run_pipeline(h, {add_step, add_step}, c2, o2);
  EXPECT_THROW(run_pipeline(h, {fail_step}, c2, o2), Error);
  EXPECT_EQ(serialize(h.to_graphdef()), after_two);
}

// A pass that does not give the same result when run again cannot be undone
// by replay: the error says so instead of going on with another graph.
TEST(GraphSnapshot, ReplayOfAPassThatFailsTheSecondTimeIsAnError) {
  int calls = 0;
  const PassSpec flaky{"flaky", "test", {}, [&](Graph& graph, const PassOptions&, PassContext&) -> bool {
                         if (++calls > 1) fail("not this time");
                         graph.add_node("once", "NoOp");
                         return true;
                       }};
  const PassSpec scribble = failing_pass();
  PipelineStep flaky_step, fail_step;
  flaky_step.pass = &flaky;
  fail_step.pass = &scribble;
  fail_step.ignore_errors = true;
  Graph g = matmul_graph();
  PassContext context{{"x"}, {"out"}, {}};
  try {
    run_pipeline(g, {flaky_step, fail_step}, context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transform 'flaky', which succeeded before, failed when run again"),
              std::string::npos)
        << e.what();
  }
}

// The inference cleanup and OpenCV presets leave weights they do not change
// where they were: no step's snapshot made a pass copy a Const it only read.
TEST(GraphSnapshot, CleanupAndOpenCvPresetsCopyNoWeightTheyKeep) {
  Graph g = matmul_graph();
  const char* weights = payload(g, "w");
  PassContext context{{"x"}, {"out"}, {}};
  for (Preset p : {Preset::kInferenceCleanup, Preset::kOpenCv})
    for (const std::string& call : preset_calls(p)) {
      run_pipeline(g, build_pipeline(parse_transforms(call)), context);
      ASSERT_NE(g.find("w"), nullptr) << call;
      ASSERT_EQ(g.find("mm")->inputs[1].node, g.find("w")) << call;
      EXPECT_EQ(payload(g, "w"), weights) << "after " << call;
    }
}

// The same for the whole export presets, whose last steps reorder the graph
// (sort_by_execution_order, opencv_pattern_order): in place, no weight copied.
TEST(GraphSnapshot, ExportPresetsCopyNoWeightTheyKeep) {
  for (Preset p : {Preset::kExport, Preset::kOnnxExport}) {
    Graph g = matmul_graph();
    g.reorder({g.find("w"), g.find("x"), g.find("mm"), g.find("out")});  // the Const ahead of the input
    const char* weights = payload(g, "w");
    PassContext context{{"x"}, {"out"}, {}};
    for (const std::string& call : preset_calls(p)) {
      run_pipeline(g, build_pipeline(parse_transforms(call)), context);
      ASSERT_NE(g.find("w"), nullptr) << call;
      EXPECT_EQ(payload(g, "w"), weights) << "after " << call;
    }
    if (p == Preset::kExport) {
      // opencv_pattern_order moved the Const to just before its reader.
      const auto nodes = g.nodes();
      const auto at = [&](const char* name) { return std::find(nodes.begin(), nodes.end(), g.find(name)) - nodes.begin(); };
      EXPECT_EQ(at("w") + 1, at("mm"));
      EXPECT_LT(at("x"), at("w"));
    }
  }
}

}  // namespace
}  // namespace tfprod
