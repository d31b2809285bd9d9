// batch_norm_inference and cut_input_pipeline: structure and numbers, on
// small graphs and on the corpus (captcha in training mode made inference
// mode; the anpr freeze fed instead of its iterator).
#include <gtest/gtest.h>

#include "inference_cleanup_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using test::graph_text;
using test::node;

std::string vec_const(const std::string& name, int size, float v) {
  return node(name, "Const", {},
              "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
              "tensor_shape { dim { size: " +
                  std::to_string(size) + " } }" + (size ? " float_val: " + std::to_string(v) : "") + " } } }");
}

std::string bn_graph(bool training, const std::string& mean, const std::string& variance, bool moving = true) {
  return test::placeholder("x", "dim { size: 2 } dim { size: 2 } dim { size: 2 } dim { size: 3 }") +
         vec_const("bn/gamma", 3, 1.5) + vec_const("bn/beta", 3, 0.1) +
         (moving ? vec_const("bn/moving_mean", 3, 0.2) + vec_const("bn/moving_variance", 3, 2) : "") +
         node("bn/moving_mean/read", "Identity", {"bn/moving_mean"}) + vec_const("bn/Const", 0, 0) +
         vec_const("bn/Const_1", 0, 0) +
         node("bn/FusedBatchNormV3", "FusedBatchNormV3", {"x", "bn/gamma", "bn/beta", mean, variance},
              std::string("attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"U\" value { type: DT_FLOAT } } "
                          "attr { key: \"epsilon\" value { f: 0.001 } } attr { key: \"is_training\" value { b: ") +
                  (training ? "true" : "false") + " } }") +
         node("out", "Relu", {"bn/FusedBatchNormV3"});
}

TEST(BatchNormInference, EmptyStatisticsBecomeTheMovingOnes) {
  Graph g = test::parse_graph(bn_graph(true, "bn/Const", "bn/Const_1"));
  Graph after = test::apply_transforms(g, "batch_norm_inference", {}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\nbn/gamma = Const[DT_FLOAT [3]]()\nbn/beta = Const[DT_FLOAT [3]]()\n"
            "bn/moving_mean = Const[DT_FLOAT [3]]()\nbn/moving_variance = Const[DT_FLOAT [3]]()\n"
            "bn/moving_mean/read = Identity(bn/moving_mean)\n"
            "bn/FusedBatchNormV3 = FusedBatchNormV3(x, bn/gamma, bn/beta, bn/moving_mean, bn/moving_variance)\n"
            "out = Relu(bn/FusedBatchNormV3)\n");
  EXPECT_FALSE(after.find("bn/FusedBatchNormV3")->attr("is_training")->b());
  Graph expected = test::parse_graph(bn_graph(false, "bn/moving_mean", "bn/moving_variance"));
  test::expect_same_outputs(expected, after, {"out"}, test::random_feeds(after, {"out"}));
}

TEST(BatchNormInference, MovingInputsStayAndAMissingOneFailsNamingTheNode) {
  Graph g = test::parse_graph(bn_graph(true, "bn/moving_mean/read", "bn/moving_variance"));
  Graph after = test::apply_transforms(g, "batch_norm_inference", {}, {"out"});
  EXPECT_EQ(after.size(), g.size());
  EXPECT_EQ(after.find("bn/FusedBatchNormV3")->inputs[3].node->name(), "bn/moving_mean/read");
  Graph expected = test::parse_graph(bn_graph(false, "bn/moving_mean/read", "bn/moving_variance"));
  test::expect_same_outputs(expected, after, {"out"}, test::random_feeds(after, {"out"}));

  std::string text = bn_graph(true, "bn/Const", "bn/Const_1", false);
  const std::string read_input = "input: \"bn/moving_mean\"";
  text.replace(text.find(read_input), read_input.size(), "input: \"bn/gamma\"");
  try {
    test::apply_transforms(test::parse_graph(text), "batch_norm_inference", {}, {"out"});
    ADD_FAILURE() << "no moving statistics: expected a failure";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'bn/FusedBatchNormV3' is in training mode"), std::string::npos) << e.what();
  }
}

const std::string kIterator =
    node("it", "OneShotIterator", {}, "") +
    node("next", "IteratorGetNext", {"it"},
         "attr { key: \"output_types\" value { list { type: DT_FLOAT type: DT_INT32 } } } attr { key: "
         "\"output_shapes\" value { list { shape { dim { size: -1 } dim { size: 3 } } shape { dim { size: -1 } } } } "
         "}") +
    node("w", "Const", {},
         "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
         "tensor_shape { dim { size: 3 } dim { size: 2 } } float_val: 0.5 } } }") +
    node("mm", "MatMul", {"next", "w"}) + node("out", "Relu", {"mm"}) +
    node("axis", "Const", {},
         "attr { key: \"dtype\" value { type: DT_INT32 } } attr { key: \"value\" value { tensor { dtype: DT_INT32 "
         "tensor_shape {} int_val: 0 } } }") +
    node("loss", "Sum", {"next:1", "axis"}, "attr { key: \"T\" value { type: DT_INT32 } }");

