// Structural transforms (remove_nodes, remove/rename_attribute, rename_op,
// rename_node, remove/set_device, remove_control_dependencies,
// merge_duplicate_nodes): the graph before and after, and the same numbers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "tfprod/tensor_values.h"
#include "tfprod/model_file.h"
#include "tfprod/error.h"
#include "tfprod/transform.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

#define T_F32 R"( attr { key: "T" value { type: DT_FLOAT } } )"
#define PH(name) R"(node { name: ")" name R"(" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } )" \
  R"(attr { key: "shape" value { shape { dim { size: 2 } dim { size: 3 } } } } })" "\n"
#define CONST(name, v) R"(node { name: ")" name R"(" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } )" \
  R"(attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: )" v R"( } } } })" "\n"

// x -> id -> check -> relu -> out;  c -> idn (IdentityN of relu, c) -> add
const char* kChain = PH("x") CONST("c", "2")
    R"(node { name: "init" op: "NoOp" }
node { name: "id" op: "Identity" input: "x" input: "^init" )" T_F32 R"( }
node { name: "check" op: "CheckNumerics" input: "id" )" T_F32 R"( attr { key: "message" value { s: "bad" } } }
node { name: "relu" op: "Relu" input: "check" )" T_F32 R"( }
node { name: "idn" op: "IdentityN" input: "relu" input: "c"
       attr { key: "T" value { list { type: DT_FLOAT type: DT_FLOAT } } } }
node { name: "add" op: "Add" input: "idn:1" input: "idn" )" T_F32 R"( }
node { name: "out" op: "Identity" input: "add" )" T_F32 R"( }
)";

TEST(TransformStructural, RemoveNodesSplicesIdentityCheckNumericsAndIdentityN) {
  Graph before = parse_graph(kChain);
  Graph after = apply_transforms(before, "remove_nodes(op=Identity, op=CheckNumerics, op=IdentityN)", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "c = Const[DT_FLOAT []]()\n"
            "init = NoOp()\n"
            "relu = Relu(x, ^init)\n"
            "add = Add(c, relu)\n"
            "out = Identity(add)\n")
      << "out is an output and stays; id's control dependency moved to its consumer";
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
}

TEST(TransformStructural, RemoveNodesKeepsInputsOutputsAndRedirectsControlEdges) {
  Graph before = parse_graph(PH("x") R"(
node { name: "id" op: "Identity" input: "x" )" T_F32 R"( }
node { name: "y" op: "Neg" input: "id" )" T_F32 R"( }
node { name: "z" op: "Relu" input: "x" input: "^id" )" T_F32 R"( }
node { name: "out" op: "Add" input: "y" input: "z" )" T_F32 R"( }
)");
  Graph after = apply_transforms(before, "remove_nodes(op=Identity)", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "y = Neg(x)\n"
            "z = Relu(x, ^x)\n"
            "out = Add(y, z)\n");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  Graph kept = apply_transforms(before, "remove_nodes(op=Identity)", {"x"}, {"id"});
  EXPECT_NE(kept.find("id"), nullptr) << "an output node is never removed";
  EXPECT_THROW(apply_transforms(before, "remove_nodes", {}, {"out"}), Error) << "op is required";
}

