// fold_batch_norms and fold_old_batch_norms: the graph after (structure) and
// the same numbers before and after on random inputs.
#include <gtest/gtest.h>

#include <iostream>

#include "test_support.h"
#include "tfprod/freeze.h"
#include "tfprod/model_source.h"
#include "graph_text_support.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

std::string shape_text(const Shape& s) { return "tensor_shape {" + dims(s) + " }"; }


// A float Const with deterministic values around `base` (never zero, so
// variances stay positive when base > 0).
std::string constant(const std::string& name, const Shape& s, float base = 0.f, float step = 0.37f) {
  std::string vals;
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  for (int64_t i = 0; i < n; ++i) vals += " float_val: " + std::to_string(base + step * static_cast<float>((i * 7) % 11 - 5) / 5);
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } " +
         "attr { key: 'value' value { tensor { dtype: DT_FLOAT " + shape_text(s) + vals + " } } } }\n";
}


std::string conv_attrs(const std::string& format = "NHWC") {
  return "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'padding' value { s: 'SAME' } } "
         "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: 'data_format' value { s: '" +
         format + "' } }";
}

std::string bn_attrs(bool training = false, const std::string& format = "NHWC") {
  return std::string("attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'epsilon' value { f: 0.001 } } ") +
         "attr { key: 'is_training' value { b: " + (training ? "true" : "false") + " } } " +
         "attr { key: 'data_format' value { s: '" + format + "' } }";
}

std::string bn_params(int64_t c) {
  return constant("gamma", {c}, 1.0f, 0.5f) + constant("beta", {c}, 0.0f, 0.8f) + constant("mean", {c}, 0.2f, 0.6f) +
         constant("var", {c}, 1.5f, 1.0f);
}


void check_numbers(const Graph& before, const Graph& after, const std::vector<std::string>& outputs) {
  expect_same_outputs(before, after, outputs, random_feeds(before, outputs));
}

// ---- fold_old_batch_norms ----

TEST(TransformBn, OldFoldsFusedBatchNormIntoConv2D) {
  Graph g = parse_graph(shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) + bn_params(4) +
                        node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                        node("bn", "FusedBatchNorm", {"conv", "gamma", "beta", "mean", "var"}, bn_attrs()) +
                        node("out", "Relu", {"bn"}));
  Graph after = apply_transforms(g, "fold_old_batch_norms", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [3,3,2,4]]()\n"
            "conv = Conv2D(x, w)\n"
            "out = Relu(bn)\n"
            "conv_bn_offset = Const[DT_FLOAT [4]]()\n"
            "bn = BiasAdd(conv, conv_bn_offset)\n");
  check_numbers(g, after, {"out"});
}

TEST(TransformBn, OldFoldsV3InNchwAndV2) {
  for (const char* op : {"FusedBatchNormV3", "FusedBatchNormV2"}) {
    SCOPED_TRACE(op);
    Graph g = parse_graph(shaped_placeholder("x", {2, 3, 6, 5}) + constant("w", {3, 3, 3, 4}) + bn_params(4) +
                          node("conv", "Conv2D", {"x", "w"}, conv_attrs("NCHW")) +
                          node("bn", op, {"conv", "gamma", "beta", "mean", "var"}, bn_attrs(false, "NCHW")));
    Graph after = apply_transforms(g, "fold_old_batch_norms", {"x"}, {"bn"});
    EXPECT_EQ(count_op(after, op), 0);
    ASSERT_EQ(after.find("bn")->op, "BiasAdd");
    EXPECT_EQ(after.find("bn")->attr("data_format")->s(), "NCHW");
    check_numbers(g, after, {"bn"});
  }
}

TEST(TransformBn, OldFoldsGlobalNormalizationAfterDepthwise) {
  for (bool scale_after : {true, false}) {
    SCOPED_TRACE(scale_after);
    std::string attrs = std::string("attr { key: 'T' value { type: DT_FLOAT } } ") +
                        "attr { key: 'variance_epsilon' value { f: 0.01 } } " +
                        "attr { key: 'scale_after_normalization' value { b: " + (scale_after ? "true" : "false") +
                        " } }";
    std::string dw = "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'padding' value { s: 'VALID' } } "
                     "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } }";
    // 3 input channels, multiplier 2: 6 output channels, channel = c*2 + k.
    Graph g = parse_graph(shaped_placeholder("x", {1, 5, 4, 3}) + constant("w", {2, 2, 3, 2}) + bn_params(6) +
                          node("dw", "DepthwiseConv2dNative", {"x", "w"}, dw) +
                          node("bn", "BatchNormWithGlobalNormalization", {"dw", "mean", "var", "beta", "gamma"}, attrs));
    Graph after = apply_transforms(g, "fold_old_batch_norms", {"x"}, {"bn"});
    EXPECT_EQ(count_op(after, "BatchNormWithGlobalNormalization"), 0);
    EXPECT_EQ(after.find("bn")->op, "BiasAdd");
    check_numbers(g, after, {"bn"});
  }
}

