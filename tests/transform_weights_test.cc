// Transforms that rewrite weights or names (quantize_weights, round_weights,
// obfuscate_names, add_default_attributes, inline_partitionedcall): the graph
// before and after, and the same numbers (within the rounding step where the
// weights change).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "tfprod/tensor_values.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/model_file.h"
#include "tfprod/transform.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

// x[2,64] -> MatMul(w[64,32]) -> BiasAdd(b[32]) -> Relu -> out
const char* kDense = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 2 } dim { size: 64 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT } } } }
node { name: "b" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT } } } }
node { name: "mm" op: "MatMul" input: "x" input: "w" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "bias" op: "BiasAdd" input: "mm" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "out" op: "Relu" input: "bias" attr { key: "T" value { type: DT_FLOAT } } }
)";

void set_random(Graph& g, const std::string& name, const Shape& shape, uint64_t seed, float offset = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
  for (float& v : eval::values<float>(t)) v = normal(rng) + offset;
  tensor_to_proto(std::move(t), g.find(name)->set_attr("value").mutable_tensor());
}

Graph dense(float offset = 0) {
  Graph g = parse_graph(kDense);
  set_random(g, "w", {64, 32}, 7, offset);
  set_random(g, "b", {32}, 8);
  return g;
}

std::vector<float> value_of(const Graph& g, const std::string& tensor) {
  Evaluator e(g);
  Tensor t = e.run({}, {tensor})[0];
  auto v = eval::values<float>(t);
  return {v.begin(), v.end()};
}

TEST(TransformWeights, QuantizeWeightsStoresEightBitsAndDequantizesInPlace) {
  Graph before = dense();
  Graph after = apply_transforms(before, "quantize_weights", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Dequantize(w_quantized_const, w_quantized_min, w_quantized_max)\n"
            "b = Const[DT_FLOAT [32]]()\n"
            "mm = MatMul(x, w)\n"
            "bias = BiasAdd(mm, b)\n"
            "out = Relu(bias)\n"
            "w_quantized_const = Const[DT_QUINT8 [64,32]]()\n"
            "w_quantized_min = Const[DT_FLOAT []]()\n"
            "w_quantized_max = Const[DT_FLOAT []]()\n")
      << "b has 32 < 1024 elements and stays float";
  EXPECT_EQ(after.find("w")->attr("mode")->s(), "MIN_FIRST");

  const auto w0 = value_of(before, "w"), w1 = value_of(after, "w");
  const float min = std::min(0.0f, *std::min_element(w0.begin(), w0.end()));
  const float max = std::max(0.0f, *std::max_element(w0.begin(), w0.end()));
  const float step = (max - min) / 255;
  ASSERT_EQ(w0.size(), w1.size());
  std::set<float> levels(w1.begin(), w1.end());
  EXPECT_LE(levels.size(), 256u);
  for (std::size_t i = 0; i < w0.size(); ++i) ASSERT_LE(std::fabs(w0[i] - w1[i]), step) << "weight " << i;
  // Each output sums 64 products, each off by at most step * |x|.
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}), 0.05);

  Graph all = apply_transforms(before, "quantize_weights(minimum_size=16)", {"x"}, {"out"});
  EXPECT_EQ(all.find("b")->op, "Dequantize");
  expect_same_outputs(before, all, {"out"}, random_feeds(before, {"out"}), 0.05);
}

TEST(TransformWeights, QuantizeWeightsPositiveWeightsKeepZeroInRange) {
  Graph before = dense(/*offset=*/10);
  Graph after = apply_transforms(before, "quantize_weights", {"x"}, {"out"});
  EXPECT_EQ(value_of(after, "w_quantized_min")[0], 0.0f) << "the range always holds 0";
  const auto w0 = value_of(before, "w"), w1 = value_of(after, "w");
  const float step = value_of(after, "w_quantized_max")[0] / 255;
  for (std::size_t i = 0; i < w0.size(); ++i) ASSERT_LE(std::fabs(w0[i] - w1[i]), step);
}

TEST(TransformWeights, RoundWeightsKeepsFloatsOnNumStepsLevels) {
  Graph before = dense();
  Graph after = apply_transforms(before, "round_weights(num_steps=16)", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after), graph_text(before)) << "same nodes, still float";
  const auto w0 = value_of(before, "w"), w1 = value_of(after, "w");
  const auto [lo, hi] = std::minmax_element(w0.begin(), w0.end());
  const float width = (*hi - *lo) / 16;
  std::set<float> levels(w1.begin(), w1.end());
  EXPECT_LE(levels.size(), 16u);
  for (std::size_t i = 0; i < w0.size(); ++i) ASSERT_LE(std::fabs(w0[i] - w1[i]), width / 2 * 1.0001f);
  EXPECT_LE(levels.size(), 16u);
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}), 0.5);
  Graph fine = apply_transforms(before, "round_weights", {"x"}, {"out"});
  expect_same_outputs(before, fine, {"out"}, random_feeds(before, {"out"}), 0.05);
}

