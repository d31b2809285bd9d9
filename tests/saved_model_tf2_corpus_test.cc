// TF2 SavedModels on the corpus: keras_mnist_savedmodel_tf210 opens as one
// flat graph for serving_default (functions inlined, readable input and
// output names), freezes to the checkpoint's exact values, and after the
// inference cleanup and OpenCV passes OpenCV 4.6 loads it and matches the
// evaluator on the inlined graph. The Keras training-mode functions of the
// same model (dropout v2, BatchNormalization with moving-average updates),
// called from hand-built SavedModels, come out in inference form.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include <fmt/ranges.h>

#include "test_support.h"
#include "tf2_saved_model_support.h"
#include "transform_test_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/freeze.h"
#include "tfprod/model_source.h"
#include "tfprod/presets.h"
#include "tfprod/verify.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

const char* kCase = "keras_mnist_savedmodel_tf210";

// The export preset: the cleanup tfprod export runs.
const std::string kCleanup = preset_transforms(Preset::kExport);

std::size_t count_op(const Graph& g, const std::string& op) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == op;
  return n;
}

std::vector<float> floats(const Tensor& t) {
  std::vector<float> v(t.num_elements());
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), v.size() * 4);
  return v;
}

TEST(Tf2SavedModelCorpus, KerasMnistOpensAsOneFlatGraphWithReadableNames) {
  TFPROD_REQUIRE_CORPUS();
  ModelSource src = open_model_source(test::corpus_dir() / kCase);
  EXPECT_EQ(src.kind, "SavedModel (TF2)");
  EXPECT_EQ(src.signature_inputs, std::vector<std::string>{"conv2d_input:0"});
  EXPECT_EQ(src.signature_outputs, std::vector<std::string>{"dense_1:0"});
  ASSERT_TRUE(src.checkpoint);
  EXPECT_EQ(fs::path(src.checkpoint->prefix).filename(), "variables");
  EXPECT_EQ(src.meta.graph_def().library().function_size(), 0) << "no function is called any more";
  Graph g = Graph::from_graphdef(src.meta.graph_def(), kCase);
  for (const Node* n : g.nodes()) {
    EXPECT_NE(n->op, "StatefulPartitionedCall") << n->name();
    EXPECT_NE(n->op, "PartitionedCall") << n->name();
    EXPECT_NE(n->op, "AssignVariableOp") << n->name();
    EXPECT_EQ(n->name().rfind("Adam/", 0), std::string::npos) << "optimizer state pruned: " << n->name();
  }
  ASSERT_TRUE(g.find("conv2d_input"));
  EXPECT_EQ(g.find("conv2d_input")->op, "Placeholder");
  EXPECT_FALSE(g.find("serving_default_conv2d_input")) << "renamed after the signature key";
  ASSERT_TRUE(g.find("dense_1"));
  EXPECT_EQ(g.find("dense_1")->op, "Identity");
  EXPECT_EQ(count_op(g, "Conv2D"), 3u);
  EXPECT_EQ(count_op(g, "FusedBatchNormV3"), 3u);
  EXPECT_EQ(count_op(g, "MatMul"), 2u);
  EXPECT_EQ(count_op(g, "VarHandleOp"), 22u) << "3 convs + 3 batch norms + 2 dense layers";
  EXPECT_EQ(count_op(g, "Placeholder"), 1u) << "saver_filename went with the saver";
}

// Keras numbers the layers that have weights in order; an independent table
// of the checkpoint keys each graph variable must be frozen from.
std::string expected_key(const std::string& variable) {
  const std::vector<std::string> layers = {"conv2d", "batch_normalization", "conv2d_1", "batch_normalization_1",
                                           "conv2d_2", "batch_normalization_2", "dense", "dense_1"};
  auto slash = variable.find('/');
  auto it = std::find(layers.begin(), layers.end(), variable.substr(0, slash));
  if (it == layers.end()) return "";
  return fmt::format("layer_with_weights-{}/{}/.ATTRIBUTES/VARIABLE_VALUE", it - layers.begin(),
                     variable.substr(slash + 1));
}

