// The OpenCV passes of issue 14 (Tile -> Concat, Div -> RealDiv, Mean/Sum
// over other axes, Unpack -> Split + Reshape, the Const order OpenCV's
// fusions expect) and the MVN batch norm: each rewrite evaluated before and
// after on the same inputs, and the exported model loaded and matched by
// OpenCV 4.6; Sqrt, which OpenCV runs as is, passes the pre-flight.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "graph_text_support.h"
#include "opencv_compat_support.h"
#include "passes/passes.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/verify.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using test::count_op;
using test::node;
using test::shaped_placeholder;

std::string conv(int channels_out = 3) {
  std::string w;
  for (int i = 0; i < 2 * channels_out; ++i) w += " float_val: " + std::to_string(0.25f * static_cast<float>(i % 5) - 0.5f);
  return shaped_placeholder("x", {1, 4, 5, 2}) +
         "node { name: 'w' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { "
         "tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: " +
         std::to_string(channels_out) + " } }" + w + " } } } }\n" +
         node("conv", "Conv2D", {"x", "w"},
              "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } "
              "} attr { key: 'padding' value { s: 'SAME' } } attr { key: 'data_format' value { s: 'NHWC' } }");
}

std::string ints(const std::string& name, const std::vector<int>& v, bool scalar = false) {
  std::string vals;
  for (int i : v) vals += " int_val: " + std::to_string(i);
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } attr { key: 'value' "
         "value { tensor { dtype: DT_INT32 tensor_shape {" +
         (scalar ? std::string() : " dim { size: " + std::to_string(v.size()) + " }") + " }" + vals + " } } } }\n";
}

std::string reduce(const std::string& name, const std::string& op, const std::string& in, const std::string& axes,
                   bool keep) {
  return node(name, op, {in, axes},
              std::string("attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'Tidx' value { type: DT_INT32 } } "
                          "attr { key: 'keep_dims' value { b: ") +
                  (keep ? "true" : "false") + " } }");
}

// The pass alone keeps the values; the whole export verifies in OpenCV.
void check(const std::string& pbtxt, const std::string& pass, const std::string& gone, int after_count = 0) {
  Graph before = test::parse_graph(pbtxt);
  Graph after = test::apply_transforms(before, pass, {"x"}, {"y"});
  EXPECT_EQ(count_op(after, gone), after_count) << test::graph_text(after);
  test::expect_same_outputs(before, after, {"y"}, test::random_feeds(before, {"y"}), 1e-6);
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "g.pbtxt") << pbtxt;
  ExportOptions options;
  options.source = dir / "g.pbtxt";
  options.inputs = {InputSpec::parse("x")};
  options.outputs = {"y"};
  ExportReport r = export_model(options, dir / "model.pb");
  EXPECT_TRUE(r.verified) << pass << ": " << r.failure;
}

// Whether OpenCV 4.6 itself runs the graph as it is (written as a binary
// GraphDef, no tfprod pass) and matches the evaluator on random inputs.
bool opencv_runs_as_is(const std::string& pbtxt) {
  const fs::path file = test::scratch_dir() / "as_is.pb";
  std::ofstream(file, std::ios::binary) << test::parse_graph(pbtxt).to_graphdef().SerializeAsString();
  VerifyOptions options;
  options.outputs = {"y"};
  return verify_model(file, nullptr, options).ok();
}

TEST(OpenCvPasses, TileWithConstantMultiplesBecomesConcat) {
  for (std::vector<int> m : {std::vector<int>{1, 1, 1, 3}, {1, 2, 1, 1}, {1, 2, 3, 1}, {1, 1, 1, 1}}) {
    SCOPED_TRACE(::testing::PrintToString(m));
    const std::string g = conv() + ints("m", m) +
                          node("y", "Tile", {"conv", "m"},
                               "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'Tmultiples' value { type: "
                               "DT_INT32 } }");
    EXPECT_NE(preflight_text(opencv_preflight(test::parse_graph(g))).find("y (Tile)"), std::string::npos);
    check(g, "opencv_tile_to_concat", "Tile");
  }
}

