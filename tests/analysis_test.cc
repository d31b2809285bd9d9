// guess_io and training_roles: on small graphs (labels, metrics, the ArgMax
// of a Softmax, an unknown-role sink) and on every training graph of the
// corpus, where the issue names the expected inputs and outputs.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "inference_cleanup_support.h"
#include "test_support.h"
#include "tfprod/analysis.h"
#include "tfprod/model_source.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using test::node;

std::vector<std::string> names_of(const std::vector<IoCandidate>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c.name);
  return out;
}

const std::string kXent = "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"Tlabels\" value { type: DT_INT32 } }";

// x -> logits -> {softmax, argmax}; labels -> xent(logits, labels) -> loss -> gradients;
// accuracy reads labels and argmax; a save/ op reads nothing of the model.
const std::string kSmall =
    test::placeholder("x") + test::placeholder("labels") + test::scalar_const("w", 2) +
    node("logits", "Mul", {"x", "w"}) + node("softmax", "Softmax", {"logits"}) +
    node("classes", "ArgMax", {"logits", "w"}) +
    node("xent", "SparseSoftmaxCrossEntropyWithLogits", {"logits", "labels"}, kXent) +
    node("loss", "Mean", {"xent", "w"}) + node("gradients/grad", "Neg", {"loss"}) +
    node("acc_op/eq", "Equal", {"labels", "classes"}) + test::scalar_const("save/Const", 0) +
    node("save/SaveV2", "Identity", {"save/Const"});

TEST(GuessIo, OutputIsTheSoftmaxAndLabelsAreNotInputs) {
  Graph g = test::parse_graph(kSmall);
  IoGuess guess = guess_io(g);
  EXPECT_EQ(names_of(guess.outputs), std::vector<std::string>{"softmax"});
  EXPECT_EQ(names_of(guess.inputs), std::vector<std::string>{"x"});
  EXPECT_EQ(guess.labels, std::vector<std::string>{"labels"});
  bool argmax_explained = false, metric_explained = false;
  for (const auto& r : guess.rejected) {
    if (r.name == "classes") argmax_explained = r.reason.find("top class of softmax") != std::string::npos;
    if (r.name == "acc_op/eq") metric_explained = r.reason.find("metrics") != std::string::npos;
  }
  EXPECT_TRUE(argmax_explained);
  EXPECT_TRUE(metric_explained);
}

// An output's dtype is read from its op's attrs (T, dtype, out_type, ...),
// and comparisons give bool.
TEST(GuessIo, OutputsDeclareTheirDtype) {
  Graph g = test::parse_graph(kSmall);
  EXPECT_EQ(declared_output(*g.find("softmax"), 0).dtype, tfprod::tf::DT_FLOAT);
  EXPECT_EQ(declared_output(*g.find("acc_op/eq"), 0).dtype, tfprod::tf::DT_BOOL);
  EXPECT_EQ(declared_output(*g.find("w"), 0).dtype, tfprod::tf::DT_FLOAT);  // a Const: its dtype
  IoGuess guess = guess_io(g);
  ASSERT_EQ(guess.outputs.size(), 1u);
  EXPECT_EQ(guess.outputs[0].declared.dtype, tfprod::tf::DT_FLOAT);
}

TEST(GuessIo, GivenOutputsGetTheirInputs) {
  Graph g = test::parse_graph(kSmall);
  IoGuess guess = guess_io(g, {"xent"});
  EXPECT_EQ(names_of(guess.outputs), std::vector<std::string>{"xent"});
  EXPECT_EQ(names_of(guess.inputs), (std::vector<std::string>{"x", "labels"}));
}

TEST(GuessIo, TwoIndependentHeadsAreBothOutputs) {
  Graph g = test::parse_graph(test::placeholder("x") + node("a", "Relu", {"x"}) + node("b", "Tanh", {"x"}));
  EXPECT_EQ(names_of(guess_io(g).outputs), (std::vector<std::string>{"a", "b"}));
}

// An Estimator regression: the loss (L2Loss of prediction - labels) is no
// sink (its summary and the gradients read it), and the labels come from the
// input pipeline: the prediction is what the loss compares with a target.
TEST(GuessIo, RegressionLossReadOnlyByItsSummaryNamesThePrediction) {
  const std::string iterator =
      "node { name: 'IteratorGetNext' op: 'IteratorGetNext' attr { key: 'output_types' value { list { type: DT_FLOAT "
      "type: DT_FLOAT } } } attr { key: 'output_shapes' value { list { shape { dim { size: -1 } dim { size: 2 } } "
      "shape { dim { size: -1 } dim { size: 1 } } } } } }\n";
  Graph g = test::parse_graph(
      iterator + test::scalar_const("w", 2) + node("dense/MatMul", "Mul", {"IteratorGetNext", "w"}) +
      node("dense/BiasAdd", "BiasAdd", {"dense/MatMul", "w"}) + node("sub", "Sub", {"dense/BiasAdd", "IteratorGetNext:1"}) +
      node("L2Loss", "L2Loss", {"sub"}) + test::scalar_const("loss/tags", 0) +
      node("loss", "ScalarSummary", {"loss/tags", "L2Loss"}) + node("gradients/L2Loss_grad/mul", "Mul", {"sub", "w"}));
  IoGuess guess = guess_io(g);
  EXPECT_EQ(names_of(guess.outputs), std::vector<std::string>{"dense/BiasAdd"});
  EXPECT_EQ(names_of(guess.inputs), std::vector<std::string>{"IteratorGetNext"});
}