TEST(TransformBn, OldLeavesUnfoldableMatchesUntouched) {
  const std::string tail = bn_params(4) + node("out", "Relu", {"bn"});
  const std::string bn = node("bn", "FusedBatchNorm", {"conv", "gamma", "beta", "mean", "var"}, bn_attrs());
  struct Case {
    const char* what;
    std::string graph;
  } cases[] = {
      {"weights not Const", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w0", {3, 3, 2, 4}) +
                                node("w", "Identity", {"w0"}) + node("conv", "Conv2D", {"x", "w"}, conv_attrs()) + bn +
                                tail},
      {"training mode", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                            node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                            node("bn", "FusedBatchNorm", {"conv", "gamma", "beta", "mean", "var"}, bn_attrs(true)) +
                            tail},
      {"conv read elsewhere", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                                  node("conv", "Conv2D", {"x", "w"}, conv_attrs()) + bn + tail +
                                  node("side", "Relu", {"conv"})},
      {"statistics output read", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                                     node("conv", "Conv2D", {"x", "w"}, conv_attrs()) + bn + tail +
                                     node("side", "Neg", {"bn:1"})},
      {"formats differ", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                             node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                             node("bn", "FusedBatchNorm", {"conv", "gamma", "beta", "mean", "var"},
                                  bn_attrs(false, "NCHW")) +
                             tail},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Graph g = parse_graph(c.graph);
    Graph after = apply_transforms(g, "fold_old_batch_norms", {"x"}, {"out"});
    EXPECT_EQ(graph_text(after), graph_text(g));
  }
}

TEST(TransformBn, OldCopiesSharedWeights) {
  Graph g = parse_graph(shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) + bn_params(4) +
                        node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                        node("conv2", "Conv2D", {"x", "w"}, conv_attrs()) +
                        node("bn", "FusedBatchNorm", {"conv", "gamma", "beta", "mean", "var"}, bn_attrs()) +
                        node("out", "Add", {"bn", "conv2"}));
  Graph after = apply_transforms(g, "fold_old_batch_norms", {"x"}, {"out"});
  EXPECT_EQ(after.find("conv")->inputs[1].node->name(), "w_bn_folded");
  EXPECT_EQ(after.find("conv2")->inputs[1].node->name(), "w");
  check_numbers(g, after, {"out"});
}

// ---- fold_batch_norms ----

TEST(TransformBn, FoldsMulIntoConv2DWeights) {
  Graph g = parse_graph(shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) + constant("c", {4}, 1.f) +
                        node("conv", "Conv2D", {"x", "w"}, conv_attrs()) + node("mul", "Mul", {"conv", "c"}) +
                        node("out", "Relu", {"mul"}));
  Graph after = apply_transforms(g, "fold_batch_norms", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [3,3,2,4]]()\n"
            "mul = Conv2D(x, w)\n"
            "out = Relu(mul)\n");
  check_numbers(g, after, {"out"});
}

TEST(TransformBn, FoldsMulAfterBiasIntoWeightsAndBias) {
  // conv -> BiasAdd -> Mul(c on the left); conv -> Add(const) -> Mul becomes a BiasAdd.
  for (const char* add : {"BiasAdd", "Add", "AddV2"}) {
    SCOPED_TRACE(add);
    Graph g = parse_graph(shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) + constant("b", {4}, 0.3f) +
                          constant("c", {1, 1, 1, 4}, 1.f) + node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                          node("bias", add, {"conv", "b"}) + node("mul", "Mul", {"c", "bias"}));
    Graph after = apply_transforms(g, "fold_batch_norms", {"x"}, {"mul"});
    EXPECT_EQ(graph_text(after),
              "x = Placeholder()\n"
              "w = Const[DT_FLOAT [3,3,2,4]]()\n"
              "b = Const[DT_FLOAT [4]]()\n"
              "conv = Conv2D(x, w)\n"
              "mul = BiasAdd(conv, b)\n");
    check_numbers(g, after, {"mul"});
  }
}