TEST(Tf2SavedModelCorpus, KerasMnistFreezesToTheCheckpointValues) {
  TFPROD_REQUIRE_CORPUS();
  ModelSource src = open_model_source(test::corpus_dir() / kCase);
  auto reader = open_checkpoint(*src.checkpoint);
  FreezeReport report;
  Graph frozen = freeze(Graph::from_graphdef(src.meta.graph_def(), kCase), *reader, {.outputs = {"dense_1"}}, &report);
  ASSERT_EQ(report.frozen.size(), 22u);
  for (const std::string& name : report.frozen) {
    SCOPED_TRACE(name);
    const std::string key = expected_key(name);
    ASSERT_FALSE(key.empty());
    const Node* n = frozen.find(name);
    ASSERT_EQ(n->op, "Const");
    Tensor got = tensor_from_proto(n->attr("value")->tensor(), name);
    Tensor want = reader->read(key);
    EXPECT_EQ(got.dtype, want.dtype);
    EXPECT_EQ(got.shape, want.shape);
    EXPECT_TRUE(got.data == want.data) << "bytes differ from " << key;
  }
  EXPECT_EQ(count_op(frozen, "ReadVariableOp"), 0u);
  EXPECT_EQ(count_op(frozen, "VarHandleOp"), 0u);
}

TEST(Tf2SavedModelCorpus, KerasMnistRunsInOpenCvAndMatchesTheInlinedGraph) {
  TFPROD_REQUIRE_CORPUS();
  ModelSource src = open_model_source(test::corpus_dir() / kCase);
  auto reader = open_checkpoint(*src.checkpoint);
  Graph frozen = freeze(Graph::from_graphdef(src.meta.graph_def(), kCase), *reader, {.outputs = {"dense_1"}});
  Graph reference = test::apply_transforms(frozen, "strip_unused_nodes(shape=\"1,28,28,1\")", {"conv2d_input"},
                                           {"dense_1"});
  Graph model = test::apply_transforms(reference, kCleanup, {"conv2d_input"}, {"dense_1"});
  fs::path out = test::scratch_dir() / "keras_mnist.pb";
  save_graphdef(model.to_graphdef(), out, false);
  for (uint64_t seed : {1, 2, 3}) {
    VerifyOptions options;
    options.outputs = {"dense_1"};
    options.seed = seed;
    VerifyReport report = verify_model(out, &reference, options);
    ASSERT_TRUE(report.ok()) << report.opencv_error << report.table();
    ASSERT_EQ(report.outputs.size(), 1u);
    EXPECT_EQ(report.outputs[0].opencv_shape, (Shape{1, 10}));
    std::printf("keras_mnist_savedmodel_tf210 seed %d: OpenCV vs evaluator on the inlined graph: max abs %.2e, "
                "max rel %.2e\n",
                static_cast<int>(seed), report.outputs[0].max_abs, report.outputs[0].max_rel);
  }
  // The evaluator's output is a softmax over 10 classes.
  Evaluator eval(reference);
  auto y = eval.run(test::random_feeds(reference, {"dense_1"}, 7), {"dense_1"});
  auto p = floats(y[0]);
  double sum = 0;
  for (float v : p) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

// A SavedModel whose serving function is one of the corpus model's training
// functions, called on a placeholder x (and the model's variables).
fs::path training_function_model(const std::string& function, const std::string& shape_dims,
                                 const std::string& extra_nodes, const std::string& extra_inputs) {
  fs::path dir = test::scratch_dir() / "sm";
  test::write_tf2_saved_model(dir, R"(
node { name: "serving_default_x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { )" + shape_dims + R"( } } } }
)" + extra_nodes + R"(
node { name: "StatefulPartitionedCall" op: "StatefulPartitionedCall" input: "serving_default_x" )" + extra_inputs +
                                         R"( attr { key: "f" value { func { name: ")" + function + R"(" } } }
       attr { key: "Tout" value { list { type: DT_FLOAT } } } }
)",
                              {{{"x", "serving_default_x:0"}}, {{"y", "StatefulPartitionedCall:0"}}},
                              test::corpus_dir() / kCase / "saved_model.pb");
  test::copy_keras_variables(dir);
  return dir;
}

