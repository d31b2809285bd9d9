// tfprod verify: OpenCV's outputs against the evaluator's, on corpus models.
#include <gtest/gtest.h>

#include "tfprod/tf/framework/tensor.pb.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/verify.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

TEST(Verify, FrozenModelsOpenCvRunsMatchTheEvaluator) {
  TFPROD_REQUIRE_CORPUS();
  for (const char* path : {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", "tflearn_and_gate/frozen_model.pb",
                           "tf2onnx_frozen_graphs/fc-layers/frozen.pb", "tf2onnx_frozen_graphs/ae0/frozen.pb"}) {
    auto r = test::run(test::tool("tfprod").string() + " verify " + (test::corpus_dir() / path).string());
    EXPECT_EQ(r.exit_code, 0) << path << "\n" << r.output;
    EXPECT_NE(r.output.find("verified"), std::string::npos) << r.output;
  }
}

TEST(Verify, ReportsOpenCvFailuresAndMismatches) {
  TFPROD_REQUIRE_CORPUS();
  auto r = test::run(test::tool("tfprod").string() + " verify " +
                     (test::corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb").string() + " --input IteratorGetNext=" +
                     "/nonexistent.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent.npy"), std::string::npos) << r.output;

  // A reference whose last bias is off by one must not verify.
  fs::path model = test::corpus_dir() / "keras_tf1_lenet_saver_and_frozen/frozen_model.pb";
  ModelFile f = load_model_file(model);
  Graph ref = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), "ref");
  Node* bias = ref.find("output_tensor/bias");
  ASSERT_NE(bias, nullptr);
  Tensor b = tensor_from_proto(bias->attr("value")->tensor(), "bias");
  float v;
  std::memcpy(&v, b.data.data(), 4);
  v += 1.0f;
  std::memcpy(b.data.data(), &v, 4);
  tensor_to_proto(std::move(b), bias->set_attr("value").mutable_tensor());
  VerifyReport report = verify_model(model, &ref, {});
  EXPECT_TRUE(report.opencv_error.empty()) << report.opencv_error;
  ASSERT_EQ(report.outputs.size(), 1u);
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.table().find("MISMATCH"), std::string::npos) << report.table();
  // And the unchanged graph does.
  Graph same = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), "same");
  EXPECT_TRUE(verify_model(model, &same, {}).ok());
}

TEST(Verify, UnknownInputShapesAskForInputs) {
  TFPROD_REQUIRE_CORPUS();
  auto r = test::run(test::tool("tfprod").string() + " verify " +
                     (test::corpus_dir() / "tf2onnx_frozen_graphs/gru/frozen.pb").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("placeholder 'X' has no known shape"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tfprod
