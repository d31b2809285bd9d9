// ONNX export, op family by op family: each TF graph is converted, passes
// ONNX's checker, and computes in OpenCV 4.6's ONNX importer and in ONNX
// Runtime what tfprod's evaluator computes on the TF graph.
#include <gtest/gtest.h>

#include <functional>

#include "onnx_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/onnx.h"

namespace tfprod {
namespace {

using test::TfGraph;

constexpr double kTol = 1e-4;

void expect_matches(const test::RuntimeCheck& c, bool opencv = true) {
  ASSERT_TRUE(c.error.empty()) << c.error;
  if (opencv) {
    EXPECT_GE(c.opencv_diff, 0);
    EXPECT_LE(c.opencv_diff, kTol);
  }
  if (test::have_onnxruntime()) {
    EXPECT_GE(c.ort_diff, 0);
    EXPECT_LE(c.ort_diff, kTol);
  } else {
    std::printf("ONNX Runtime not installed (tests/js: npm ci --ignore-scripts): checked in OpenCV only\n");
  }
}

void set(tfprod::tf::NodeDef& n, const char* k, const char* v) { GraphBuilder::str(n, k, v); }
void set(tfprod::tf::NodeDef& n, const char* k, std::initializer_list<int64_t> v) { GraphBuilder::ints(n, k, v); }

// conv -> bias -> relu -> pool -> strided conv -> avg pool -> depthwise.
TfGraph conv_net() {
  TfGraph g;
  g.placeholder("x", {1, 9, 9, 3});
  g.weights("w1", {3, 3, 3, 4});
  g.weights("b1", {4});
  g.weights("w2", {3, 3, 4, 5});
  g.weights("w3", {3, 3, 5, 2});
  auto& c1 = g.op("conv1", "Conv2D", {"x", "w1"});
  set(c1, "padding", "SAME");
  set(c1, "strides", {1, 1, 1, 1});
  g.op("bias1", "BiasAdd", {"conv1", "b1"});
  g.op("relu1", "Relu", {"bias1"});
  auto& p1 = g.op("pool1", "MaxPool", {"relu1"});
  set(p1, "padding", "SAME");
  set(p1, "ksize", {1, 2, 2, 1});
  set(p1, "strides", {1, 2, 2, 1});
  auto& c2 = g.op("conv2", "Conv2D", {"pool1", "w2"});
  set(c2, "padding", "SAME");
  set(c2, "strides", {1, 2, 2, 1});
  auto& p2 = g.op("pool2", "AvgPool", {"conv2"});
  set(p2, "padding", "SAME");
  set(p2, "ksize", {1, 3, 3, 1});
  set(p2, "strides", {1, 1, 1, 1});
  auto& d = g.op("dw", "DepthwiseConv2dNative", {"pool2", "w3"});
  set(d, "padding", "SAME");
  set(d, "strides", {1, 1, 1, 1});
  g.op("out", "Tanh", {"dw"});
  return g;
}

TEST(OnnxNn, ConvPoolDepthwiseMatchInOpenCvAndOnnxRuntime) {
  auto c = test::check_onnx(conv_net().graph(), {"x"}, {"out"});
  expect_matches(c);
  // Only the boundary is NHWC: one Transpose in, one out.
  EXPECT_EQ(c.model.transposes, 2u);
}

TEST(OnnxNn, ATransposeOfSizeOneDimsBecomesAReshape) {
  TfGraph g;
  g.placeholder("x", {1, 6, 6, 1});
  g.weights("w", {3, 3, 1, 1});
  auto& c1 = g.op("conv", "Conv2D", {"x", "w"});
  set(c1, "padding", "SAME");
  set(c1, "strides", {1, 1, 1, 1});
  g.op("out", "Relu", {"conv"});
  auto c = test::check_onnx(g.graph(), {"x"}, {"out"});
  expect_matches(c);
  EXPECT_EQ(c.model.transposes, 0u);  // NHWC with one channel is NCHW's memory order
}

TEST(OnnxNn, NchwInputsAndOutputsLeaveNoTranspose) {
  OnnxOptions o;
  o.inputs_as_nchw = {"x"};
  o.outputs_as_nchw = {"out:0"};
  auto c = test::check_onnx(conv_net().graph(), {"x"}, {"out"}, o);
  expect_matches(c);
  EXPECT_EQ(c.model.transposes, 0u);
}

TEST(OnnxNn, WithoutTheOptimizerEveryNhwcOpKeepsItsTransposes) {
  OnnxOptions o;
  o.optimize_transposes = false;
  auto c = test::check_onnx(conv_net().graph(), {"x"}, {"out"}, o);
  expect_matches(c);
  EXPECT_EQ(c.model.transposes, 10u);  // 5 NHWC ops, each between two
}

TEST(OnnxNn, TransposedConvolutionAndBatchNorm) {
  TfGraph g;
  g.placeholder("x", {1, 5, 5, 4});
  g.weights("w", {3, 3, 2, 4});  // [KH, KW, out, in]
  g.ints("size", {1, 10, 10, 2});
  for (const char* v : {"scale", "offset", "mean"}) g.weights(v, {2});
  g.weights("var", {2}, 0.5f, true);
  auto& t = g.op("deconv", "Conv2DBackpropInput", {"size", "w", "x"});
  set(t, "padding", "SAME");
  set(t, "strides", {1, 2, 2, 1});
  auto& bn = g.op("bn", "FusedBatchNormV3", {"deconv", "scale", "offset", "mean", "var"});
  GraphBuilder::boolean(bn, "is_training", false);
  GraphBuilder::type(bn, "U", tfprod::tf::DT_FLOAT);
  g.op("out", "Relu6", {"bn"});
  expect_matches(test::check_onnx(g.graph(), {"x"}, {"out"}));
}

TEST(OnnxMatMul, DenseLayersAndTransposedWeights) {
  TfGraph g;
  g.placeholder("x", {2, 6});
  g.weights("w1", {6, 4});
  g.weights("b1", {4});
  g.weights("w2", {5, 4});
  g.op("mm1", "MatMul", {"x", "w1"});
  g.op("bias1", "BiasAdd", {"mm1", "b1"});
  g.op("relu", "Relu", {"bias1"});
  GraphBuilder::boolean(g.op("mm2", "MatMul", {"relu", "w2"}), "transpose_b", true);
  g.op("out", "Softmax", {"mm2"});
  auto c = test::check_onnx(g.graph(), {"x"}, {"out"});
  expect_matches(c);
  EXPECT_EQ(c.model.transposes, 0u);
}

// The ops of a converted model, from its file as written.
std::map<std::string, std::size_t> op_counts(const OnnxModel& model, const std::string& name) {
  const auto path = test::scratch_dir() / (name + ".onnx");
  write_file_atomically(path, model.bytes);
  return read_onnx_info(path).ops;
}

// MatMul by constant weights then Add of a constant bias: one Gemm each (one
// InnerProduct with its bias in OpenCV, which fuses the Relu after it too);
// a MatMul with no bias, or a bias that is not a constant, stays as it is.
TEST(OnnxMatMul, DenseLayerWithBiasIsOneGemm) {
  TfGraph g;
  g.placeholder("x", {3, 6});
  g.placeholder("shift", {3, 2});
  g.weights("w1", {6, 4});
  g.weights("b1", {4});
  g.weights("w2", {4, 5});
  g.weights("b2", {5});
  g.weights("w3", {5, 2});
  g.weights("w4", {2, 2});
  g.op("mm1", "MatMul", {"x", "w1"});
  g.op("bias1", "BiasAdd", {"mm1", "b1"});
  g.op("relu", "Relu", {"bias1"});
  g.op("mm2", "MatMul", {"relu", "w2"});
  g.op("add2", "AddV2", {"b2", "mm2"});  // the bias first
  g.op("tanh", "Tanh", {"add2"});
  g.op("mm3", "MatMul", {"tanh", "w3"});  // no bias
  g.op("mm4", "MatMul", {"mm3", "w4"});
  g.op("add4", "AddV2", {"mm4", "shift"});  // not a constant
  g.op("out", "Softmax", {"add4"});
  auto c = test::check_onnx(g.graph(), {"x", "shift"}, {"out"});
  expect_matches(c);
  auto ops = op_counts(c.model, "dense_gemm");
  EXPECT_EQ(ops["Gemm"], 2u);
  EXPECT_EQ(ops["MatMul"], 2u);
  EXPECT_EQ(ops["Add"], 1u);
}

// One weight matrix read by two dense layers (W^T then made beside W, once)
// and by a MatMul with no bias (which keeps W).
TEST(OnnxMatMul, SharedDenseWeightsInGemmsAndAMatMul) {
  TfGraph g;
  g.placeholder("x", {2, 4});
  g.weights("w", {4, 4});
  g.weights("b1", {4});
  g.weights("b2", {4});
  g.op("mm1", "MatMul", {"x", "w"});
  g.op("bias1", "BiasAdd", {"mm1", "b1"});
  g.op("tanh", "Tanh", {"bias1"});
  g.op("mm2", "MatMul", {"tanh", "w"});
  g.op("bias2", "BiasAdd", {"mm2", "b2"});
  g.op("mm3", "MatMul", {"bias2", "w"});
  g.op("out", "Sigmoid", {"mm3"});
  auto c = test::check_onnx(g.graph(), {"x"}, {"out"});
  expect_matches(c);
  auto ops = op_counts(c.model, "shared_gemm");
  EXPECT_EQ(ops["Gemm"], 2u);
  EXPECT_EQ(ops["MatMul"], 1u);
}

TEST(OnnxMatMul, FlattenAfterConvFoldsTheTransposeIntoTheWeights) {
  TfGraph g;
  g.placeholder("x", {1, 4, 4, 2});
  g.weights("w", {3, 3, 2, 3});
  g.weights("dense", {48, 5});
  g.ints("flat", {1, 48});
  auto& c = g.op("conv", "Conv2D", {"x", "w"});
  set(c, "padding", "SAME");
  set(c, "strides", {1, 1, 1, 1});
  g.op("relu", "Relu", {"conv"});
  g.op("flatten", "Reshape", {"relu", "flat"});
  g.op("out", "MatMul", {"flatten", "dense"});
  OnnxOptions o;
  o.inputs_as_nchw = {"x"};
  auto r = test::check_onnx(g.graph(), {"x"}, {"out"}, o);
  expect_matches(r);
  EXPECT_EQ(r.model.transposes, 0u);
}

TEST(OnnxMatMul, DenseReshapedToAnImageFoldsTheTransposeIntoTheWeights) {
  TfGraph g;
  g.placeholder("x", {1, 6});
  g.weights("dense", {6, 32});
  g.weights("bias", {32});
  g.weights("w", {3, 3, 2, 3});
  g.ints("image", {1, 4, 4, 2});
  g.op("mm", "MatMul", {"x", "dense"});
  g.op("biased", "BiasAdd", {"mm", "bias"});
  g.op("reshaped", "Reshape", {"biased", "image"});
  g.op("tanh", "Tanh", {"reshaped"});
  auto& c = g.op("conv", "Conv2D", {"tanh", "w"});
  set(c, "padding", "SAME");
  set(c, "strides", {1, 1, 1, 1});
  g.op("out", "Relu", {"conv"});
  OnnxOptions o;
  o.outputs_as_nchw = {"out"};
  auto r = test::check_onnx(g.graph(), {"x"}, {"out"}, o);
  expect_matches(r);
  EXPECT_EQ(r.model.transposes, 0u);
}

TEST(OnnxElementwise, BinaryUnaryAndActivations) {
  TfGraph g;
  g.placeholder("x", {1, 3, 4});
  g.placeholder("y", {1, 3, 4});
  g.weights("c", {4});
  g.op("add", "AddV2", {"x", "y"});
  g.op("sub", "Sub", {"add", "c"});
  g.op("mul", "Mul", {"sub", "y"});
  g.op("absy", "Abs", {"y"});
  g.op("sq", "Square", {"x"});
  g.op("one", "Exp", {"absy"});  // >= 1
  g.op("div", "RealDiv", {"mul", "one"});
  g.op("max", "Maximum", {"div", "x"});
  g.weights("limit", {});
  g.op("min", "Minimum", {"max", "limit"});
  g.op("max2", "Maximum", {"limit", "min"});
  g.op("sig", "Sigmoid", {"max2"});
  g.op("tanh", "Tanh", {"sub"});
  g.op("relu6", "Relu6", {"mul"});
  g.op("elu", "Elu", {"mul"});
  auto& leaky = g.op("leaky", "LeakyRelu", {"sub"});
  auto* alpha = leaky.add_attr();
  alpha->set_key("alpha");
  alpha->mutable_value()->set_f(0.1f);
  g.op("rs", "Rsqrt", {"one"});
  g.op("sd", "SquaredDifference", {"x", "y"});
  g.op("neg", "Neg", {"sq"});
  auto& addn = g.op("sum", "AddN", {"sig", "tanh", "relu6", "elu", "leaky", "rs", "sd", "neg"});
  GraphBuilder::integer(addn, "N", 8);
  g.op("out", "Softmax", {"sum"});
  expect_matches(test::check_onnx(g.graph(), {"x", "y"}, {"out", "sum"}));
}

TEST(OnnxArray, ReshapeConcatPackUnpackSliceAndPad) {
  TfGraph g;
  g.placeholder("x", {2, 3, 4});
  g.ints("shape", {2, 12});
  g.ints("axis", {1});
  g.ints("perm", {0, 2, 1});
  g.ints("begin", {0, 1, 0});
  g.ints("end", {2, 3, 4});
  g.ints("strides", {1, 1, 2});
  g.ints("sbegin", {0, 0, 1});
  g.ints("ssize", {-1, 2, 3});
  g.ints("paddings", {0, 0, 1, 2, 0, 1}, {3, 2});
  g.op("r", "Reshape", {"x", "shape"});
  g.op("t", "Transpose", {"x", "perm"});  // [2,4,3]
  auto& pk = g.op("pack", "Pack", {"x", "x"});
  GraphBuilder::integer(pk, "axis", 1);
  GraphBuilder::integer(pk, "N", 2);
  auto& up = g.op("unpack", "Unpack", {"x"});
  GraphBuilder::integer(up, "axis", 1);
  GraphBuilder::integer(up, "num", 3);
  auto& cc = g.op("concat", "ConcatV2", {"unpack:0", "unpack:2", "axis"});  // [2,8]
  GraphBuilder::integer(cc, "N", 2);
  GraphBuilder::type(cc, "Tidx", tfprod::tf::DT_INT32);
  auto& ss = g.op("ss", "StridedSlice", {"x", "begin", "end", "strides"});
  GraphBuilder::type(ss, "Index", tfprod::tf::DT_INT32);
  GraphBuilder::integer(ss, "begin_mask", 0);
  GraphBuilder::integer(ss, "end_mask", 0);
  g.op("slice", "Slice", {"x", "sbegin", "ssize"});
  g.op("pad", "Pad", {"x", "paddings"});
  const std::vector<std::string> outs{"r", "t", "pack", "concat", "ss", "slice", "pad", "unpack:1"};
  expect_matches(test::check_onnx(g.graph(), {"x"}, outs));
}

TEST(OnnxReduction, MeanSumMaxKeepDimsAndArgMax) {
  TfGraph g;
  g.placeholder("x", {2, 3, 4});
  g.ints("a1", {1});
  g.ints("a2", {-1, 0});
  GraphBuilder::boolean(g.op("mean", "Mean", {"x", "a1"}), "keep_dims", true);
  g.op("sum", "Sum", {"x", "a2"});
  g.op("max", "Max", {"x", "a1"});
  auto& am = g.op("argmax", "ArgMax", {"x", "a1"});
  GraphBuilder::type(am, "output_type", tfprod::tf::DT_INT64);
  const std::vector<std::string> outs{"mean", "sum", "max", "argmax"};
  expect_matches(test::check_onnx(g.graph(), {"x"}, outs));
}

// The opset-dependent forms (ReduceSum's axes, Split's sizes) at both ends of the range.
TEST(OnnxOpsets, ElevenAndSeventeenGiveTheSameNumbers) {
  TfGraph g;
  g.placeholder("x", {2, 6});
  g.ints("axes", {1});
  g.ints("dim", {1});
  auto& sp = g.op("split", "Split", {"dim", "x"});
  GraphBuilder::integer(sp, "num_split", 2);
  GraphBuilder::boolean(g.op("sum", "Sum", {"split:1", "axes"}), "keep_dims", true);
  g.op("out", "Mul", {"sum", "sum"});  // [2, 1]
  for (int opset : {11, 13, 17}) {
    SCOPED_TRACE(opset);
    OnnxOptions o;
    o.opset = opset;
    expect_matches(test::check_onnx(g.graph(), {"x"}, {"out", "split"}, o));
  }
  OnnxOptions bad;
  bad.opset = 18;
  EXPECT_THROW(convert_to_onnx(g.graph(), {"x"}, {"out"}, bad), Error);
}

TEST(OnnxErrors, AnOpWithoutAHandlerIsNamed) {
  TfGraph g;
  g.placeholder("x", {2, 6});
  g.op("weird", "Cumprod", {"x"});
  try {
    convert_to_onnx(g.graph(), {"x"}, {"weird"});
    FAIL() << "converted an op with no handler";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weird (Cumprod)"), std::string::npos) << e.what();
  }
}

TEST(OnnxNames, PortZeroDropsItsSuffixOtherPortsKeepIt) {
  EXPECT_EQ(onnx_name("a:0"), "a");
  EXPECT_EQ(onnx_name("a"), "a");
  EXPECT_EQ(onnx_name("scope/a:2"), "scope/a:2");
}

}  // namespace
}  // namespace tfprod

