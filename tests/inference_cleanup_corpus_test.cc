// The inference cleanup on real graphs: every dropout and tf.cond of the
// corpus goes, and the outputs equal the training graph evaluated with
// dropout inactive (rate = 0 / keep_prob = 1) and the flag at its value.
#include <gtest/gtest.h>

#include "inference_cleanup_support.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/eval.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Graph load_graph(const fs::path& path) {
  ModelFile f = load_model_file(path);
  return Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), path.string());
}

Graph freeze_case(const std::string& dir, const std::string& output) {
  ModelSource src = open_model_source(test::corpus_dir() / dir);
  auto reader = open_checkpoint(*src.checkpoint);
  return freeze(Graph::from_graphdef(src.meta.graph_def(), src.graph_path.string()), *reader, {.outputs = {output}});
}

Graph with_values(const Graph& g, const std::vector<std::pair<std::string, double>>& values) {
  Graph copy = Graph::from_graphdef(g.to_graphdef(), g.source());
  for (const auto& [name, v] : values) test::fix_value(copy, name, v);
  return copy;
}

// Removes dropout, checks none is left and the numbers against `inactive`.
void check_dropout_removed(const Graph& frozen, const std::string& output,
                           const std::vector<std::pair<std::string, double>>& inactive,
                           const std::map<std::string, Shape>& shapes = {}) {
  ASSERT_GT(test::count_op(frozen, "RandomUniform"), 0);
  Graph after = test::apply_transforms(frozen, "remove_dropout", {}, {output});
  EXPECT_EQ(test::count_op(after, "RandomUniform"), 0);
  EXPECT_EQ(test::count_op(after, "Floor") + test::count_op(after, "GreaterEqual"), 0);
  auto feeds = test::random_feeds(after, {output}, 1, shapes);
  test::expect_same_outputs(with_values(frozen, inactive), after, {output}, feeds);
}

TEST(InferenceCleanupCorpus, AnprFreezeLosesItsDropout) {
  TFPROD_REQUIRE_CORPUS();
  Graph frozen = freeze_case("anpr_estimator", "softmax_tensor");
  // The iterator's output becomes a half placeholder, as the seed's strip_unused_nodes does.
  Graph cut = test::apply_transforms(frozen, "strip_unused_nodes(type=half, shape=\"1,20,20,1\")", {"IteratorGetNext"},
                                     {"softmax_tensor"});
  check_dropout_removed(cut, "softmax_tensor", {{"dropout/dropout/rate", 0}});
}

TEST(InferenceCleanupCorpus, AnprTfFrozenGraphsLoseTheirDropout) {
  TFPROD_REQUIRE_CORPUS();
  for (const char* file : {"frozen_cut_graph.pb", "frozen_cut_graph_opt.pb"}) {
    SCOPED_TRACE(file);
    Graph g = load_graph(test::corpus_dir() / "anpr_estimator" / file);
    // optimize_for_inference declared the input float (its placeholder_type_enum default) in front of
    // half weights; declare it half to evaluate the graph at all.
    g.find("IteratorGetNext")->set_attr("dtype").set_type(tfprod::tf::DT_HALF);
    check_dropout_removed(g, "softmax_tensor", {{"dropout/dropout/rate", 0}}, {{"IteratorGetNext", {1, 20, 20, 1}}});
  }
}

TEST(InferenceCleanupCorpus, BakedInRatesOfBnDropoutSaver) {
  TFPROD_REQUIRE_CORPUS();
  Graph frozen = freeze_case("bn_dropout_saver_tf113", "Add_1");
  EXPECT_EQ(test::count_op(frozen, "RandomUniform"), 3);
  check_dropout_removed(frozen, "Add_1", {{"dropout/rate", 0}, {"dropout_1/rate", 0}, {"dropout_2/rate", 0}});
}