TEST(Tf2SavedModelCorpus, KerasTrainingDropoutV2IsRemoved) {
  TFPROD_REQUIRE_CORPUS();
  // dropout/Mul(x, 1/(1-rate)), RandomUniform(Shape(x)) >= rate, Cast, dropout/Mul_1.
  fs::path dir = training_function_model("__inference_dropout_layer_call_and_return_conditional_losses_303313",
                                         "dim { size: 2 } dim { size: 64 }", "", "");
  ModelSource src = open_model_source(dir);
  Graph g = Graph::from_graphdef(src.meta.graph_def(), "dropout");
  ASSERT_EQ(count_op(g, "RandomUniform"), 1u);
  ASSERT_TRUE(g.find("StatefulPartitionedCall/dropout/GreaterEqual"));
  auto feeds = test::random_feeds(g, {"y"}, 3);
  Evaluator before(g);
  auto training = floats(before.run(feeds, {"y"})[0]);
  auto x = floats(feeds[0].second);
  int dropped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) dropped += training[i] == 0 && x[i] != 0;
  EXPECT_GT(dropped, 0) << "in training form some activations are dropped";

  Graph clean = test::apply_transforms(g, "remove_dropout", {"x"}, {"y"});
  EXPECT_EQ(count_op(clean, "RandomUniform"), 0u);
  EXPECT_EQ(count_op(clean, "GreaterEqual"), 0u);
  Evaluator after(clean);
  EXPECT_EQ(floats(after.run(feeds, {"y"})[0]), x) << "inference dropout is the identity";
}

TEST(Tf2SavedModelCorpus, KerasTrainingBatchNormUsesTheMovingStatistics) {
  TFPROD_REQUIRE_CORPUS();
  std::string vars, inputs;
  for (const char* v : {"gamma", "beta", "moving_mean", "moving_variance"}) {
    vars += fmt::format(R"(node {{ name: "batch_normalization/{0}" op: "VarHandleOp"
      attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} attr {{ key: "shape" value {{ shape {{ dim {{ size: 32 }} }} }} }}
      attr {{ key: "shared_name" value {{ s: "batch_normalization/{0}" }} }} }}
)", v);
    inputs += fmt::format(R"(input: "batch_normalization/{}" )", v);
  }
  // Training mode: FusedBatchNormV3 (is_training by default) and two
  // AssignVariableOps updating the moving statistics, reached by control edges.
  fs::path dir = training_function_model(
      "__inference_batch_normalization_layer_call_and_return_conditional_losses_303067",
      "dim { size: 1 } dim { size: 2 } dim { size: 3 } dim { size: 32 }", vars, inputs);
  ModelSource src = open_model_source(dir);
  bool noted = false;
  for (const auto& n : src.notes) noted |= n.find("dropped 2 variable updates") != std::string::npos;
  EXPECT_TRUE(noted) << fmt::format("{}", fmt::join(src.notes, "\n"));
  auto reader = open_checkpoint(*src.checkpoint);
  Graph frozen = freeze(Graph::from_graphdef(src.meta.graph_def(), "bn"), *reader, {.outputs = {"y"}});
  EXPECT_EQ(count_op(frozen, "AssignVariableOp"), 0u);
  Graph clean = test::apply_transforms(frozen, "batch_norm_inference", {"x"}, {"y"});

  auto feeds = test::random_feeds(clean, {"y"}, 5);
  Evaluator eval(clean);
  auto y = floats(eval.run(feeds, {"y"})[0]);
  auto x = floats(feeds[0].second);
  auto value = [&](const char* v) { return floats(reader->read(fmt::format("layer_with_weights-1/{}/.ATTRIBUTES/VARIABLE_VALUE", v))); };
  auto gamma = value("gamma"), beta = value("beta"), mean = value("moving_mean"), var = value("moving_variance");
  double max_diff = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::size_t c = i % 32;
    double want = gamma[c] * (x[i] - mean[c]) / std::sqrt(var[c] + 0.001) + beta[c];
    max_diff = std::max(max_diff, std::abs(want - y[i]));
  }
  EXPECT_LT(max_diff, 1e-4) << "y = gamma (x - moving_mean) / sqrt(moving_variance + eps) + beta";
  std::printf("Keras training-mode BatchNormalization at inference vs the formula: max abs diff %.2e\n", max_diff);
}

}  // namespace
}  // namespace tfprod
