// `tfprod inspect` tells the user which format each corpus file is.
#include <gtest/gtest.h>

#include "test_support.h"

namespace tfprod {
namespace {

TEST(InspectCli, NamesEveryFormat) {
  TFPROD_REQUIRE_CORPUS();
  const std::pair<const char*, const char*> cases[] = {
      {"anpr_estimator/graph.pbtxt", "text GraphDef"},
      {"anpr_estimator/model.ckpt-0.meta", "binary MetaGraphDef"},
      {"anpr_estimator/frozen_cut_graph.pb", "binary GraphDef"},
      {"tfserving_half_plus_two_tf1/00000123", "SavedModel (TF1)"},
      {"keras_mnist_savedmodel_tf210/saved_model.pb", "binary SavedModel"},
      {"v1_checkpoint_mlp_tf012/model.ckpt", "V1 TensorSlice file, 14 tensors"},
      {"anpr_estimator/model.ckpt-20000.index", "V2 bundle, 9 tensors"},
      {"anpr_estimator", "training directory"},
      {"tflearn_and_gate", "a path from another machine"},
  };
  for (const auto& [path, expected] : cases) {
    auto r = test::run(test::tool("tfprod").string() + " inspect " + (test::corpus_dir() / path).string());
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << path << ": " << r.output;
  }
  auto r = test::run(test::tool("tfprod").string() + " inspect " + (test::corpus_dir() / "nothing_here").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("nothing_here: no such file"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tfprod