TEST(OpenCvPasses, FloatDivBecomesRealDivIntegerDivStays) {
  const std::string g = conv() +
                        "node { name: 's' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: "
                        "'value' value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 3 } } } }\n" +
                        node("y", "Div", {"conv", "s"});
  EXPECT_NE(preflight_text(opencv_preflight(test::parse_graph(g))).find("y (Div)"), std::string::npos);
  check(g, "opencv_div_to_realdiv", "Div");
  Graph ints_graph = test::parse_graph(ints("a", {7, -7}) + ints("b", {2, 2}) +
                                       node("y", "Div", {"a", "b"}, "attr { key: 'T' value { type: DT_INT32 } }"));
  Graph same = test::apply_transforms(ints_graph, "opencv_div_to_realdiv", {}, {"y"});
  EXPECT_EQ(same.find("y")->op, "Div");
}

TEST(OpenCvPasses, MeanAndSumOverOtherAxesBecomeFormsOpenCvReads) {
  struct Case {
    std::string op;
    std::vector<int> axes;
    bool keep;
    bool flat;  // reduce a 2-D [N,C] tensor (a Reshape first)
    int left;   // reductions of this op after the pass
  };
  for (const Case& c : std::vector<Case>{{"Mean", {1, 2, 3}, true, false, 2},
                                         {"Sum", {1, 2, 3}, false, false, 1},
                                         {"Mean", {-1, 1}, true, false, 2},
                                         {"Mean", {1}, false, true, 0},
                                         {"Sum", {-1}, true, true, 0}}) {
    SCOPED_TRACE(c.op + " " + ::testing::PrintToString(c.axes) + (c.keep ? " keep" : "") + (c.flat ? " 2-D" : ""));
    std::string g = conv() + ints("axes", c.axes);
    std::string in = "conv";
    if (c.flat) {
      g += ints("flat_shape", {1, 60}) +
           node("flat", "Reshape", {"conv", "flat_shape"},
                "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'Tshape' value { type: DT_INT32 } }");
      in = "flat";
    }
    g += reduce("y", c.op, in, "axes", c.keep);
    EXPECT_NE(preflight_text(opencv_preflight(test::parse_graph(g))).find("y (" + c.op + ")"), std::string::npos)
        << preflight_text(opencv_preflight(test::parse_graph(g)));
    Graph after = test::apply_transforms(test::parse_graph(g), "opencv_reduce_axes", {"x"}, {"y"});
    EXPECT_EQ(preflight_text(opencv_preflight(after)), "");
    check(g, "opencv_reduce_axes", c.op, c.left);
  }
}

TEST(OpenCvPasses, ReductionsOpenCvReadsAndL2NormalizeStay) {
  const std::string g = conv() + ints("axes", {1, 2}) + reduce("y", "Mean", "conv", "axes", true);
  EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))), "");
  Graph same = test::apply_transforms(test::parse_graph(g), "opencv_reduce_axes", {"x"}, {"y"});
  EXPECT_EQ(test::graph_text(same), test::graph_text(test::parse_graph(g)));
  const std::string l2 = conv() + ints("axes", {1, 2, 3}) + node("sq", "Square", {"conv"}) +
                         reduce("sum", "Sum", "sq", "axes", true) + node("r", "Rsqrt", {"sum"}) +
                         node("y", "Mul", {"conv", "r"});
  Graph kept = test::apply_transforms(test::parse_graph(l2), "opencv_reduce_axes", {"x"}, {"y"});
  EXPECT_EQ(test::graph_text(kept), test::graph_text(test::parse_graph(l2)));
  EXPECT_EQ(preflight_text(opencv_preflight(kept)), "");
}

TEST(OpenCvPasses, UnpackOverTimeBecomesSplitAndReshape) {
  const std::string g = shaped_placeholder("x", {2, 3, 4}) +
                        node("u", "Unpack", {"x"},
                             "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'num' value { i: 3 } } attr { "
                             "key: 'axis' value { i: 1 } }") +
                        node("a", "Sub", {"u:0", "u:2"}) + node("y", "Mul", {"a", "u:1"});
  Graph before = test::parse_graph(g);
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("u (Unpack)"), std::string::npos);
  Graph after = test::apply_transforms(before, "opencv_unpack_to_split", {"x"}, {"y"});
  EXPECT_EQ(count_op(after, "Unpack"), 0);
  EXPECT_EQ(count_op(after, "Split"), 1);
  EXPECT_EQ(count_op(after, "Reshape"), 3);
  test::expect_same_outputs(before, after, {"y"}, test::random_feeds(before, {"y"}), 0);
  EXPECT_EQ(preflight_text(opencv_preflight(after)), "");
}