TEST(TransformWeights, ObfuscateNamesKeepsInputsAndOutputs) {
  Graph before = dense();
  before.find("b")->set_attr("_class").mutable_list()->add_s("loc:@w");
  Graph after = apply_transforms(before, "obfuscate_names", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "0 = Const[DT_FLOAT [64,32]]()\n"
            "1 = Const[DT_FLOAT [32]]()\n"
            "2 = MatMul(x, 0)\n"
            "3 = BiasAdd(2, 1)\n"
            "out = Relu(3)\n");
  EXPECT_EQ(after.find("1")->attr("_class")->list().s(0), "loc:@0") << "colocation follows the rename";
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
}

TEST(TransformWeights, ObfuscateNamesNeverCollidesWithKeptNames) {
  Graph before = parse_graph(R"(
node { name: "1" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { } } } }
node { name: "0" op: "Neg" input: "1" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "a" op: "Neg" input: "0" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "2" op: "Neg" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
)");
  Graph after = apply_transforms(before, "obfuscate_names", {"1"}, {"2"});
  EXPECT_EQ(graph_text(after), "1 = Placeholder()\n0 = Neg(1)\n3 = Neg(0)\n2 = Neg(3)\n");
  expect_same_outputs(before, after, {"2"}, random_feeds(before, {"2"}));
}

TEST(TransformWeights, AddDefaultAttributesFillsOnlyMissingOnes) {
  Graph before = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 5 } dim { size: 5 } dim { size: 2 } } } } }
node { name: "k" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } dim { size: 3 } dim { size: 2 } dim { size: 4 } } float_val: 0.5 } } } }
node { name: "conv" op: "Conv2D" input: "x" input: "k" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: "padding" value { s: "SAME" } } }
node { name: "pool" op: "MaxPool" input: "conv" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "ksize" value { list { i: 1 i: 2 i: 2 i: 1 } } } attr { key: "strides" value { list { i: 1 i: 2 i: 2 i: 1 } } }
       attr { key: "padding" value { s: "VALID" } } attr { key: "data_format" value { s: "NHWC" } } }
node { name: "out" op: "Mystery" input: "pool" }
)");
  Graph after = apply_transforms(before, "add_default_attributes", {"x"}, {"pool"});
  const Node* conv = after.find("conv");
  std::vector<std::string> keys;
  for (const auto& a : conv->attrs()) keys.push_back(a.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"T", "strides", "padding", "use_cudnn_on_gpu", "explicit_paddings",
                                            "data_format", "dilations"}));
  EXPECT_EQ(conv->attr("data_format")->s(), "NHWC");
  EXPECT_EQ(conv->attr("dilations")->list().i_size(), 4);
  EXPECT_TRUE(conv->attr("use_cudnn_on_gpu")->b());
  EXPECT_EQ(after.find("pool")->attrs().size(), 5) << "data_format was there already";
  EXPECT_EQ(after.find("out")->attrs().size(), 0) << "unknown ops are left alone";
  expect_same_outputs(before, after, {"pool"}, random_feeds(before, {"pool"}));
}

// ---- corpus ----

Graph load_graph_file(const std::string& path) {
  ModelFile f = load_model_file(corpus_dir() / path);
  return Graph::from_graphdef(select_meta_graph(f, {}).graph_def(), path);
}

