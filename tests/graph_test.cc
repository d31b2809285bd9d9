// The Graph model: tensor names, import/export, edits, order and cycles.
#include <gtest/gtest.h>

#include <google/protobuf/text_format.h>

#include "tfprod/error.h"
#include "tfprod/graph.h"

namespace tfprod {
namespace {

tfprod::tf::GraphDef parse(const char* text) {
  tfprod::tf::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &g));
  return g;
}

const char* kDiamond = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "split" op: "Split" input: "dim" input: "x" attr { key: "num_split" value { i: 2 } } }
node { name: "dim" op: "Const" }
node { name: "add" op: "AddV2" input: "split:1" input: "split" input: "^x" device: "/cpu:0" }
versions { producer: 38 }
)";

TEST(TensorName, ParsesAndPrints) {
  EXPECT_EQ(TensorRef::parse("a/b"), (TensorRef{"a/b", 0, false}));
  EXPECT_EQ(TensorRef::parse("a/b:3"), (TensorRef{"a/b", 3, false}));
  EXPECT_EQ(TensorRef::parse("^a/b"), (TensorRef{"a/b", 0, true}));
  EXPECT_EQ(TensorRef::parse("a:0").str(), "a");
  EXPECT_EQ(TensorRef::parse("a:2").str(), "a:2");
  EXPECT_EQ(TensorRef::parse("^a").str(), "^a");
  EXPECT_THROW(TensorRef::parse(""), Error);
  EXPECT_THROW(TensorRef::parse("a:"), Error);
  EXPECT_THROW(TensorRef::parse("a:x"), Error);
  EXPECT_THROW(TensorRef::parse(":1"), Error);
  EXPECT_THROW(TensorRef::parse("^"), Error);
  EXPECT_EQ(node_of("^a:1"), "a");
}

TEST(Graph, ImportsTypedEdgesAndExportsLosslessly) {
  auto def = parse(kDiamond);
  Graph g = Graph::from_graphdef(def, "diamond.pbtxt");
  ASSERT_EQ(g.size(), 4u);
  Node* add = g.find("add");
  ASSERT_EQ(add->inputs.size(), 2u);
  EXPECT_EQ(add->inputs[0].node, g.find("split"));
  EXPECT_EQ(add->inputs[0].index, 1);
  EXPECT_EQ(add->inputs[1].index, 0);
  ASSERT_EQ(add->control_inputs.size(), 1u);
  EXPECT_EQ(add->control_inputs[0], g.find("x"));
  EXPECT_EQ(add->device, "/cpu:0");
  EXPECT_EQ(g.find("split")->attr("num_split")->i(), 2);
  EXPECT_EQ(g.to_graphdef().SerializeAsString(), def.SerializeAsString());
  EXPECT_EQ(g.rest().versions().producer(), 38);
}

TEST(Graph, EditedEdgesExportCanonically) {
  Graph g = Graph::from_graphdef(parse(kDiamond), "d");
  Node& add = *g.find("add");
  g.set_input(add, 1, {add.inputs[1].node, 0});
  g.set_input(add, 0, {add.inputs[0].node, 0});
  auto out = g.to_graphdef();
  EXPECT_EQ(out.node(3).input(0), "split");
  EXPECT_EQ(out.node(3).input(2), "^x");
}

TEST(Graph, TopologicalOrderPutsProducersFirst) {
  Graph g = Graph::from_graphdef(parse(kDiamond), "d");
  auto order = g.topological_order();
  auto pos = [&](const char* n) { return std::find(order.begin(), order.end(), g.find(n)) - order.begin(); };
  EXPECT_LT(pos("dim"), pos("split"));
  EXPECT_LT(pos("x"), pos("split"));
  EXPECT_LT(pos("split"), pos("add"));
}