// A Const may list fewer values than its shape holds (TF repeats the last
// one; constant folding writes a tensor of equal values as one float_val).
// OpenCV 4.6's importer sizes the blob from the list and fails
// "size == (int)dstBlob.total()" (measured on this batch norm). The
// pre-flight names each such Const; opencv_expand_splats writes them in
// full, values unchanged; the exported model verifies in OpenCV.
TEST(OpenCvPasses, ConstsListingFewerValuesThanTheirShapeGetThemAll) {
  auto vec = [](const std::string& name, const std::vector<float>& v, int size) {
    std::string vals;
    for (float f : v) vals += " float_val: " + std::to_string(f);
    return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: "
           "'value' value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: " + std::to_string(size) + " } }" +
           vals + " } } } }\n";
  };
  const std::string g =
      shaped_placeholder("x", {1, 2, 3, 4}) + vec("scale", {1.5f, 0.5f, 2.0f}, 4) + vec("offset", {0.25f}, 4) +
      vec("mean", {0.125f}, 4) + vec("var", {}, 4) +
      "node { name: 'k' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { "
      "tensor { dtype: DT_FLOAT tensor_shape { } float_val: 2 } } } }\n" +
      node("bn", "FusedBatchNorm", {"x", "scale", "offset", "mean", "var"},
           "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'epsilon' value { f: 0.001 } } attr { key: "
           "'is_training' value { b: false } } attr { key: 'data_format' value { s: 'NHWC' } }") +
      node("m", "Mul", {"bn", "k"}) + node("y", "Relu", {"m"});
  const std::string before = preflight_text(opencv_preflight(test::parse_graph(g)));
  for (const char* c : {"scale (Const)", "offset (Const)", "mean (Const)", "var (Const)"})
    EXPECT_NE(before.find(c), std::string::npos) << c << " not named in:\n" << before;
  EXPECT_EQ(before.find("k (Const)"), std::string::npos) << "a 0-D Const is whole with one value:\n" << before;
  EXPECT_NE(before.find("lists 3 values for its shape [4]"), std::string::npos) << before;

  check(g, "opencv_expand_splats", "FusedBatchNorm", 1);
  Graph after = test::apply_transforms(test::parse_graph(g), "opencv_expand_splats", {"x"}, {"y"});
  for (const char* c : {"scale", "offset", "mean", "var"}) {
    const auto& t = after.find(c)->attr("value")->tensor();
    EXPECT_EQ(passes::stored_values(t), 4) << c;
    EXPECT_EQ(t.tensor_content().size(), 4 * sizeof(float)) << c;
  }
  EXPECT_TRUE(after.find("k")->attr("value")->tensor().tensor_content().empty()) << "the 0-D Const is left as it was";
  EXPECT_EQ(preflight_text(opencv_preflight(after)), "");
}

TEST(OpenCvPasses, SqrtRunsAsIs) {
  const std::string g = conv() + node("a", "Abs", {"conv"}) + node("y", "Sqrt", {"a"});
  EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))), "");
  check(g, "opencv_pattern_order", "Pow");  // nothing to rewrite: OpenCV runs Sqrt itself
}

TEST(OpenCvPasses, LoneNegAndRsqrtBecomeOpsOpenCvRuns) {
  const std::string neg = conv() + node("y", "Neg", {"conv"});
  EXPECT_NE(preflight_text(opencv_preflight(test::parse_graph(neg))).find("y (Neg)"), std::string::npos);
  check(neg, "opencv_unary_ops", "Neg");
  const std::string rsqrt = conv() + node("e", "Exp", {"conv"}) + node("y", "Rsqrt", {"e"});
  EXPECT_NE(preflight_text(opencv_preflight(test::parse_graph(rsqrt))).find("y (Rsqrt)"), std::string::npos);
  check(rsqrt, "opencv_unary_ops", "Rsqrt");
  Graph after = test::apply_transforms(test::parse_graph(rsqrt), "opencv_unary_ops", {"x"}, {"y"});
  EXPECT_EQ(after.find("y")->op, "Reciprocal");  // the output keeps its name
  EXPECT_EQ(preflight_text(opencv_preflight(after)), "");
}