TEST(TransformWeights, CorpusQuantizeRoundObfuscateAndDefaultsKeepTheNumbers) {
  TFPROD_REQUIRE_CORPUS();
  struct Case {
    const char* path;
    const char* input;
    const char* output;
  };
  for (const Case& c : {Case{"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", "input_tensor_input", "output_tensor/Softmax"},
                        Case{"tf2onnx_frozen_graphs/fc-layers/frozen.pb", "X", "output"}}) {
    SCOPED_TRACE(c.path);
    Graph before = load_graph_file(c.path);
    const auto feeds = random_feeds(before, {c.output});

    Graph quantized = apply_transforms(before, "quantize_weights", {c.input}, {c.output});
    std::size_t dequantize = 0;
    for (const Node* n : quantized.nodes()) dequantize += n->op == "Dequantize";
    EXPECT_GT(dequantize, 0u);
    // Eight-bit weights: outputs summing 784 products on N(0,1) inputs move
    // by about 1.5% of their magnitude (fc-layers), lenet's by under 1%.
    expect_same_outputs(before, quantized, {c.output}, feeds, 0.025);

    Graph rounded = apply_transforms(before, "round_weights", {c.input}, {c.output});
    EXPECT_EQ(rounded.size(), before.size());
    expect_same_outputs(before, rounded, {c.output}, feeds, 0.025);

    Graph obfuscated = apply_transforms(before, "obfuscate_names add_default_attributes", {c.input}, {c.output});
    EXPECT_NE(obfuscated.find(c.input), nullptr);
    EXPECT_NE(obfuscated.find(c.output), nullptr);
    EXPECT_NE(obfuscated.find("0"), nullptr);
    expect_same_outputs(before, obfuscated, {c.output}, feeds, 1e-6);
  }
}

// ---- inline_partitionedcall ----

// outer(a, b) = (inner(a) * b, b) with inner(v) = v0 + 2 * v1 for the halves
// v0, v1 of Split(v), read through FusedBatchNormV3's y (scale 2) and
// IdentityN; init must run before the call (its control input).
const char* kFunctions = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 2 } dim { size: 4 } } } } }
node { name: "y" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 2 } dim { size: 2 } } } } }
node { name: "init" op: "NoOp" }
node { name: "call" op: "StatefulPartitionedCall" input: "x" input: "y" input: "^init"
       attr { key: "Tin" value { list { type: DT_FLOAT type: DT_FLOAT } } }
       attr { key: "Tout" value { list { type: DT_FLOAT type: DT_FLOAT } } }
       attr { key: "f" value { func { name: "outer" } } } }
node { name: "out" op: "Sub" input: "call" input: "call:1" attr { key: "T" value { type: DT_FLOAT } } }
library {
  function {
    signature { name: "outer" input_arg { name: "a" type: DT_FLOAT } input_arg { name: "b" type: DT_FLOAT }
                output_arg { name: "prod" type: DT_FLOAT } output_arg { name: "pass" type: DT_FLOAT } }
    node_def { name: "inner_call" op: "PartitionedCall" input: "a"
               attr { key: "Tin" value { list { type: DT_FLOAT } } } attr { key: "Tout" value { list { type: DT_FLOAT } } }
               attr { key: "f" value { func { name: "inner" } } } }
    node_def { name: "m" op: "Mul" input: "inner_call:output:0" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
    ret { key: "prod" value: "m:z:0" }
    ret { key: "pass" value: "b" }
  }
  function {
    signature { name: "inner" input_arg { name: "v" type: DT_FLOAT } output_arg { name: "s" type: DT_FLOAT } }
    node_def { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
               attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 3 } } } }
    node_def { name: "split" op: "Split" input: "axis:output:0" input: "v" attr { key: "T" value { type: DT_FLOAT } }
               attr { key: "num_split" value { i: 2 } } }
    node_def { name: "scale" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 2 } } } }
    node_def { name: "zero" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 0 } } } }
    node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1 } } } }
    node_def { name: "bn" op: "FusedBatchNormV3" input: "split:output:1" input: "scale:output:0" input: "zero:output:0"
               input: "zero:output:0" input: "one:output:0" attr { key: "T" value { type: DT_FLOAT } }
               attr { key: "U" value { type: DT_FLOAT } } attr { key: "epsilon" value { f: 0 } }
               attr { key: "is_training" value { b: false } } }
    node_def { name: "ids" op: "IdentityN" input: "split:output:0" input: "bn:y:0"
               attr { key: "T" value { list { type: DT_FLOAT type: DT_FLOAT } } } }
    node_def { name: "sum" op: "Add" input: "ids:output:0" input: "ids:output:1" attr { key: "T" value { type: DT_FLOAT } } }
    ret { key: "s" value: "sum:z:0" }
  }
})";