TEST(CutInputPipeline, IteratorBecomesAPlaceholderOfItsDeclaredTypeAndShape) {
  Graph g = test::parse_graph(kIterator);
  Graph after = test::apply_transforms(g, "cut_input_pipeline", {}, {"out"});
  EXPECT_EQ(graph_text(after),
            "w = Const[DT_FLOAT [3,2]]()\nmm = MatMul(next, w)\nout = Relu(mm)\nnext = Placeholder()\n");
  const Node* ph = after.find("next");
  EXPECT_EQ(ph->attr("dtype")->type(), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(shape_from_proto(ph->attr("shape")->shape()), (Shape{-1, 3}));
  auto feeds = test::random_feeds(after, {"out"}, 1, {{"next", {2, 3}}});
  test::expect_same_outputs(g, after, {"out"}, feeds);  // the training graph with its iterator output fed
}

TEST(CutInputPipeline, QueueWithEnqueueOpsAndNoOutputsGiven) {
  const std::string text =
      node("queue", "FIFOQueueV2", {},
           "attr { key: \"component_types\" value { list { type: DT_FLOAT } } } attr { key: \"shapes\" value { list "
           "{ shape { dim { size: 4 } } } } }") +
      test::placeholder("enqueue/x", "dim { size: 8 } dim { size: 4 }") +
      node("enqueue", "QueueEnqueueManyV2", {"queue", "enqueue/x"}, "") + node("close", "QueueCloseV2", {"queue"}, "") +
      node("n", "Const", {},
           "attr { key: \"dtype\" value { type: DT_INT32 } } attr { key: \"value\" value { tensor { dtype: DT_INT32 "
           "tensor_shape {} int_val: 5 } } }") +
      node("deq", "QueueDequeueManyV2", {"queue", "n"},
           "attr { key: \"component_types\" value { list { type: DT_FLOAT } } }") +
      node("out", "Relu", {"deq"});
  Graph after = test::apply_transforms(test::parse_graph(text), "cut_input_pipeline(name=image)", {}, {});
  EXPECT_EQ(graph_text(after), "out = Relu(image)\nimage = Placeholder()\n");
  EXPECT_EQ(shape_from_proto(after.find("image")->attr("shape")->shape()), (Shape{-1, 4}));
  Graph typed =
      test::apply_transforms(test::parse_graph(text), "cut_input_pipeline(type=half, shape=\"1,4\")", {}, {"out"});
  EXPECT_EQ(typed.find("deq")->attr("dtype")->type(), tfprod::tf::DT_HALF);
  EXPECT_EQ(shape_from_proto(typed.find("deq")->attr("shape")->shape()), (Shape{1, 4}));
}

TEST(CutInputPipeline, DecodedImageIsUint8AndWithoutAPipelineItFails) {
  const std::string text =
      test::placeholder("file", "", "DT_STRING") + node("read", "ReadFile", {"file"}, "") +
      node("img", "DecodeJpeg", {"read"}, "") +
      node("f", "Cast", {"img"},
           "attr { key: \"SrcT\" value { type: DT_UINT8 } } attr { key: \"DstT\" value { type: DT_FLOAT } }") +
      node("out", "Relu", {"f"});
  Graph after = test::apply_transforms(test::parse_graph(text), "cut_input_pipeline", {}, {"out"});
  EXPECT_EQ(graph_text(after), "f = Cast(img)\nout = Relu(f)\nimg = Placeholder()\n");
  EXPECT_EQ(after.find("img")->attr("dtype")->type(), tfprod::tf::DT_UINT8);
  EXPECT_THROW(test::apply_transforms(after, "cut_input_pipeline", {}, {"out"}), Error);
}

Graph load_graph(const std::filesystem::path& path) {
  ModelFile f = load_model_file(path);
  return Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), path.string());
}

TEST(InferenceCleanupCorpus, CaptchaTrainingModeMadeInferenceMode) {
  TFPROD_REQUIRE_CORPUS();
  Graph g = load_graph(test::corpus_dir() / "frozen_bn_cond_captcha/frozen_model.pb");
  // The training branch (FusedBatchNorm on batch statistics, dropout) turned into inference.
  Graph after = test::apply_transforms(
      g, "batch_norm_inference resolve_switches(set=is_train:true) remove_dropout remove_training_nodes", {},
      {"digits_prediction"});
  EXPECT_EQ(test::count_op(after, "Switch") + test::count_op(after, "RandomUniform"), 0);
  for (const Node* n : after.nodes()) {
    if (n->op == "FusedBatchNorm") {
      EXPECT_FALSE(n->attr("is_training")->b()) << n->name();
    }
  }
  Graph inference = Graph::from_graphdef(g.to_graphdef(), g.source());
  test::fix_value(inference, "is_train", 0);
  test::fix_value(inference, "dropout", 0.5);
  auto feeds = test::random_feeds(after, {"forward_net/transpose"}, 1, {{"input_holder", {2, 40, 120, 1}}});
  test::expect_same_outputs(inference, after, {"forward_net/transpose"}, feeds);
}

}  // namespace
}  // namespace tfprod