TEST(OpenCvPasses, PReluAndL2NormalizeKeepTheNegAndRsqrtOpenCvFuses) {
  // Keras' PReLU: relu(x) + (-alpha) * relu(-x).
  const std::string alpha =
      "node { name: 'alpha' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { "
      "tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } } float_val: 0.1 float_val: 0.2 float_val: 0.3 } } } "
      "}\n";
  const std::string prelu = conv() + alpha + node("pos", "Relu", {"conv"}) + node("negx", "Neg", {"conv"}) +
                            node("reluneg", "Relu", {"negx"}) + node("nalpha", "Neg", {"alpha"}) +
                            node("mul", "Mul", {"nalpha", "reluneg"}) + node("y", "AddV2", {"pos", "mul"});
  EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(prelu))), "");
  Graph kept = test::apply_transforms(test::parse_graph(prelu), "opencv_unary_ops", {"x"}, {"y"});
  EXPECT_EQ(test::graph_text(kept), test::graph_text(test::parse_graph(prelu)));
  check(prelu, "opencv_pattern_order", "Tile");  // exports and verifies with its Negs
  // The same with the Add's inputs swapped is no pattern OpenCV knows: the
  // Neg goes, and the pre-flight names the Add, which OpenCV 4.6 fails on.
  std::string swapped = prelu;
  const std::string order = "input: \"pos\" input: \"mul\"";
  swapped.replace(swapped.find(order), order.size(), "input: \"mul\" input: \"pos\"");
  const std::string said = preflight_text(opencv_preflight(test::parse_graph(swapped)));
  EXPECT_NE(said.find("negx (Neg)"), std::string::npos) << said;
  Graph rewritten = test::apply_transforms(test::parse_graph(swapped), "opencv_unary_ops", {"x"}, {"y"});
  EXPECT_EQ(count_op(rewritten, "Neg"), 1);  // Neg(alpha) is a constant, left to fold_constants
  test::expect_same_outputs(test::parse_graph(swapped), rewritten, {"y"},
                            test::random_feeds(rewritten, {"y"}), 1e-6);
  Graph folded = test::apply_transforms(rewritten, "fold_constants", {"x"}, {"y"});
  EXPECT_NE(preflight_text(opencv_preflight(folded)).find("y (AddV2): adds 'mul'"), std::string::npos)
      << preflight_text(opencv_preflight(folded));
  const std::string l2 = conv() + ints("axes", {1, 2, 3}) + node("sq", "Square", {"conv"}) +
                         reduce("sum", "Sum", "sq", "axes", true) + node("r", "Rsqrt", {"sum"}) +
                         node("y", "Mul", {"conv", "r"});
  Graph l2_kept = test::apply_transforms(test::parse_graph(l2), "opencv_unary_ops", {"x"}, {"y"});
  EXPECT_EQ(test::graph_text(l2_kept), test::graph_text(test::parse_graph(l2)));
}

// Add(t, Mul(u, c)), c a per-channel Const: OpenCV 4.6 fails on it (a
// scalar c is fine); the pre-flight says so, and OpenCV agrees.
TEST(OpenCvPreflight, AddOfAChannelScaledTensor) {
  for (bool per_channel : {true, false}) {
    SCOPED_TRACE(per_channel ? "per channel" : "scalar");
    const std::string c =
        std::string("node { name: 'c' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' "
                    "value { tensor { dtype: DT_FLOAT tensor_shape {") +
        (per_channel ? " dim { size: 3 } } float_val: 0.1 float_val: 0.2 float_val: 0.3" : " } float_val: 0.3") +
        " } } } }\n";
    const std::string g = conv() + c + node("s", "Sigmoid", {"conv"}) + node("t", "Tanh", {"conv"}) +
                          node("m", "Mul", {"c", "t"}) + node("y", "AddV2", {"s", "m"});
    EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))).find("y (AddV2): adds 'm'") != std::string::npos,
              per_channel);
    EXPECT_EQ(opencv_runs_as_is(g), !per_channel) << "OpenCV 4.6 itself";
  }
}