TEST(TransformStructural, RemoveNodesMaxInputs) {
  Graph before = parse_graph(PH("x") PH("y") R"(
node { name: "two" op: "Sum2" input: "x" input: "y" }
node { name: "out" op: "Relu" input: "two" )" T_F32 R"( }
)");
  EXPECT_NE(apply_transforms(before, "remove_nodes(op=Sum2)", {}, {"out"}).find("two"), nullptr);
  Graph after = apply_transforms(before, "remove_nodes(op=Sum2, max_inputs=2)", {}, {"out"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\ny = Placeholder()\nout = Relu(x)\n") << "TF: consumers read input 0";
}

const char* kAttrs = PH("x") R"(
node { name: "a" op: "Relu" input: "x" device: "/device:GPU:0" )" T_F32 R"(
       attr { key: "_class" value { list { s: "loc:@x" } } } attr { key: "old" value { i: 3 } } }
node { name: "b" op: "Neg" input: "a" input: "^x" )" T_F32 R"( attr { key: "_class" value { list { s: "loc:@a" } } }
       attr { key: "old" value { i: 4 } } }
)";

TEST(TransformStructural, RemoveAndRenameAttribute) {
  Graph g = parse_graph(kAttrs);
  Graph all = apply_transforms(g, "remove_attribute(attribute_name=_class)", {}, {"b"});
  EXPECT_EQ(all.find("a")->attr("_class"), nullptr);
  EXPECT_EQ(all.find("b")->attr("_class"), nullptr);
  Graph one = apply_transforms(g, "remove_attribute(attribute_name=_class, op_name=Neg)", {}, {"b"});
  EXPECT_NE(one.find("a")->attr("_class"), nullptr);
  EXPECT_EQ(one.find("b")->attr("_class"), nullptr);

  Graph renamed = apply_transforms(g, "rename_attribute(old_attribute_name=old, new_attribute_name=fresh, op_name=Relu)",
                                   {}, {"b"});
  const Node* a = renamed.find("a");
  ASSERT_EQ(a->attrs().size(), 3);
  EXPECT_EQ(a->attrs()[2].key(), "fresh") << "keeps its place";
  EXPECT_EQ(a->attr("fresh")->i(), 3);
  EXPECT_EQ(renamed.find("b")->attr("old")->i(), 4) << "other ops untouched";
  expect_same_outputs(g, all, {"b"}, random_feeds(g, {"b"}));
}

TEST(TransformStructural, RenameOpAndNode) {
  Graph g = parse_graph(kAttrs);
  Graph ops = apply_transforms(g, "rename_op(old_op_name=Neg, new_op_name=Negate)", {}, {"b"});
  EXPECT_EQ(graph_text(ops), "x = Placeholder()\na = Relu(x)\nb = Negate(a, ^x)\n");

  Graph nodes = apply_transforms(g, "rename_node(old_node_name=a, new_node_name=deep/relu)", {}, {"b"});
  EXPECT_EQ(graph_text(nodes), "x = Placeholder()\ndeep/relu = Relu(x)\nb = Neg(deep/relu, ^x)\n");
  expect_same_outputs(g, nodes, {"b"}, random_feeds(g, {"b"}));
  EXPECT_THROW(apply_transforms(g, "rename_node(old_node_name=a, new_node_name=b)", {}, {"b"}), Error);
  EXPECT_THROW(apply_transforms(g, "rename_node(old_node_name=nope, new_node_name=c)", {}, {"b"}), Error);

  // An input renamed: later transforms find it under the new name.
  Graph chained = apply_transforms(g, "rename_node(old_node_name=x, new_node_name=in) strip_unused_nodes", {"x"}, {"b"});
  EXPECT_EQ(graph_text(chained), "in = Placeholder()\na = Relu(in)\nb = Neg(a, ^in)\n");
  // An output renamed (TF's own example): later transforms keep it under its new name.
  Graph renamed_out =
      apply_transforms(g, "rename_node(old_node_name=b, new_node_name=out) strip_unused_nodes", {"x"}, {"b"});
  EXPECT_EQ(graph_text(renamed_out), "x = Placeholder()\na = Relu(x)\nout = Neg(a, ^x)\n");
}

TEST(TransformStructural, DevicesAndControlDependencies) {
  Graph g = parse_graph(kAttrs);
  Graph cleared = apply_transforms(g, "remove_device", {}, {"b"});
  for (const Node* n : cleared.nodes()) EXPECT_EQ(n->device, "");
  Graph set = apply_transforms(g, "set_device(device=/device:CPU:0)", {}, {"b"});
  for (const Node* n : set.nodes()) EXPECT_EQ(n->device, "/device:CPU:0");
  Graph defaults = apply_transforms(g, "set_device(device=/device:CPU:0, if_default=true)", {}, {"b"});
  EXPECT_EQ(defaults.find("a")->device, "/device:GPU:0");
  EXPECT_EQ(defaults.find("b")->device, "/device:CPU:0");

  Graph no_ctrl = apply_transforms(g, "remove_control_dependencies", {}, {"b"});
  EXPECT_EQ(graph_text(no_ctrl), "x = Placeholder()\na = Relu(x)\nb = Neg(a)\n");
  expect_same_outputs(g, no_ctrl, {"b"}, random_feeds(g, {"b"}));
}

TEST(TransformStructural, MergeDuplicateNodesReachesTheFixedPointInOneRun) {
  Graph before = parse_graph(PH("x") CONST("c1", "2") CONST("c2", "2") CONST("c3", "3") R"(
node { name: "a" op: "Mul" input: "x" input: "c1" )" T_F32 R"( }
node { name: "b" op: "Mul" input: "x" input: "c2" )" T_F32 R"( }
node { name: "d" op: "Mul" input: "x" input: "c3" )" T_F32 R"( }
node { name: "s" op: "Add" input: "a" input: "b" )" T_F32 R"( }
node { name: "t" op: "Add" input: "s" input: "d" )" T_F32 R"( }
node { name: "r1" op: "RandomUniform" input: "shape" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "T" value { type: DT_INT32 } } }
node { name: "r2" op: "RandomUniform" input: "shape" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "T" value { type: DT_INT32 } } }
node { name: "shape" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 3 } } } }
)");
  Graph after = apply_transforms(before, "merge_duplicate_nodes", {"x"}, {"t"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "c1 = Const[DT_FLOAT []]()\n"
            "c3 = Const[DT_FLOAT []]()\n"
            "a = Mul(x, c1)\n"
            "d = Mul(x, c3)\n"
            "s = Add(a, a)\n"
            "t = Add(s, d)\n"
            "r1 = RandomUniform(shape)\n"
            "r2 = RandomUniform(shape)\n"
            "shape = Const[DT_INT32 [1]]()\n")
      << "c2 and then b merged; different values and random ops stay";
  expect_same_outputs(before, after, {"t"}, random_feeds(before, {"t"}));
}