TEST(TrainingRoles, SaverLossAndGradientsAreTrainingOnly) {
  Graph g = test::parse_graph(kSmall);
  auto roles = training_roles(g);
  auto role = [&](const char* n) {
    auto it = roles.find(g.find(n));
    return it == roles.end() ? Role::kModel : it->second;
  };
  EXPECT_EQ(role("save/Const"), Role::kSaver);
  EXPECT_EQ(role("xent"), Role::kLoss);
  EXPECT_EQ(role("loss"), Role::kLoss);  // reads only the loss and a constant
  EXPECT_EQ(role("gradients/grad"), Role::kGradients);
  EXPECT_EQ(role("logits"), Role::kModel);
  EXPECT_EQ(role("softmax"), Role::kModel);
}

struct CorpusCase {
  const char* path;
  std::vector<std::string> inputs, outputs;
  bool input_cut;
};

TEST(GuessIoCorpus, NamesTheInputsToCutAndTheOutputs) {
  TFPROD_REQUIRE_CORPUS();
  const std::vector<CorpusCase> cases = {
      {"anpr_estimator", {"IteratorGetNext"}, {"softmax_tensor"}, true},
      {"lenet_saver_tf20_compat", {"X"}, {"Softmax"}, false},
      {"conv_autoencoder_saver_tf15", {"Placeholder"}, {"Sigmoid"}, false},
      {"bn_dropout_saver_tf113", {"Placeholder"}, {"Add_1"}, false},
      {"tflearn_and_gate", {"input/X"}, {"output/Sigmoid"}, false},
      {"v1_checkpoint_mlp_tf012", {"Placeholder"}, {"Relu_1"}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    ModelSource src = open_model_source(test::corpus_dir() / c.path);
    Graph g = Graph::from_graphdef(src.meta.graph_def(), c.path);
    IoGuess guess = guess_io(g);
    EXPECT_EQ(names_of(guess.outputs), c.outputs);
    EXPECT_EQ(names_of(guess.inputs), c.inputs);
    for (const auto& in : guess.inputs) EXPECT_EQ(in.cut, c.input_cut) << in.name;
    std::printf("%-30s inputs %s  outputs %s  (%zu set aside)\n", c.path, fmt::format("{}", fmt::join(names_of(guess.inputs), ",")).c_str(),
                fmt::format("{}", fmt::join(names_of(guess.outputs), ",")).c_str(), guess.rejected.size());
    for (const auto& r : guess.rejected) std::printf("    set aside %s: %s\n", r.name.c_str(), r.reason.c_str());
  }
}

TEST(GuessIoCorpus, QueueInputOfTheTf15Estimator) {
  TFPROD_REQUIRE_CORPUS();
  ModelSource src = open_model_source(test::corpus_dir() / "mnist_estimator_tf15");
  Graph g = Graph::from_graphdef(src.meta.graph_def(), "mnist_estimator_tf15");
  IoGuess guess = guess_io(g);
  ASSERT_EQ(guess.inputs.size(), 1u);
  const Node* dequeue = g.find(TensorRef::parse(guess.inputs[0].name).node);
  ASSERT_NE(dequeue, nullptr);
  EXPECT_TRUE(dequeue->op.starts_with("QueueDequeue")) << dequeue->op;
  EXPECT_TRUE(guess.inputs[0].cut);
  EXPECT_EQ(names_of(guess.outputs), std::vector<std::string>{"softmax_tensor"});
}

// In a frozen graph the activation a dropout multiplies is read by the
// dropout alone (no gradients): it, and the model up to its input, must stay
// model, not become part of the dropout.
TEST(TrainingRoles, FrozenDropoutDoesNotClaimTheModelAboveIt) {
  TFPROD_REQUIRE_CORPUS();
  Graph g = Graph::from_graphdef(
      open_model_source(test::corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb").meta.graph_def(), "frozen");
  auto roles = training_roles(g);
  std::size_t dropout = 0;
  for (const auto& [node, role] : roles) {
    if (role != Role::kDropout) continue;
    ++dropout;
    EXPECT_TRUE(node->name().starts_with("dropout/")) << node->name();
  }
  EXPECT_GT(dropout, 0u);
  EXPECT_FALSE(roles.count(g.find("IteratorGetNext")));
  IoGuess guess = guess_io(g);
  EXPECT_EQ(names_of(guess.inputs), std::vector<std::string>{"IteratorGetNext"});
  EXPECT_EQ(names_of(guess.outputs), std::vector<std::string>{"softmax_tensor"});
}

}  // namespace
}  // namespace tfprod