TEST(InferenceCleanupCorpus, KeepProbPlaceholderOfRecurrentNets) {
  TFPROD_REQUIRE_CORPUS();
  for (const char* net : {"gru", "lstm"}) {
    SCOPED_TRACE(net);
    Graph g = load_graph(test::corpus_dir() / "tf2onnx_frozen_graphs" / net / "frozen.pb");
    check_dropout_removed(g, "output", {{"keep_prob", 1}}, {{"X", {1, 784}}});
    Graph after = test::apply_transforms(g, "remove_dropout", {}, {"output"});
    EXPECT_EQ(after.find("keep_prob"), nullptr);
  }
}

TEST(InferenceCleanupCorpus, CaptchaCondsResolveBothWays) {
  TFPROD_REQUIRE_CORPUS();
  Graph g = load_graph(test::corpus_dir() / "frozen_bn_cond_captcha/frozen_model.pb");
  const std::vector<std::string> fetch = {"forward_net/transpose"};
  const std::map<std::string, Shape> shapes = {{"input_holder", {2, 40, 120, 1}}};

  Graph infer =
      test::apply_transforms(g, "resolve_switches remove_dropout remove_training_nodes", {}, {"digits_prediction"});
  for (const char* op : {"Switch", "Merge", "RandomUniform", "Identity"}) EXPECT_EQ(test::count_op(infer, op), 0) << op;
  EXPECT_EQ(infer.find("is_train"), nullptr);
  EXPECT_EQ(infer.find("dropout"), nullptr);
  auto feeds = test::random_feeds(infer, fetch, 1, shapes);
  test::expect_same_outputs(with_values(g, {{"is_train", 0}, {"dropout", 0.5}}), infer, fetch, feeds);
  test::expect_same_outputs(with_values(g, {{"is_train", 0}, {"dropout", 0.5}}), infer, {"digits_prediction"}, feeds);

  // Training mode (batch statistics), its dropout removed: as the graph with keep = 1 - dropout = 1.
  Graph train =
      test::apply_transforms(g, "resolve_switches(set=is_train:true) remove_dropout", {}, {"digits_prediction"});
  EXPECT_EQ(test::count_op(train, "Switch") + test::count_op(train, "RandomUniform"), 0);
  test::expect_same_outputs(with_values(g, {{"is_train", 1}, {"dropout", 0}}), train, fetch, feeds);
}

TEST(InferenceCleanupCorpus, InputPipelinesOfEstimatorFreezesCut) {
  TFPROD_REQUIRE_CORPUS();
  Graph anpr = freeze_case("anpr_estimator", "softmax_tensor");
  Graph cut =
      test::apply_transforms(anpr, "cut_input_pipeline remove_dropout remove_training_nodes", {}, {"softmax_tensor"});
  for (const char* op : {"OneShotIterator", "IteratorGetNext", "RandomUniform", "Identity"})
    EXPECT_EQ(test::count_op(cut, op), 0) << op;
  const Node* input = cut.find("IteratorGetNext");
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(input->op, "Placeholder");
  EXPECT_EQ(input->attr("dtype")->type(), tfprod::tf::DT_HALF);
  auto feeds = test::random_feeds(cut, {"softmax_tensor"}, 1, {{"IteratorGetNext", {1, 20, 20, 1}}});
  // The freeze with its iterator output fed and rate = 0.
  test::expect_same_outputs(with_values(anpr, {{"dropout/dropout/rate", 0}}), cut, {"softmax_tensor"}, feeds);

  Graph mnist = freeze_case("mnist_estimator_tf15", "softmax_tensor");
  Graph fed = test::apply_transforms(mnist, "cut_input_pipeline(name=x)", {}, {"softmax_tensor"});
  EXPECT_EQ(test::count_op(fed, "QueueDequeueManyV2") + test::count_op(fed, "RandomShuffleQueueV2"), 0);
  EXPECT_EQ(shape_from_proto(fed.find("x")->attr("shape")->shape()), (Shape{-1, 784}));
  auto x = test::random_feeds(fed, {"softmax_tensor"}, 1, {{"x", {2, 784}}});
  auto want = Evaluator(mnist).run({{"random_shuffle_queue_DequeueMany:1", x[0].second}}, {"softmax_tensor"});
  auto got = Evaluator(fed).run(x, {"softmax_tensor"});
  EXPECT_EQ(want[0].data, got[0].data);
}

}  // namespace
}  // namespace tfprod
