// OpenCV-compatibility passes (opencv_*): each rewrite's graph before and
// after, the evaluator's numbers before and after, OpenCV on the result, and
// the pre-flight check (corpus nets: opencv_compat_corpus_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "tfprod/tensor_values.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/eval.h"
#include "tfprod/verify.h"
#include "opencv_compat_support.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;


// x:half -> Conv2D(x, w:half) -> Cast[half->float] -> out
const char* kHalf = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } dim { size: 4 } dim { size: 2 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "value" value { tensor { dtype: DT_HALF tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: 3 } }
                                            half_val: 15360 half_val: 14336 half_val: 48128 half_val: 16384 half_val: 13312 half_val: 15360 } } } }
node { name: "conv" op: "Conv2D" input: "x" input: "w" attr { key: "T" value { type: DT_HALF } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: "padding" value { s: "VALID" } } }
node { name: "cast" op: "Cast" input: "conv" attr { key: "SrcT" value { type: DT_HALF } } attr { key: "DstT" value { type: DT_FLOAT } } }
node { name: "out" op: "Relu" input: "cast" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(OpenCvCompat, FloatWeightsWidensHalfAndDropsCasts) {
  Graph before = parse_graph(kHalf);
  Graph after = apply_transforms(before, "opencv_float_weights", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [1,1,2,3]]()\n"
            "conv = Conv2D(x, w)\n"
            "out = Relu(conv)\n");
  EXPECT_EQ(after.find("x")->attr("dtype")->type(), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(after.find("conv")->attr("T")->type(), tfprod::tf::DT_FLOAT);
  // The weights are exact in half: same numbers up to half rounding of activations.
  auto feeds = random_feeds(before, {"out"});
  auto float_feeds = feeds;
  for (auto& [n, t] : float_feeds) t = eval::to_float32(t);
  Evaluator a(before), b(after);
  Tensor ya = eval::to_float32(a.run(feeds, {"out"})[0]), yb = b.run(float_feeds, {"out"})[0];
  EXPECT_LT(scaled_diff(yb, ya), 2e-3);
}

// w -> Identity -> Identity -> Conv2D; b:half -> Cast -> BiasAdd
const char* kWrapped = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 3 } dim { size: 3 } dim { size: 2 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: 2 } }
                                            float_val: 1 float_val: -2 float_val: 0.5 float_val: 3 } } } }
node { name: "w/read" op: "Identity" input: "w" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "w/read2" op: "Identity" input: "w/read" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "b" op: "Const" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "value" value { tensor { dtype: DT_HALF tensor_shape { dim { size: 2 } } half_val: 15360 half_val: 48128 } } } }
node { name: "b/cast" op: "Cast" input: "b" attr { key: "SrcT" value { type: DT_HALF } } attr { key: "DstT" value { type: DT_FLOAT } } }
node { name: "conv" op: "Conv2D" input: "x" input: "w/read2" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: "padding" value { s: "VALID" } } }
node { name: "out" op: "BiasAdd" input: "conv" input: "b/cast" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(OpenCvCompat, ConstWeightsSplicesIdentityAndFoldsCast) {
  Graph before = parse_graph(kWrapped);
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_const_weights"), std::string::npos);
  Graph after = apply_transforms(before, "opencv_const_weights", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [1,1,2,2]]()\n"
            "b/cast = Const[DT_FLOAT [2]]()\n"
            "conv = Conv2D(x, w)\n"
            "out = BiasAdd(conv, b/cast)\n");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_EQ(opencv_preflight(after).size(), 0u) << preflight_text(opencv_preflight(after));
}

// Keras Flatten with an extra node in the shape arithmetic: Shape -> StridedSlice -> Prod -> Pack(-1?)
const char* kFlatten = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 3 } dim { size: 4 } } } } }
node { name: "relu" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "shape" op: "Shape" input: "relu" attr { key: "T" value { type: DT_FLOAT } } attr { key: "out_type" value { type: DT_INT32 } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 2 } } } }
node { name: "mul" op: "Mul" input: "shape" input: "two" attr { key: "T" value { type: DT_INT32 } } }
node { name: "half" op: "FloorDiv" input: "mul" input: "two" attr { key: "T" value { type: DT_INT32 } } }
node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 0 } } } }
node { name: "prod" op: "Prod" input: "half" input: "axis" attr { key: "T" value { type: DT_INT32 } } attr { key: "Tidx" value { type: DT_INT32 } } attr { key: "keep_dims" value { b: true } } }
node { name: "one" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 1 } } } }
node { name: "newshape" op: "ConcatV2" input: "one" input: "prod" input: "axis" attr { key: "T" value { type: DT_INT32 } } attr { key: "N" value { i: 2 } } attr { key: "Tidx" value { type: DT_INT32 } } }
node { name: "out" op: "Reshape" input: "relu" input: "newshape" attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tshape" value { type: DT_INT32 } } }
)";

TEST(OpenCvCompat, FoldShapesMakesReshapeShapesConst) {
  Graph before = parse_graph(kFlatten);
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_fold_shapes"), std::string::npos)
      << preflight_text(opencv_preflight(before));
  Graph after = apply_transforms(before, "opencv_fold_shapes", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "relu = Relu(x)\n"
            "newshape = Const[DT_INT32 [2]]()\n"
            "out = Reshape(relu, newshape)\n")
      << graph_text(after);
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_EQ(opencv_preflight(after).size(), 0u) << preflight_text(opencv_preflight(after));
}

TEST(OpenCvCompat, StripAttrsDropsTypesOpenCvCannotParse) {
  Graph before = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "_output_shapes" value { list { shape { dim { size: 2 } } } } }
       attr { key: "shape" value { shape { dim { size: 2 } } } } }
