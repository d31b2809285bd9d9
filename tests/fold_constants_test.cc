// fold_constants: structure after folding, and the same numbers before and
// after on the same inputs.
#include <gtest/gtest.h>

#include <google/protobuf/text_format.h>

#include "eval_test_support.h"
#include "tfprod/eval.h"
#include "tfprod/fold_constants.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

Graph parse(const char* text) {
  tfprod::tf::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &g));
  return Graph::from_graphdef(g, "fold.pbtxt");
}

#define F32 attr { key: "T" value { type: DT_FLOAT } }
#define CONST_F(name, v) \
  "node { name: \"" name "\" op: \"Const\" attr { key: \"dtype\" value { type: DT_FLOAT } } " \
  "attr { key: \"value\" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: " v " } } } }\n"

const char* kGraph =
    "node { name: \"x\" op: \"Placeholder\" attr { key: \"dtype\" value { type: DT_FLOAT } } }\n"
    CONST_F("a", "2") CONST_F("b", "3")
    "node { name: \"s\" op: \"Add\" input: \"a\" input: \"b\" attr { key: \"T\" value { type: DT_FLOAT } } }\n"
    "node { name: \"m\" op: \"Mul\" input: \"x\" input: \"s\" attr { key: \"T\" value { type: DT_FLOAT } } }\n"
    "node { name: \"shape\" op: \"Const\" attr { key: \"dtype\" value { type: DT_INT32 } } "
    "attr { key: \"value\" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 3 } } } }\n"
    "node { name: \"r\" op: \"RandomUniform\" input: \"shape\" attr { key: \"dtype\" value { type: DT_FLOAT } } "
    "attr { key: \"T\" value { type: DT_INT32 } } }\n"
    "node { name: \"out\" op: \"Add\" input: \"m\" input: \"r\" attr { key: \"T\" value { type: DT_FLOAT } } }\n"
    "node { name: \"axis\" op: \"Const\" attr { key: \"dtype\" value { type: DT_INT32 } } "
    "attr { key: \"value\" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }\n"
    "node { name: \"pair\" op: \"Const\" attr { key: \"dtype\" value { type: DT_FLOAT } } "
    "attr { key: \"value\" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 7 float_val: 11 } } } }\n"
    "node { name: \"split\" op: \"Split\" input: \"axis\" input: \"pair\" attr { key: \"T\" value { type: DT_FLOAT } } "
    "attr { key: \"num_split\" value { i: 2 } } }\n"
    "node { name: \"hi\" op: \"Mul\" input: \"out\" input: \"split:1\" attr { key: \"T\" value { type: DT_FLOAT } } }\n"
    "node { name: \"lo\" op: \"Sub\" input: \"hi\" input: \"split\" attr { key: \"T\" value { type: DT_FLOAT } } }\n"
    "node { name: \"odd\" op: \"Mystery\" input: \"a\" }\n";

TEST(FoldConstants, FoldsDeterministicSubgraphsAndKeepsTheRest) {
  Graph before = parse(kGraph);
  Graph g = parse(kGraph);
  FoldReport report = fold_constants(g);

  EXPECT_EQ(g.find("s")->op, "Const");
  EXPECT_EQ(to_doubles(tensor_from_proto(g.find("s")->attr("value")->tensor(), "s")), std::vector<double>{5});
  EXPECT_EQ(g.find("b"), nullptr) << "inputs only the folded node read are removed";
  EXPECT_NE(g.find("a"), nullptr) << "still read by the unfoldable Mystery node";
  EXPECT_EQ(g.find("r")->op, "RandomUniform") << "random ops are never folded";
  EXPECT_EQ(g.find("m")->op, "Mul");
  EXPECT_EQ(g.find("split"), nullptr) << "both outputs became their own Consts";
  ASSERT_NE(g.find("split/_folded_0"), nullptr);
  ASSERT_NE(g.find("split/_folded_1"), nullptr);
  EXPECT_EQ(g.find("odd")->op, "Mystery");
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("odd (op Mystery): no kernel, kept"), std::string::npos);
  validate(g);

  Tensor x = tensor_f({3}, {1.5f, -2.0f, 0.25f});
  Evaluator eb(before), ea(g);
  Tensor want = eb.run({{"x", x}}, {"lo"})[0];
  Tensor got = ea.run({{"x", x}}, {"lo"})[0];
  EXPECT_TRUE(want.data == got.data) << "folding changed the numbers";
}

TEST(FoldConstants, RespectsTheSizeCap) {
  Graph g = parse(R"(
node { name: "dims" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 500 int_val: 500 } } } }
node { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } } }
node { name: "big" op: "Fill" input: "dims" input: "one" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Mul" input: "x" input: "big" attr { key: "T" value { type: DT_FLOAT } } })");
  FoldReport report = fold_constants(g, {.max_output_bytes = 1000});
  EXPECT_EQ(g.find("big")->op, "Fill");
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("over the fold cap"), std::string::npos) << report.warnings[0];
  report = fold_constants(g);
  EXPECT_EQ(g.find("big")->op, "Const");
}

}  // namespace
}  // namespace tfprod