TEST(OpenCvPasses, BroadcastBetweenComputedTensorsBecomesExplicit) {
  struct Case {
    std::string name, tail;
    int tiles;  // Tiles the pass adds
  };
  const std::string c3 = ints("c", {3}), h = ints("ax_h", {1}), w = ints("ax_w", {2}), hw = ints("hw", {1, 2});
  for (const Case& c : std::vector<Case>{
           // x - mean over the channels: [1,4,5,3] - [1,4,5,1]
           {"sub", c3 + reduce("m", "Mean", "conv", "c", true) + node("y", "Sub", {"conv", "m"}), 1},
           // a gate per pixel: [1,4,5,3] * sigmoid([1,4,5,1])
           {"mul", c3 + reduce("m", "Mean", "conv", "c", true) + node("g", "Sigmoid", {"m"}) +
                       node("y", "Mul", {"conv", "g"}), 1},
           // both sides: [1,4,1,3] + [1,1,5,3]
           {"both", h + w + reduce("a", "Mean", "conv", "ax_w", true) + reduce("b", "Mean", "conv", "ax_h", true) +
                        node("y", "AddV2", {"a", "b"}), 2},
           // [1,4,5,3] + [1,1,1,3]: OpenCV runs it as it is
           {"native", hw + reduce("m", "Mean", "conv", "hw", true) + node("y", "AddV2", {"conv", "m"}), 0}}) {
    SCOPED_TRACE(c.name);
    const std::string g = conv() + c.tail;
    EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))).find("y (") != std::string::npos, c.tiles > 0)
        << preflight_text(opencv_preflight(test::parse_graph(g)));
    check(g, "opencv_explicit_broadcast", "Tile", c.tiles);
    Graph after = test::apply_transforms(test::parse_graph(g), "opencv_explicit_broadcast opencv_tile_to_concat",
                                         {"x"}, {"y"});
    EXPECT_EQ(preflight_text(opencv_preflight(after)), "");
  }
  // 2-D: [2,3] + [1,3] (computed) is tiled.
  const std::string flat = shaped_placeholder("a", {2, 3}) + shaped_placeholder("b", {1, 3}) +
                           node("ra", "Relu", {"a"}) + node("sb", "Sigmoid", {"b"}) + node("y", "AddV2", {"ra", "sb"});
  Graph flat_after = test::apply_transforms(test::parse_graph(flat), "opencv_explicit_broadcast", {"a", "b"}, {"y"});
  EXPECT_EQ(count_op(flat_after, "Tile"), 1);
  test::expect_same_outputs(test::parse_graph(flat), flat_after, {"y"}, test::random_feeds(flat_after, {"y"}), 1e-6);
  // 4-D with no convolution before it: OpenCV would not know the layout is
  // NHWC and would concatenate along the wrong axis. Left alone, refused.
  const std::string plain = shaped_placeholder("x", {1, 4, 4, 4}) + ints("c", {3}) +
                            reduce("m", "Mean", "x", "c", true) + node("y", "Sub", {"x", "m"});
  Graph plain_after = test::apply_transforms(test::parse_graph(plain), "opencv_explicit_broadcast", {"x"}, {"y"});
  EXPECT_EQ(count_op(plain_after, "Tile"), 0);
  EXPECT_NE(preflight_text(opencv_preflight(plain_after)).find("y (Sub): broadcasts"), std::string::npos);
}

// ConcatV2 / Split along axis 1-3 of a 4-D tensor no convolution precedes:
// OpenCV 4.6 does not know it is NHWC (measured: wrong values). The
// pre-flight says so; after a Conv2D, or along axis 0, it is fine.
TEST(OpenCvPreflight, ConcatOfATensorOfUnknownLayout) {
  auto concat = [](const std::string& a, int axis) {
    return ints("axis", {axis}, true) + node("r", "Relu", {a}) +
           node("y", "ConcatV2", {a, "r", "axis"},
                "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'N' value { i: 2 } } attr { key: 'Tidx' value "
                "{ type: DT_INT32 } }");
  };
  for (int axis : {0, 1, 3, -1}) {
    SCOPED_TRACE(axis);
    const std::string plain = shaped_placeholder("x", {1, 4, 5, 2}) + concat("x", axis);
    EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(plain))).find("y (ConcatV2)") != std::string::npos,
              axis != 0);
    EXPECT_EQ(opencv_runs_as_is(plain), axis == 0) << "OpenCV 4.6 itself";
  }
  const std::string after_conv = conv() + concat("conv", 3);
  EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(after_conv))), "");
  EXPECT_TRUE(opencv_runs_as_is(after_conv));
}

