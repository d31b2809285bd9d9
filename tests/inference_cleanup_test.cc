// remove_dropout, resolve_switches and remove_training_nodes on small graphs:
// the structure after each, and the numbers, equal to the training graph
// evaluated with dropout inactive (keep_prob = 1: floor(1 + U) = 1; rate = 0)
// or with the flag's value fixed.
#include <gtest/gtest.h>

#include "inference_cleanup_support.h"
#include "tfprod/error.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using test::graph_text;
using test::node;

const std::string kBool = "attr { key: \"T\" value { type: DT_BOOL } }";
const std::string kShapeAttrs =
    "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"out_type\" value { type: DT_INT32 } }";
const std::string kRandomAttrs =
    "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"T\" value { type: DT_INT32 } }";

// TF1 tf.nn.dropout(relu, keep_prob): Mul(RealDiv(x, keep), Floor(Add(keep, U))).
std::string tf1_dropout(const std::string& p, const std::string& x, const std::string& keep) {
  return node(p + "/Shape", "Shape", {x}, kShapeAttrs) +
         node(p + "/random_uniform/RandomUniform", "RandomUniform", {p + "/Shape"}, kRandomAttrs) +
         test::scalar_const(p + "/random_uniform/max", 1) + test::scalar_const(p + "/random_uniform/min", 0) +
         node(p + "/random_uniform/sub", "Sub", {p + "/random_uniform/max", p + "/random_uniform/min"}) +
         node(p + "/random_uniform/mul", "Mul", {p + "/random_uniform/RandomUniform", p + "/random_uniform/sub"}) +
         node(p + "/random_uniform", "Add", {p + "/random_uniform/mul", p + "/random_uniform/min"}) +
         node(p + "/add", "Add", {keep, p + "/random_uniform"}) + node(p + "/Floor", "Floor", {p + "/add"}) +
         node(p + "/div", "RealDiv", {x, keep}) + node(p + "/mul", "Mul", {p + "/div", p + "/Floor"});
}

const std::string kTf1 = test::placeholder("x") + node("relu", "Relu", {"x"}) + test::placeholder("keep_prob", "") +
                         tf1_dropout("drop", "relu", "keep_prob") + node("out", "Tanh", {"drop/mul"});

Graph without_dropout(Graph g, const std::string& name, double value) {
  test::fix_value(g, name, value);
  return g;
}