TEST(TransformStructural, MergeDuplicateNodesKeepsOutputNames) {
  Graph before = parse_graph(PH("x") R"(
node { name: "n1" op: "Neg" input: "x" )" T_F32 R"( }
node { name: "n2" op: "Neg" input: "x" )" T_F32 R"( }
node { name: "n3" op: "Neg" input: "x" )" T_F32 R"( }
node { name: "y" op: "Relu" input: "n1" input: "^n3" )" T_F32 R"( }
)");
  Graph after = apply_transforms(before, "merge_duplicate_nodes", {"x"}, {"y", "n2"});
  EXPECT_EQ(graph_text(after), "x = Placeholder()\nn2 = Neg(x)\ny = Relu(n2, ^n2)\n")
      << "n2 is an output: it survives, n1 and n3 merge into it";
  expect_same_outputs(before, after, {"y", "n2"}, random_feeds(before, {"y"}));
  Graph both = apply_transforms(before, "merge_duplicate_nodes", {"x"}, {"n1", "n2"});
  EXPECT_NE(both.find("n1"), nullptr);
  EXPECT_NE(both.find("n2"), nullptr);
  EXPECT_EQ(both.find("n3"), nullptr);
}

// ---- corpus: frozen graphs full of Identity nodes and repeated Consts ----

struct CorpusGraph {
  const char* path;
  const char* input;
  const char* output;
};

const CorpusGraph kCorpus[] = {
    {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", "input_tensor_input", "output_tensor/Softmax"},
    {"tf2onnx_frozen_graphs/ae0/frozen.pb", "X", "output"},
    {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", "X", "output"},
    {"tflearn_and_gate/frozen_model.pb", "input/X", "output/Sigmoid"},
};

Graph load_corpus(const char* path) {
  ModelFile f = load_model_file(corpus_dir() / path);
  return Graph::from_graphdef(select_meta_graph(f, {}).graph_def(), path);
}

std::size_t count_op(const Graph& g, const std::string& op) {
  std::size_t n = 0;
  for (const Node* node : g.nodes()) n += node->op == op;
  return n;
}

TEST(TransformStructural, CorpusRemoveIdentityAndMergeDuplicatesKeepTheNumbers) {
  TFPROD_REQUIRE_CORPUS();
  for (const auto& c : kCorpus) {
    SCOPED_TRACE(c.path);
    Graph before = load_corpus(c.path);
    const auto feeds = random_feeds(before, {c.output});
    Graph after = apply_transforms(before, "remove_nodes(op=Identity, op=CheckNumerics) merge_duplicate_nodes",
                                   {c.input}, {c.output});
    EXPECT_GT(count_op(before, "Identity"), 0u);
    for (const Node* n : after.nodes()) {
      if (n->op == "Identity") {
        EXPECT_EQ(n->name(), c.output) << "only an output Identity may stay";
      }
    }
    EXPECT_LT(after.size(), before.size());
    expect_same_outputs(before, after, {c.output}, feeds, 1e-6);

    Graph stripped = apply_transforms(after, "remove_device remove_control_dependencies strip_unused_nodes",
                                      {c.input}, {c.output});
    for (const Node* n : stripped.nodes()) {
      EXPECT_EQ(n->device, "");
      EXPECT_TRUE(n->control_inputs.empty());
    }
    expect_same_outputs(before, stripped, {c.output}, feeds, 1e-6);
  }
}

// The unrolled GRU and LSTM cells repeat the same Consts and slices in every
// step: about a fifth of their nodes merge away. keep_prob = 1 makes their
// dropout deterministic.
TEST(TransformStructural, CorpusMergeDuplicateNodesShrinksUnrolledRnns) {
  TFPROD_REQUIRE_CORPUS();
  for (const char* path : {"tf2onnx_frozen_graphs/gru/frozen.pb", "tf2onnx_frozen_graphs/lstm/frozen.pb"}) {
    SCOPED_TRACE(path);
    Graph before = load_corpus(path);
    auto feeds = random_feeds(before, {"output"}, 1, {{"X", {1, 784}}, {"keep_prob", {}}});
    for (auto& [name, t] : feeds)
      if (name == "keep_prob") eval::values<float>(t)[0] = 1.0f;
    Graph after = apply_transforms(before, "merge_duplicate_nodes", {"X", "keep_prob"}, {"output"});
    EXPECT_LT(after.size() * 100, before.size() * 85) << before.size() << " -> " << after.size();
    expect_same_outputs(before, after, {"output"}, feeds, 1e-6);
    Graph again = apply_transforms(after, "merge_duplicate_nodes", {"X", "keep_prob"}, {"output"});
    EXPECT_EQ(again.size(), after.size()) << "one run reaches the fixed point";
  }
}

}  // namespace
}  // namespace tfprod