// OpenCV 4.6 creates these by op name as its own layers; the pre-flight
// passes them, and the export verifies each in OpenCV.
TEST(OpenCvPreflight, UnaryOpsOpenCvCreatesByName) {
  for (const char* op : {"Erf", "Ceil", "Log", "Round", "Acos", "Asin", "Atan", "Cos", "Cosh", "Sin", "Sinh", "Tan",
                         "Sign", "Reciprocal", "Selu"}) {
    SCOPED_TRACE(op);
    // Inputs in (-1, 1) for acos and asin; exp keeps log's input positive.
    const std::string in = std::string(op) == "Log" ? "e" : "t";
    const std::string g = conv() + node("t", "Tanh", {"conv"}) + node("e", "Exp", {"conv"}) + node("y", op, {in});
    EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))), "");
    check(g, "opencv_pattern_order", "Tile");
  }
}

// Element-wise ops on two computed tensors, as OpenCV 4.6 runs them
// (measured: these are its results); the pre-flight says the same.
TEST(OpenCvPreflight, TwoTensorElementwiseOps) {
  struct Case {
    std::string op;
    Shape a, b;
    bool placeholders;  // both operands are network inputs
    bool runs;
  };
  for (const Case& c : std::vector<Case>{{"AddV2", {1, 4, 4, 4}, {1, 4, 4, 4}, true, true},
                                         {"AddV2", {1, 4, 4, 4}, {1, 1, 1, 4}, true, true},
                                         {"AddV2", {1, 1, 1, 4}, {1, 4, 4, 4}, true, true},
                                         {"Sub", {2, 4, 4, 4}, {2, 1, 1, 4}, true, true},
                                         {"AddV2", {1, 4, 4, 1}, {1, 4, 4, 4}, true, false},
                                         {"AddV2", {1, 4, 4, 4}, {1, 4, 1, 4}, true, false},
                                         {"AddV2", {1, 4, 4, 4}, {1, 1, 1, 1}, true, false},
                                         {"AddV2", {2, 3}, {1, 3}, true, false},
                                         {"AddV2", {1, 4, 4, 4}, {4}, true, false},
                                         {"Mul", {1, 4, 4, 4}, {1, 1, 1, 4}, true, false},
                                         {"Mul", {1, 4, 4, 4}, {1, 4, 4, 4}, true, false},
                                         {"RealDiv", {1, 4, 4, 4}, {1, 4, 4, 4}, true, false},
                                         {"Mul", {1, 4, 4, 4}, {1, 4, 4, 4}, false, true},
                                         {"RealDiv", {1, 4, 4, 4}, {1, 4, 4, 4}, false, true},
                                         {"Maximum", {1, 4, 4, 4}, {1, 4, 4, 4}, false, false},
                                         {"Minimum", {1, 4, 4, 4}, {1, 4, 4, 4}, false, false}}) {
    SCOPED_TRACE(c.op + " " + shape_string(c.a) + " " + shape_string(c.b) + (c.placeholders ? " inputs" : ""));
    std::string g = shaped_placeholder("a", c.a) + shaped_placeholder("b", c.b);
    if (c.placeholders) {
      g += node("y", c.op, {"a", "b"});
    } else {  // Relu(a) and Sigmoid(b): computed tensors
      g += node("ra", "Relu", {"a"}) + node("sb", "Sigmoid", {"b"}) + node("y", c.op, {"ra", "sb"});
    }
    EXPECT_EQ(preflight_text(opencv_preflight(test::parse_graph(g))).empty(), c.runs)
        << preflight_text(opencv_preflight(test::parse_graph(g)));
    EXPECT_EQ(opencv_runs_as_is(g), c.runs) << "OpenCV 4.6 itself";
  }
}