TEST(TransformBn, FoldsMulAfterMatMulDepthwiseAndNchw) {
  const std::string dw = "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'padding' value { s: 'SAME' } } "
                         "attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } }";
  const std::string mm = "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'transpose_b' value { b: true } }";
  struct Case {
    const char* what;
    std::string graph;
  } cases[] = {
      {"MatMul transpose_b", shaped_placeholder("x", {3, 4}) + constant("w", {5, 4}) + constant("c", {5}, 1.f) +
                                 node("conv", "MatMul", {"x", "w"}, mm) + node("mul", "Mul", {"conv", "c"})},
      {"depthwise", shaped_placeholder("x", {1, 4, 4, 3}) + constant("w", {2, 2, 3, 2}) + constant("c", {6}, 1.f) +
                        node("conv", "DepthwiseConv2dNative", {"x", "w"}, dw) + node("mul", "Mul", {"conv", "c"})},
      {"NCHW", shaped_placeholder("x", {1, 2, 5, 5}) + constant("w", {3, 3, 2, 4}) + constant("c", {4, 1, 1}, 1.f) +
                   node("conv", "Conv2D", {"x", "w"}, conv_attrs("NCHW")) + node("mul", "Mul", {"conv", "c"})},
      {"scalar", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) + constant("c", {}, 1.5f) +
                     node("conv", "Conv2D", {"x", "w"}, conv_attrs()) + node("mul", "Mul", {"conv", "c"})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Graph g = parse_graph(c.graph);
    Graph after = apply_transforms(g, "fold_batch_norms", {"x"}, {"mul"});
    EXPECT_EQ(count_op(after, "Mul"), 0);
    EXPECT_EQ(after.find("conv"), nullptr) << "the conv takes the Mul's name";
    check_numbers(g, after, {"mul"});
  }
}

TEST(TransformBn, FoldLeavesNonChannelMulsUntouched) {
  struct Case {
    const char* what;
    std::string graph;
  } cases[] = {
      {"varies along width", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                                 constant("c", {5, 4}, 1.f) + node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                                 node("mul", "Mul", {"conv", "c"})},
      {"[C] on NCHW", shaped_placeholder("x", {1, 2, 5, 4}) + constant("w", {3, 3, 2, 4}) + constant("c", {4}, 1.f) +
                          node("conv", "Conv2D", {"x", "w"}, conv_attrs("NCHW")) + node("mul", "Mul", {"conv", "c"})},
      {"weights not Const", shaped_placeholder("x", {1, 5, 5, 2}) + shaped_placeholder("w", {3, 3, 2, 4}) +
                                constant("c", {4}, 1.f) + node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                                node("mul", "Mul", {"conv", "c"})},
      {"conv read elsewhere", shaped_placeholder("x", {1, 5, 5, 2}) + constant("w", {3, 3, 2, 4}) +
                                  constant("c", {4}, 1.f) + node("conv", "Conv2D", {"x", "w"}, conv_attrs()) +
                                  node("mul", "Mul", {"conv", "c"}) + node("side", "Relu", {"conv"})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Graph g = parse_graph(c.graph);
    Graph after = apply_transforms(g, "fold_batch_norms", {"x"}, {"mul"});
    EXPECT_EQ(graph_text(after), graph_text(g));
  }
}

// ---- corpus ----

Graph load_frozen(const std::string& path, const std::vector<std::string>& outputs) {
  ModelSource src = open_model_source(corpus_dir() / path);
  Graph g = Graph::from_graphdef(src.meta.graph_def(), path);
  if (src.checkpoint) g = freeze(std::move(g), *open_checkpoint(*src.checkpoint), {.outputs = outputs});
  return g;
}

// The corpus's batch norms all read something other than a conv: a Relu
// (bn_dropout_saver_tf113 puts BN after the activation, which no weight fold
// can absorb), a Placeholder (the opencv_extra nets) or a Switch
// (frozen_bn_cond_captcha, under tf.cond). Both transforms must leave them,
// and everything else, exactly as they were.
TEST(TransformBn, CorpusBatchNormsNotAfterAConvAreLeftAlone) {
  TFPROD_REQUIRE_CORPUS();
  struct Case {
    const char* path;
    std::vector<std::string> outputs;
  } cases[] = {
      {"bn_dropout_saver_tf113", {"Add_1"}},
      {"opencv_extra_tf/fused_batch_norm_net.pb", {}},
      {"opencv_extra_tf/mvn_batch_norm_net.pb", {}},
      {"opencv_extra_tf/batch_norm_net.pb", {}},
      {"frozen_bn_cond_captcha/frozen_model.pb", {}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.path);
    Graph g = load_frozen(c.path, c.outputs);
    if (c.outputs.empty()) c.outputs = candidate_outputs(g);
    // fold_constants first, as TF's documented pipelines do: weights behind
    // Identity reads become Consts.
    Graph before = apply_transforms(g, "fold_constants", {}, c.outputs);
    Graph after = apply_transforms(before, "fold_old_batch_norms fold_batch_norms", {}, c.outputs);
    EXPECT_EQ(graph_text(after), graph_text(before));
    EXPECT_EQ(count_op(after, "FusedBatchNorm"), count_op(g, "FusedBatchNorm"));
  }
}

}  // namespace
}  // namespace tfprod