TEST(Graph, CycleIsNamed) {
  Graph g = Graph::from_graphdef(parse(R"(
node { name: "a" op: "Identity" input: "c" }
node { name: "b" op: "Identity" input: "a" }
node { name: "c" op: "Identity" input: "b" }
node { name: "d" op: "Const" })"),
                                 "cyc.pb");
  try {
    validate(g);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cyc.pb: graph has a cycle"), std::string::npos) << m;
    EXPECT_NE(m.find("a -> "), std::string::npos) << m;
  }
}

// An edge to a node of another graph (a clone's, say) is caught by
// validate, for data and for control inputs; the same graph passes.
TEST(Graph, ValidateRefusesAnEdgeIntoAnotherGraph) {
  const char* text = R"(
node { name: "x" op: "Placeholder" }
node { name: "y" op: "Identity" input: "x" }
node { name: "z" op: "Identity" input: "y" })";
  Graph g = Graph::from_graphdef(parse(text), "g.pb");
  Graph other = g.clone();
  EXPECT_NO_THROW(validate(g));
  EXPECT_NO_THROW(validate(other));
  g.set_input(*g.find("z"), 0, {other.find("x"), 0});
  try {
    validate(g);
    FAIL() << "an input into the clone passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("g.pb: node 'z': an input names a node that is not in the graph"),
              std::string::npos)
        << e.what();
  }
  g.set_input(*g.find("z"), 0, {g.find("y"), 0});
  g.add_node("w", "NoOp");  // numbered anew: a node added since the last walk counts as present
  EXPECT_NO_THROW(validate(g));
  g.add_control_input(*g.find("w"), other.find("y"));
  EXPECT_THROW(validate(g), Error);
}

TEST(Graph, WhileLoopBackEdgeIsNotACycle) {
  Graph g = Graph::from_graphdef(parse(R"(
node { name: "enter" op: "Enter" input: "x" }
node { name: "x" op: "Const" }
node { name: "merge" op: "Merge" input: "enter" input: "next" }
node { name: "body" op: "Identity" input: "merge" }
node { name: "next" op: "NextIteration" input: "body" })"),
                                 "loop");
  EXPECT_NO_THROW(validate(g));
}

TEST(Graph, DuplicateAndDanglingAreRefused) {
  EXPECT_THROW(Graph::from_graphdef(parse(R"(node { name: "a" op: "Const" } node { name: "a" op: "Const" })"), "f"),
               Error);
  try {
    Graph::from_graphdef(parse(R"(node { name: "a" op: "Identity" input: "nope:1" })"), "f.pb");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "f.pb: node 'a': input 'nope:1' names no node in the graph");
  }
}

TEST(Graph, RemoveNodesRefusesToStrandAConsumer) {
  Graph g = Graph::from_graphdef(parse(kDiamond), "d");
  EXPECT_THROW(g.remove_nodes([](const Node& n) { return n.name() == "split"; }), Error);
  EXPECT_EQ(g.size(), 4u) << "a refused removal leaves the graph as it was";
  g.remove_nodes([](const Node& n) { return n.name() == "add"; });
  EXPECT_EQ(g.size(), 3u);
  EXPECT_EQ(g.find("add"), nullptr);
}

TEST(Graph, RenameAndAttrs) {
  Graph g = Graph::from_graphdef(parse(kDiamond), "d");
  g.rename(*g.find("x"), "input");
  EXPECT_EQ(g.find("x"), nullptr);
  EXPECT_EQ(g.to_graphdef().node(3).input(2), "^input");
  EXPECT_THROW(g.rename(*g.find("input"), "add"), Error);
  Node& n = *g.find("split");
  n.set_attr("T").set_type(tfprod::tf::DT_HALF);
  EXPECT_EQ(n.attr("T")->type(), tfprod::tf::DT_HALF);
  EXPECT_TRUE(n.remove_attr("T"));
  EXPECT_EQ(n.attr("T"), nullptr);
}

TEST(Graph, AncestorsFollowDataAndControlEdges) {
  Graph g = Graph::from_graphdef(parse(kDiamond), "d");
  auto a = ancestors({g.find("add")});
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(ancestors({g.find("split")}).size(), 3u);
}

}  // namespace
}  // namespace tfprod