// The same computation without functions.
const char* kFlat = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 2 } dim { size: 4 } } } } }
node { name: "y" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 2 } dim { size: 2 } } } } }
node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 3 } } } }
node { name: "split" op: "Split" input: "axis" input: "x" attr { key: "T" value { type: DT_FLOAT } } attr { key: "num_split" value { i: 2 } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 2 } } } }
node { name: "scaled" op: "Mul" input: "split:1" input: "two" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "sum" op: "Add" input: "split" input: "scaled" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "m" op: "Mul" input: "sum" input: "y" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "out" op: "Sub" input: "m" input: "y" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(TransformWeights, InlinePartitionedCallInlinesNestedBodies) {
  Graph before = parse_graph(kFunctions);
  Graph after = apply_transforms(before, "inline_partitionedcall", {"x", "y"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "y = Placeholder()\n"
            "init = NoOp()\n"
            "out = Sub(call/m, y)\n"
            "call/m = Mul(call/inner_call/sum, y)\n"
            "call/input_control_node = NoOp(^init)\n"
            "call/inner_call/axis = Const[DT_INT32 []](^call/inner_call/input_control_node)\n"
            "call/inner_call/split = Split(call/inner_call/axis, x)\n"
            "call/inner_call/scale = Const[DT_FLOAT [2]](^call/inner_call/input_control_node)\n"
            "call/inner_call/zero = Const[DT_FLOAT [2]](^call/inner_call/input_control_node)\n"
            "call/inner_call/one = Const[DT_FLOAT [2]](^call/inner_call/input_control_node)\n"
            "call/inner_call/bn = FusedBatchNormV3(call/inner_call/split:1, call/inner_call/scale, "
            "call/inner_call/zero, call/inner_call/zero, call/inner_call/one)\n"
            "call/inner_call/ids = IdentityN(call/inner_call/split, call/inner_call/bn)\n"
            "call/inner_call/sum = Add(call/inner_call/ids, call/inner_call/ids:1)\n"
            "call/inner_call/input_control_node = NoOp(^call/input_control_node)\n");
  expect_same_outputs(parse_graph(kFlat), after, {"out"}, random_feeds(after, {"out"}));
}

TEST(TransformWeights, InlinePartitionedCallKeepsAnOutputCallAsIdentityN) {
  Graph before = parse_graph(kFunctions);
  Graph after = apply_transforms(before, "inline_partitionedcall", {"x", "y"}, {"call:1", "out"});
  const Node* call = after.find("call");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->op, "IdentityN");
  EXPECT_EQ(call->attr("T")->list().type_size(), 2);
  expect_same_outputs(parse_graph(kFlat), after, {"out", "y"}, random_feeds(after, {"out"}));
  Evaluator e(after);
  auto feeds = random_feeds(after, {"out"});
  EXPECT_EQ(e.run(feeds, {"call:1"})[0].data, feeds[1].second.data) << "call:1 returns b = y";
}

TEST(TransformWeights, InlinePartitionedCallFailsClearly) {
  Graph missing = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "call" op: "PartitionedCall" input: "x" attr { key: "f" value { func { name: "nowhere" } } } })");
  try {
    apply_transforms(missing, "inline_partitionedcall", {"x"}, {"call"});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nowhere', which is not in the graph's library"), std::string::npos) << e.what();
  }
  Graph unknown = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "call" op: "PartitionedCall" input: "x" attr { key: "f" value { func { name: "g" } } } }
node { name: "out" op: "Identity" input: "call" }
library { function {
  signature { name: "g" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "o" type: DT_FLOAT } }
  node_def { name: "w" op: "Weird" input: "a" }
  node_def { name: "s" op: "Add" input: "w:first:0" input: "w:second:0" }
  ret { key: "o" value: "s:z:0" } } })");
  try {
    apply_transforms(unknown, "inline_partitionedcall", {"x"}, {"out"});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("output layout of Weird"), std::string::npos) << e.what();
  }
}

TEST(TransformWeights, CorpusInlinePartitionedCallOnATf2SavedModel) {
  TFPROD_REQUIRE_CORPUS();
  ModelFile f = load_model_file(corpus_dir() / "keras_mnist_savedmodel_tf210/saved_model.pb");
  Graph before = Graph::from_graphdef(select_meta_graph(f, {"serve"}).graph_def(), "saved_model.pb");
  Graph after = apply_transforms(before, "inline_partitionedcall", {"serving_default_conv2d_input"},
                                 {"StatefulPartitionedCall:0"});
  for (const Node* n : after.nodes()) {
    EXPECT_NE(n->op, "PartitionedCall") << n->name();
    EXPECT_NE(n->op, "StatefulPartitionedCall") << n->name();
  }
  EXPECT_GT(after.size(), before.size() + 50) << before.size() << " -> " << after.size();
  std::size_t convs = 0;
  for (const Node* n : after.nodes()) convs += n->op == "Conv2D";
  EXPECT_GE(convs, 3u) << "the model's three convolutions are now in the graph";
  EXPECT_EQ(after.find("StatefulPartitionedCall")->op, "IdentityN") << "the signature's output keeps its name";
}

}  // namespace
}  // namespace tfprod