namespace tfprod {
namespace {

// x [1,4,4,2] NCHW-fed -> conv: the NHWC Transpose after the convolution
// must travel to the output. `tail` adds the ops under test after "conv".
test::RuntimeCheck conv_then(const std::function<void(TfGraph&)>& tail, const std::string& out, bool nchw_out) {
  TfGraph g;
  g.placeholder("x", {1, 4, 4, 2});
  g.weights("w", {1, 1, 2, 4});
  auto& c = g.op("conv", "Conv2D", {"x", "w"});
  set(c, "padding", "SAME");
  set(c, "strides", {1, 1, 1, 1});
  tail(g);
  OnnxOptions o;
  o.inputs_as_nchw = {"x"};
  if (nchw_out) o.outputs_as_nchw = {out};
  return test::check_onnx(g.graph(), {"x"}, {out}, o);
}

// A Transpose read by two branches that meet again (leaky ReLU as
// max(x, a*x); x * rsqrt(sum(x*x)), an L2 norm) is pushed down both.
TEST(OnnxTransposes, ABranchingTransposeIsPushedWhereTheBranchesMeet) {
  auto leaky = conv_then(
      [](TfGraph& g) {
        g.weights("alpha", {});
        g.op("scaled", "Mul", {"conv", "alpha"});
        g.op("out", "Maximum", {"conv", "scaled"});
      },
      "out", true);
  expect_matches(leaky);
  EXPECT_EQ(leaky.model.transposes, 0u);
  auto l2 = conv_then(
      [](TfGraph& g) {
        g.ints("c", {3});
        g.op("sq", "Square", {"conv"});
        GraphBuilder::boolean(g.op("ss", "Sum", {"sq", "c"}), "keep_dims", true);
        g.op("inv", "Rsqrt", {"ss"});
        g.op("out", "Mul", {"conv", "inv"});
      },
      "out", true);
  expect_matches(l2);
  EXPECT_EQ(l2.model.transposes, 0u);
  // Branches that do not meet again keep the one Transpose each output needs.
  auto apart = conv_then(
      [](TfGraph& g) {
        g.op("a", "Relu", {"conv"});
        g.op("b", "Tanh", {"conv"});
        g.ints("c", {3});
        g.op("out", "ConcatV2", {"a", "b", "c"});
      },
      "out", false);
  expect_matches(apart);
  EXPECT_LE(apart.model.transposes, 1u);
}

// Global average pooling written as Mean over H, W without keep_dims: [N, C]
// in either layout, so no Transpose is left.
TEST(OnnxTransposes, AMeanWithoutKeepDimsTakesTheTransposeAway) {
  auto r = conv_then(
      [](TfGraph& g) {
        g.ints("hw", {1, 2});
        g.op("out", "Mean", {"conv", "hw"});
      },
      "out", false);
  expect_matches(r);
  EXPECT_EQ(r.model.transposes, 0u);
}

// A Split on channels after a convolution splits the NCHW tensor on axis 1.
TEST(OnnxTransposes, ASplitOnChannelsCarriesTheTransposeToEachPart) {
  auto r = conv_then(
      [](TfGraph& g) {
        g.ints("dim", {3});
        GraphBuilder::integer(g.op("split", "Split", {"dim", "conv"}), "num_split", 2);
        g.op("out", "Sub", {"split", "split:1"});
      },
      "out", true);
  expect_matches(r);
  EXPECT_EQ(r.model.transposes, 0u);
}

// A Slice after a convolution slices the NCHW tensor, its axes listed in
// order (OpenCV 4.6 refuses them out of order).
TEST(OnnxTransposes, ASliceTakesItsAxesIntoTheOtherLayout) {
  auto r = conv_then(
      [](TfGraph& g) {
        g.ints("begin", {0, 1, 0, 1});
        g.ints("size", {1, 2, 3, 2});
        g.op("out", "Slice", {"conv", "begin", "size"});
      },
      "out", true);
  expect_matches(r);
  EXPECT_EQ(r.model.transposes, 0u);
}

}  // namespace
}  // namespace tfprod