node { name: "out" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "Tresource" value { type: DT_RESOURCE } } attr { key: "Tlist" value { list { type: DT_FLOAT type: DT_VARIANT } } } }
)");
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_strip_attrs"), std::string::npos);
  Graph after = apply_transforms(before, "opencv_strip_attrs", {"x"}, {"out"});
  EXPECT_EQ(after.find("x")->attr("_output_shapes"), nullptr);
  EXPECT_NE(after.find("x")->attr("shape"), nullptr);
  EXPECT_EQ(after.find("out")->attrs().size(), 1);
  EXPECT_EQ(after.find("out")->attrs().Get(0).key(), "T");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_TRUE(opencv_preflight(after).empty());
}

TEST(OpenCvCompat, PreflightNamesDropoutAndUnknownOps) {
  Graph g = parse_graph(R"(
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 2 } } } }
node { name: "r" op: "RandomUniform" input: "s" attr { key: "T" value { type: DT_INT32 } } attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "e" op: "Erfc" input: "r" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "w/Initializer/random_uniform/RandomUniform" op: "RandomUniform" input: "s" attr { key: "T" value { type: DT_INT32 } } attr { key: "dtype" value { type: DT_FLOAT } } }
)");
  std::string text = preflight_text(opencv_preflight(g));
  EXPECT_NE(text.find("r (RandomUniform): dropout left in the graph; run remove_dropout"), std::string::npos) << text;
  // A variable's initializer is no dropout: the hint says to freeze.
  EXPECT_NE(text.find("w/Initializer/random_uniform/RandomUniform (RandomUniform): a variable's initializer"),
            std::string::npos)
      << text;
  // Erfc: "Can't create layer ... of type Erfc" in OpenCV 4.6 (Erf it runs: OpenCvPreflight.UnaryOpsOpenCvCreatesByName).
  EXPECT_NE(text.find("e (Erfc): OpenCV 4.6 has no importer for Erfc"), std::string::npos) << text;
}

// x[1,2,3,4] -> Relu -> Reshape([1,24]): OpenCV cannot tell the layout.
const char* kPlainFlatten = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 3 } dim { size: 4 } } } } }
node { name: "relu" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 1 int_val: 24 } } } }
node { name: "out" op: "Reshape" input: "relu" input: "s" attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tshape" value { type: DT_INT32 } } }
)";

TEST(OpenCvCompat, ReshapeLayoutMakesOpenCvFlattenInNhwcOrder) {
  Graph before = parse_graph(kPlainFlatten);
  Graph after = apply_transforms(before, "opencv_reshape_layout", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "relu = Relu(x)\n"
            "s = Const[DT_INT32 [2]]()\n"
            "out = Reshape(out/opencv_nhwc, s)\n"
            "out/opencv_nhwc/zeros = Const[DT_FLOAT [4]]()\n"
            "out/opencv_nhwc = BiasAdd(relu, out/opencv_nhwc/zeros)\n");
  auto feeds = random_feeds(before, {"out"});
  expect_same_outputs(before, after, {"out"}, feeds, 0);
  // OpenCV: wrong order before, TF's order after.
  fs::path dir = scratch_dir();
  save_graph(before, dir / "before.pb");
  save_graph(after, dir / "after.pb");
  VerifyOptions options;
  options.feeds = feeds;
  options.outputs = {"out"};
  EXPECT_FALSE(verify_model(dir / "before.pb", &before, options).ok());
  VerifyReport report = verify_model(dir / "after.pb", &before, options);
  EXPECT_TRUE(report.ok()) << report.opencv_error << report.table();
}

// Select(flag=false, batch_stat, moving_stat) -> out, the batch statistic computed from x.
TEST(OpenCvCompat, ResolveSelectPicksTheBranchOfAConstantCondition) {
  Graph before = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 2 } dim { size: 3 } } } } }
node { name: "flag" op: "Const" attr { key: "dtype" value { type: DT_BOOL } } attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape { } bool_val: false } } } }
node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 0 } } } }
node { name: "batch_mean" op: "Mean" input: "x" input: "axis" attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } } }
node { name: "moving_mean" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } } float_val: 0.5 float_val: -1 float_val: 2 } } } }
node { name: "sel" op: "Select" input: "flag" input: "batch_mean" input: "moving_mean" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "out" op: "Sub" input: "x" input: "sel" attr { key: "T" value { type: DT_FLOAT } } }
)");
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("sel (Select): a training switch"), std::string::npos);
  Graph after = apply_transforms(before, "opencv_resolve_select", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "moving_mean = Const[DT_FLOAT [3]]()\n"
            "out = Sub(x, moving_mean)\n");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}), 0);
  EXPECT_TRUE(opencv_preflight(after).empty()) << preflight_text(opencv_preflight(after));
}

// x[1,12] -> Reshape([1,2,3,2]) -> Conv2D: OpenCV 4.6 inserts an NHWC permute
// on the 2-D blob ("permute_layer ... _numAxes == inputs[0].size()").
TEST(OpenCvCompat, PreflightFlagsReshapeTo4dOfUnknownLayout) {
  Graph g = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 4 } } int_val: 1 int_val: 2 int_val: 3 int_val: 2 } } } }
node { name: "r" op: "Reshape" input: "x" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
)");
  std::string text = preflight_text(opencv_preflight(g));
  EXPECT_NE(text.find("r (Reshape): Reshape to a 4-D NHWC shape: OpenCV 4.6 reads it as NCHW"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace tfprod