TEST(RemoveDropout, Tf1KeepProbPlaceholder) {
  Graph g = test::parse_graph(kTf1);
  Graph after = test::apply_transforms(g, "remove_dropout", {}, {"out"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\nrelu = Relu(x)\nout = Tanh(relu)\n");
  test::expect_same_outputs(without_dropout(test::parse_graph(kTf1), "keep_prob", 1), after, {"out"},
                            test::random_feeds(after, {"out"}));
}

TEST(RemoveDropout, ChainedWithReciprocalScaleAndSwappedOperands) {
  // Second dropout: Mul(Floor(Add(U, keep)), Mul(x, Reciprocal(keep))), keep a PlaceholderWithDefault.
  std::string text =
      test::placeholder("x") + node("relu", "Relu", {"x"}) + test::scalar_const("keep/default", 0.5) +
      node("keep_prob", "PlaceholderWithDefault", {"keep/default"},
           "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"shape\" value { shape {} } }") +
      tf1_dropout("drop", "relu", "keep_prob") + node("drop2/Shape", "Shape", {"drop/mul"}, kShapeAttrs) +
      node("drop2/RandomUniform", "RandomUniform", {"drop2/Shape"}, kRandomAttrs) +
      node("drop2/add", "AddV2", {"drop2/RandomUniform", "keep_prob"}) + node("drop2/Floor", "Floor", {"drop2/add"}) +
      node("drop2/inv", "Reciprocal", {"keep_prob"}) + node("drop2/scaled", "Mul", {"drop/mul", "drop2/inv"}) +
      node("drop2/mul", "Mul", {"drop2/Floor", "drop2/scaled"}) + node("out", "Tanh", {"drop2/mul"});
  Graph after = test::apply_transforms(test::parse_graph(text), "remove_dropout", {}, {"out"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\nrelu = Relu(x)\nout = Tanh(relu)\n");
  test::expect_same_outputs(without_dropout(test::parse_graph(text), "keep_prob", 1), after, {"out"},
                            test::random_feeds(after, {"out"}));
}

// tf.layers.dropout(rate) (TF >= 1.13), every operand order swapped.
std::string rate_dropout(const std::string& top) {
  return test::placeholder("x") + test::scalar_const("d/rate", 0.4) + node("d/Shape", "Shape", {"x"}, kShapeAttrs) +
         node("d/RU", "RandomUniform", {"d/Shape"}, kRandomAttrs) + test::scalar_const("d/range", 1) +
         test::scalar_const("d/min", 0) + node("d/u_mul", "Mul", {"d/range", "d/RU"}) +
         node("d/U", "AddV2", {"d/min", "d/u_mul"}) + test::scalar_const("d/one", 1) +
         node("d/sub", "Sub", {"d/one", "d/rate"}) + node("d/scale", "RealDiv", {"d/one", "d/sub"}) +
         node("d/mul", "Mul", {"d/scale", "x"}) + node("d/ge", "GreaterEqual", {"d/U", "d/rate"}) + top;
}

TEST(RemoveDropout, RateFormWithCast) {
  const std::string text = rate_dropout(
      node("d/Cast", "Cast", {"d/ge"},
           "attr { key: \"SrcT\" value { type: DT_BOOL } } attr { key: \"DstT\" value { type: DT_FLOAT } }") +
      node("d/mul_1", "Mul", {"d/Cast", "d/mul"}) + node("y", "Relu", {"d/mul_1"}));
  Graph after = test::apply_transforms(test::parse_graph(text), "remove_dropout", {}, {"y"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\ny = Relu(x)\n");
  test::expect_same_outputs(without_dropout(test::parse_graph(text), "d/rate", 0), after, {"y"},
                            test::random_feeds(after, {"y"}));
}

TEST(RemoveDropout, SelectFormWithoutCastKeepsAnOutputName) {
  const std::string text =
      rate_dropout(node("d/zeros", "ZerosLike", {"x"}) + node("y", "SelectV2", {"d/ge", "d/mul", "d/zeros"}));
  Graph after = test::apply_transforms(test::parse_graph(text), "remove_dropout", {}, {"y"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\ny = Identity(x)\n");
  test::expect_same_outputs(without_dropout(test::parse_graph(text), "d/rate", 0), after, {"y"},
                            test::random_feeds(after, {"y"}));
}

TEST(RemoveDropout, KeepsADropoutWhoseMaskIsUsedElsewhere) {
  const std::string text = kTf1 + node("mask_sum", "Sum", {"drop/Floor", "axis"}) +
                           node("axis", "Const", {},
                                "attr { key: \"dtype\" value { type: DT_INT32 } } attr { key: \"value\" value { tensor "
                                "{ dtype: DT_INT32 tensor_shape {} int_val: 0 } } }");
  Graph g = test::parse_graph(text);
  Graph after = test::apply_transforms(g, "remove_dropout", {}, {"out", "mask_sum"});
  EXPECT_EQ(graph_text(after), graph_text(g));
}

// tf.cond(flag, train, infer) with the true branch first in the Merge.
const std::string kCond =
    test::placeholder("x") + test::bool_const("flag/default", false) +
    node("flag", "PlaceholderWithDefault", {"flag/default"},
         "attr { key: \"dtype\" value { type: DT_BOOL } } attr { key: \"shape\" value { shape {} } }") +
    node("cond/pred_id", "Identity", {"flag"}, kBool) + node("cond/Switch", "Switch", {"x", "cond/pred_id"}) +
    node("cond/t", "Relu", {"cond/Switch:1"}) + node("cond/f", "Tanh", {"cond/Switch"}) +
    node("cond/Merge", "Merge", {"cond/t", "cond/f"},
         "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"N\" value { i: 2 } }") +
    node("out", "Sigmoid", {"cond/Merge"});

TEST(ResolveSwitches, PlaceholderWithDefaultPicksTheFalseBranch) {
  Graph g = test::parse_graph(kCond);
  Graph after = test::apply_transforms(g, "resolve_switches", {}, {"out"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\ncond/f = Tanh(x)\nout = Sigmoid(cond/f)\n");
  test::expect_same_outputs(g, after, {"out"}, test::random_feeds(after, {"out"}));
  EXPECT_THROW(test::apply_transforms(g, "resolve_switches", {}, {"cond/t"}), Error);
}

// TF's own cond: pivots switch_t / switch_f, branch Consts on them.
const std::string kTrainingCond =
    test::placeholder("x") + test::placeholder("is_training", "", "DT_BOOL") +
    node("bn/cond/Switch", "Switch", {"is_training", "is_training"}, kBool) +
    node("bn/cond/switch_t", "Identity", {"bn/cond/Switch:1"}, kBool) +
    node("bn/cond/switch_f", "Identity", {"bn/cond/Switch"}, kBool) +
    node("bn/cond/pred_id", "Identity", {"is_training"}, kBool) +
    node("bn/cond/x_switch", "Switch", {"x", "bn/cond/pred_id"}) +
    test::scalar_const("bn/cond/two", 2, {"^bn/cond/switch_t"}) +
    node("bn/cond/train", "Mul", {"bn/cond/x_switch:1", "bn/cond/two"}) +
    test::scalar_const("bn/cond/half", 0.5, {"^bn/cond/switch_f"}) +
    node("bn/cond/infer", "Mul", {"bn/cond/x_switch", "bn/cond/half"}) +
    node("bn/cond/Merge", "Merge", {"bn/cond/train", "bn/cond/infer"},
         "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"N\" value { i: 2 } }") +
    node("out", "Relu", {"bn/cond/Merge"});

TEST(ResolveSwitches, TrainingFlagPlaceholderIsFalseUnlessSet) {
  Graph g = test::parse_graph(kTrainingCond);
  Graph infer = test::apply_transforms(g, "resolve_switches", {}, {"out"});
  EXPECT_EQ(graph_text(infer),
            "x = Placeholder()\nbn/cond/half = Const[DT_FLOAT []]()\nbn/cond/infer = Mul(x, bn/cond/half)\n"
            "out = Relu(bn/cond/infer)\n");
  auto feeds = test::random_feeds(infer, {"out"});
  test::expect_same_outputs(without_dropout(test::parse_graph(kTrainingCond), "is_training", 0), infer, {"out"}, feeds);

  Graph train = test::apply_transforms(g, "resolve_switches(set=is_training:true)", {}, {"out"});
  EXPECT_EQ(graph_text(train),
            "x = Placeholder()\nbn/cond/two = Const[DT_FLOAT []]()\nbn/cond/train = Mul(x, bn/cond/two)\n"
            "out = Relu(bn/cond/train)\n");
  test::expect_same_outputs(without_dropout(test::parse_graph(kTrainingCond), "is_training", 1), train, {"out"}, feeds);
}

TEST(ResolveSwitches, UnknownPredicateNeedsAValue) {
  std::string text = kTrainingCond;
  for (std::size_t at; (at = text.find("\"is_training\"")) != std::string::npos;) text.replace(at, 13, "\"p\"");
  Graph g = test::parse_graph(text);
  Graph kept = test::apply_transforms(g, "resolve_switches", {}, {"out"});
  EXPECT_EQ(graph_text(kept), graph_text(g));
  Graph set = test::apply_transforms(g, "resolve_switches(set=p:false)", {}, {"out"});
  EXPECT_EQ(test::count_op(set, "Switch") + test::count_op(set, "Merge"), 0);
  EXPECT_THROW(test::apply_transforms(g, "resolve_switches(set=nope:false)", {}, {"out"}), Error);
}

const std::string kTraining =
    test::placeholder("x") +
    node("w", "Const", {},
         "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
         "tensor_shape { dim { size: 3 } dim { size: 2 } } float_val: 0.5 } } }") +
    node("w/read", "Identity", {"w"}) + node("mm", "MatMul", {"x", "w/read"}) +
    node("chk", "CheckNumerics", {"mm"},
         "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"message\" value { s: \"nan\" } }") +
    node("sg", "StopGradient", {"chk"}) + test::scalar_const("msg", 1) +
    node("pr", "Print", {"sg", "msg"},
         "attr { key: \"T\" value { type: DT_FLOAT } } attr { key: \"U\" value { list { type: DT_FLOAT } } }") +
    node("relu", "Relu", {"pr"}) + node("snap", "Snapshot", {"relu"}) + node("out", "Identity", {"snap"}) +
    node("axis", "Const", {},
         "attr { key: \"dtype\" value { type: DT_INT32 } } attr { key: \"value\" value { tensor { dtype: DT_INT32 "
         "tensor_shape {} int_val: 0 } } }") +
    node("loss", "Sum", {"relu", "axis"}) +
    node("tag", "Const", {},
         "attr { key: \"dtype\" value { type: DT_STRING } } attr { key: \"value\" value { tensor { dtype: DT_STRING "
         "tensor_shape {} string_val: \"loss\" } } }") +
    node("summ", "ScalarSummary", {"tag", "loss"}) +
    node("merged", "MergeSummary", {"summ"}, "attr { key: \"N\" value { i: 1 } }") + test::bool_const("ok", true) +
    node("assert", "Assert", {"ok", "msg"}, "attr { key: \"T\" value { list { type: DT_FLOAT } } }") +
    node("y", "Neg", {"mm", "^assert"});

TEST(RemoveTrainingNodes, SplicesPassThroughsDropsAssertsAndSummaries) {
  Graph g = test::parse_graph(kTraining);
  Graph after = test::apply_transforms(g, "remove_training_nodes", {"x"}, {"out", "y"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\nw = Const[DT_FLOAT [3,2]]()\nmm = MatMul(x, w)\nrelu = Relu(mm)\n"
            "out = Identity(relu)\ny = Neg(mm)\n");
  test::expect_same_outputs(g, after, {"out"}, test::random_feeds(after, {"out"}));
}

}  // namespace
}  // namespace tfprod