// --- opencv_extra nets the export used to refuse ----------------------------

struct Net {
  std::string name, input, output;
};

// Exports the net and runs it in OpenCV on NAME_in.npy: the scaled
// difference from TF's NAME_out.npy.
double export_and_compare(const Net& net, ExportReport* report) {
  const fs::path dir = test::corpus_dir() / "opencv_extra_tf";
  Tensor in = test::nchw_to_nhwc(read_npy(dir / (net.name + "_in.npy")));
  Tensor want = test::nchw_to_nhwc(read_npy(dir / (net.name + "_out.npy")));
  std::string shape;
  for (int64_t d : in.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
  fs::path out = test::scratch_dir() / (net.name + ".pb");
  ExportOptions options;
  options.source = dir / (net.name + "_net.pb");
  options.inputs = {InputSpec::parse(net.input + "::" + shape)};
  options.outputs = {net.output};
  *report = export_model(options, out);
  if (!report->verified) return INFINITY;
  // OpenCV names a fused layer after one of its nodes: offer the inputs too.
  std::vector<std::string> names{net.output};
  Graph model = test::load_graph(out);
  if (const Node* n = model.find(net.output))
    for (const auto& i : n->inputs) names.push_back(i.node->name());
  OpenCvRun run = run_in_opencv(out, {{net.input, in}}, {names}, true);
  if (!run.error.empty()) {
    ADD_FAILURE() << run.error;
    return INFINITY;
  }
  return test::scaled_diff(run.outputs[0], want);
}

TEST(OpenCvExtraFixed, MvnBatchNormKeepsItsMvnForm) {
  TFPROD_REQUIRE_CORPUS();
  ExportReport r;
  double diff = export_and_compare({"mvn_batch_norm", "input_4", "FusedBatchNorm"}, &r);
  EXPECT_TRUE(r.verified) << r.failure;
  EXPECT_LT(diff, 1e-4);
  // A batch of two is not an MVN: refused, as before.
  ExportOptions two;
  two.source = test::corpus_dir() / "opencv_extra_tf/mvn_batch_norm_net.pb";
  two.inputs = {InputSpec::parse("input_4::2,3,4,5")};
  two.outputs = {"FusedBatchNorm"};
  try {
    export_model(two, test::scratch_dir() / "two.pb");
    ADD_FAILURE() << "a batch of two: expected a refusal";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is in training mode"), std::string::npos) << e.what();
  }
}

TEST(OpenCvExtraFixed, KerasRelu6KeepsTheOrderOpenCvFusesAndLeakyReluFindsItsFusedName) {
  TFPROD_REQUIRE_CORPUS();
  for (const Net& net : {Net{"keras_relu6", "keras_relu6_input", "keras_relu6/clip_by_value"},
                         Net{"deconvolution_same", "input", "LeakyRelu/Maximum"}}) {
    SCOPED_TRACE(net.name);
    ExportReport r;
    double diff = export_and_compare(net, &r);
    EXPECT_TRUE(r.verified) << r.failure;
    EXPECT_LT(diff, 1e-4);
  }
  // The order: the Relu before the Consts, as TF wrote it (OpenCV's ReLU6
  // matcher maps nodes to its pattern by file order).
  Graph g = test::load_graph(test::corpus_dir() / "opencv_extra_tf/keras_relu6_net.pb");
  Graph sorted = test::apply_transforms(g, "sort_by_execution_order opencv_pattern_order", {}, {});
  std::map<std::string, int> at;
  for (const Node* n : sorted.nodes()) at[n->name()] = static_cast<int>(at.size());
  EXPECT_LT(at["keras_relu6/Relu"], at["keras_relu6/Const"]);
  EXPECT_LT(at["keras_relu6/Relu"], at["keras_relu6/Const_1"]);
  Graph tf_sorted = test::apply_transforms(g, "sort_by_execution_order", {}, {});
  EXPECT_EQ(tf_sorted.nodes()[1]->op, "Const") << "sort_by_execution_order alone puts the Consts first";
}

}  // namespace
}  // namespace tfprod
