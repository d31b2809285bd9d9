// The rewrite layer: use lists kept by Graph's edge writes, the shared
// helpers (replace uses, erase_dead, unique_name, constants, IoRefs) and the
// pattern matcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/pattern.h"
#include "tfprod/rewrite.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

// Every node's use list equals what a full scan of the graph finds.
void expect_uses_consistent(const Graph& g) {
  auto scanned = g.uses();
  for (const Node* n : g.nodes()) {
    std::vector<std::pair<const Node*, int>> want, have;
    for (const Use& u : scanned[n]) want.emplace_back(u.node, u.input_index);
    for (const Use& u : n->uses()) have.emplace_back(u.node, u.input_index);
    std::sort(want.begin(), want.end());
    std::sort(have.begin(), have.end());
    EXPECT_EQ(have, want) << "use list of " << n->name();
  }
}

const char* kChain = R"(
node { name: "x" op: "Placeholder" }
node { name: "y" op: "Placeholder" }
node { name: "a" op: "Neg" input: "x" }
node { name: "b" op: "AddV2" input: "a" input: "x" input: "^y" }
node { name: "c" op: "Neg" input: "b" input: "^a" }
)";

TEST(UseLists, ImportBuildsThem) {
  Graph g = test::parse_graph(kChain);
  expect_uses_consistent(g);
  EXPECT_EQ(g.find("x")->uses().size(), 2u);
  EXPECT_EQ(g.find("a")->uses().size(), 2u);  // b:0 and ^a from c
  EXPECT_TRUE(g.find("c")->uses().empty());
}

TEST(UseLists, EveryEdgeWriteKeepsThemCurrent) {
  Graph g = test::parse_graph(kChain);
  Node& b = *g.find("b");
  Node& c = *g.find("c");
  Node* x = g.find("x");
  Node* y = g.find("y");
  g.set_input(b, 0, {y, 0});
  expect_uses_consistent(g);
  EXPECT_EQ(g.find("a")->uses().size(), 1u);
  g.insert_input(b, 0, {g.find("a"), 0});
  expect_uses_consistent(g);
  EXPECT_EQ(b.inputs[0].node->name(), "a");
  EXPECT_EQ(b.inputs[2].node, x);
  g.remove_input(b, 1);
  expect_uses_consistent(g);
  EXPECT_EQ(b.inputs.size(), 2u);
  g.add_input(c, {x, 0});
  g.add_control_input(c, y);
  expect_uses_consistent(g);
  EXPECT_TRUE(g.remove_control_input(b, y));
  EXPECT_FALSE(g.remove_control_input(b, y));
  expect_uses_consistent(g);
  g.set_inputs(c, {{y, 0}});
  g.set_control_inputs(c, {x});
  expect_uses_consistent(g);
  g.clear_inputs(b);
  expect_uses_consistent(g);
  EXPECT_TRUE(b.inputs.empty());
  g.remove_nodes([](const Node& n) { return n.name() == "a" || n.name() == "b"; });
  expect_uses_consistent(g);
  EXPECT_EQ(x->uses().size(), 1u);  // ^x from c
}

TEST(Rewrite, Int32TensorsForAxesAndShapes) {
  Tensor v = int32_tensor({3, -1, 7});
  EXPECT_EQ(v.dtype, tfprod::tf::DT_INT32);
  EXPECT_EQ(v.shape, (Shape{3}));
  ASSERT_EQ(v.data.size(), 3 * sizeof(int32_t));
  int32_t got[3];
  std::memcpy(got, v.data.data(), sizeof got);
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], 7);
  Tensor s = int32_tensor({5}, true);
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data.size(), sizeof(int32_t));
  EXPECT_THROW(int32_tensor({1, 2}, true), Error);
}

TEST(Rewrite, ReplaceAllUsesMovesOneEndpoint) {
  Graph g = test::parse_graph(R"(
node { name: "s" op: "Split" }
node { name: "y" op: "Placeholder" }
node { name: "r0" op: "Neg" input: "s" }
node { name: "r1" op: "Neg" input: "s:1" input: "^s" }
)");
  EXPECT_EQ(replace_all_uses(g, {g.find("s"), 1}, {g.find("y"), 0}), 1);
  EXPECT_EQ(g.find("r1")->inputs[0].node->name(), "y");
  EXPECT_EQ(g.find("r0")->inputs[0].node->name(), "s");
  EXPECT_EQ(g.find("r1")->control_inputs[0]->name(), "s");  // control edges untouched
  expect_uses_consistent(g);
}

TEST(Rewrite, ReplaceNodeUsesMovesDataAndControlEdges) {
  Graph g = test::parse_graph(R"(
node { name: "from" op: "Split" }
node { name: "to" op: "Split" input: "from" }
node { name: "r" op: "AddV2" input: "from:1" input: "from" input: "^from" input: "^to" }
node { name: "q" op: "NoOp" input: "^from" }
)");
  EXPECT_EQ(replace_node_uses(g, *g.find("from"), *g.find("to")), 4);
  const Node* r = g.find("r");
  EXPECT_EQ(r->inputs[0], (Endpoint{g.find("to"), 1}));
  EXPECT_EQ(r->inputs[1], (Endpoint{g.find("to"), 0}));
  EXPECT_EQ(r->control_inputs.vector(), std::vector<Node*>{g.find("to")});  // not doubled
  EXPECT_EQ(g.find("q")->control_inputs[0]->name(), "to");
  EXPECT_EQ(g.find("to")->inputs[0].node->name(), "from");  // `to` itself is left alone
  EXPECT_EQ(g.find("from")->uses().size(), 1u);
  expect_uses_consistent(g);

  Graph h = test::parse_graph(R"(
node { name: "sel" op: "Select" input: "c" input: "a" input: "b" }
node { name: "a" op: "Placeholder" }
node { name: "b" op: "Placeholder" }
node { name: "c" op: "Const" }
node { name: "r" op: "Neg" input: "sel" input: "^sel" }
)");
  replace_node_uses(h, *h.find("sel"), Endpoint{h.find("b"), 0});
  EXPECT_EQ(h.find("r")->inputs[0].node->name(), "b");
  EXPECT_EQ(h.find("r")->control_inputs[0]->name(), "b");
  EXPECT_TRUE(h.find("sel")->uses().empty());
}

TEST(Rewrite, EraseDeadFollowsOneRule) {
  Graph g = test::parse_graph(R"(
node { name: "in" op: "Placeholder" }
node { name: "w" op: "Const" }
node { name: "shared" op: "Const" }
node { name: "a" op: "Mul" input: "in" input: "w" input: "^shared" }
node { name: "seed" op: "Neg" input: "a" }
node { name: "other" op: "Neg" input: "shared" }
node { name: "read" op: "Neg" input: "in" }
node { name: "busy" op: "Neg" input: "in" }
node { name: "reader" op: "Neg" input: "busy" }
)");
  std::unordered_set<std::string> keep = {"in"};
  // seed: unread -> dead; a: only seed read it -> dead; w: dead; shared: `other`
  // still reads it; in: protected; busy: read by a live node.
  EXPECT_EQ(erase_dead(g, {g.find("seed"), g.find("busy")}, keep), 3u);
  EXPECT_EQ(g.find("seed"), nullptr);
  EXPECT_EQ(g.find("a"), nullptr);
  EXPECT_EQ(g.find("w"), nullptr);
  EXPECT_NE(g.find("shared"), nullptr);
  EXPECT_NE(g.find("in"), nullptr);
  EXPECT_NE(g.find("busy"), nullptr);
  expect_uses_consistent(g);
  // A protected seed stays.
  EXPECT_EQ(erase_dead(g, {g.find("read")}, {"read"}), 0u);
  EXPECT_NE(g.find("read"), nullptr);
}

TEST(Rewrite, EraseDeadOnlyTakesRemovableNodes) {
  Graph g = test::parse_graph(R"(
node { name: "p" op: "Placeholder" }
node { name: "c" op: "Const" input: "^p" }
node { name: "id" op: "Identity" input: "c" }
)");
  std::vector<std::string> names;
  auto consts = [](const Node& n) { return n.op != "Placeholder"; };
  EXPECT_EQ(erase_dead(g, {g.find("id")}, {}, consts, &names), 2u);
  EXPECT_EQ(names, (std::vector<std::string>{"c", "id"}));  // graph order
  EXPECT_NE(g.find("p"), nullptr);                          // not removable
  expect_uses_consistent(g);
}

TEST(Rewrite, BypassSplicesANodeOut) {
  Graph g = test::parse_graph(R"(
node { name: "a" op: "Placeholder" }
node { name: "b" op: "Placeholder" }
node { name: "dep" op: "NoOp" }
node { name: "idn" op: "IdentityN" input: "a" input: "b" input: "^dep" }
node { name: "r" op: "AddV2" input: "idn:1" input: "idn" }
node { name: "q" op: "NoOp" input: "^idn" input: "^a" }
node { name: "bad" op: "Neg" input: "idn:2" }
)");
  Node& idn = *g.find("idn");
  EXPECT_THROW(bypass(g, idn, idn.inputs.vector()), Error);  // "bad" reads output 2 of 2
  g.remove_nodes([](const Node& n) { return n.name() == "bad"; });
  bypass(g, idn, idn.inputs.vector());
  const Node* r = g.find("r");
  EXPECT_EQ(r->inputs[0].node->name(), "b");
  EXPECT_EQ(r->inputs[1].node->name(), "a");
  EXPECT_EQ(r->control_inputs.vector(), std::vector<Node*>{g.find("dep")});
  std::vector<std::string> q;
  for (const Node* c : g.find("q")->control_inputs) q.push_back(c->name());
  EXPECT_EQ(q, (std::vector<std::string>{"a", "b", "dep"}));  // ^a not doubled
  EXPECT_TRUE(idn.uses().empty());
  expect_uses_consistent(g);
  EXPECT_FALSE(add_control_dependency(g, *g.find("q"), g.find("q")));  // never itself
}

TEST(Rewrite, MakeConstDropsInputsAndAttrs) {
  Graph g = test::parse_graph(R"(
node { name: "x" op: "Placeholder" }
node { name: "n" op: "Neg" input: "x" input: "^x" attr { key: "T" value { type: DT_FLOAT } } }
)");
  Tensor t;
  t.dtype = tfprod::tf::DT_INT32;
  t.shape = {};
  const int32_t v = 7;
  t.data.assign(reinterpret_cast<const char*>(&v), 4);
  Node& n = *g.find("n");
  make_const(g, n, t);
  EXPECT_EQ(n.op, "Const");
  EXPECT_TRUE(n.inputs.empty() && n.control_inputs.empty());
  EXPECT_EQ(n.attr("T"), nullptr);
  EXPECT_EQ(const_value<int32_t>(n), std::vector<int32_t>{7});
  EXPECT_TRUE(g.find("x")->uses().empty());
}

TEST(Rewrite, OnlyReadBy) {
  Graph g = test::parse_graph(kChain);
  EXPECT_FALSE(only_read_by(*g.find("a"), *g.find("b")));  // c reads ^a too
  EXPECT_TRUE(only_read_by(*g.find("b"), *g.find("c")));
  EXPECT_FALSE(only_read_by(*g.find("c"), *g.find("b")));  // unread
}

TEST(Rewrite, UniqueName) {
  Graph g = test::parse_graph(R"(
node { name: "w" op: "Const" }
node { name: "w_1" op: "Const" }
)");
  EXPECT_EQ(unique_name(g, "v"), "v");
  EXPECT_EQ(unique_name(g, "w"), "w_2");
}

TEST(Rewrite, ConstRoundTrip) {
  Graph g;
  Tensor t;
  t.dtype = tfprod::tf::DT_FLOAT;
  t.shape = {2};
  const float v[2] = {1.5f, -2.0f};
  t.data.assign(reinterpret_cast<const char*>(v), sizeof v);
  Node& c = add_const(g, "c", t);
  EXPECT_EQ(c.op, "Const");
  EXPECT_EQ(c.attr("dtype")->type(), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(const_value<float>(c), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_FALSE(const_value<int32_t>(c).has_value());  // wrong dtype
  EXPECT_EQ(const_tensor(c)->shape, (Shape{2}));
  Node& p = g.add_node("p", "Placeholder");
  EXPECT_FALSE(const_tensor(p).has_value());

  Tensor b;
  b.dtype = tfprod::tf::DT_BOOL;
  b.data = std::string("\1\0\1", 3);
  b.shape = {3};
  set_const(c, b);
  EXPECT_EQ(const_value<bool>(c), (std::vector<bool>{true, false, true}));
}

TEST(Rewrite, IoRefsParseOnce) {
  IoRefs io({"in:1", "in2"}, {"^out", "y"});
  EXPECT_EQ(io.inputs()[0], (TensorRef{"in", 1, false}));
  EXPECT_TRUE(io.is_input("in2"));
  EXPECT_TRUE(io.is_output("out"));
  EXPECT_FALSE(io.is_output("in"));
  EXPECT_EQ(io.protected_names(), (std::unordered_set<std::string>{"in", "in2", "out", "y"}));
  EXPECT_EQ(io.output_names(), (std::unordered_set<std::string>{"out", "y"}));
  EXPECT_THROW(IoRefs({"bad:"}, {}), Error);
}

const char* kPadConv = R"(
node { name: "x" op: "Placeholder" }
node { name: "pads" op: "Const" }
node { name: "w" op: "Const" }
node { name: "pad" op: "MirrorPad" input: "x" input: "pads" }
node { name: "conv" op: "Conv2D" input: "pad" input: "w" }
)";

OpPattern pad_conv() {
  using S = OpPattern::Status;
  return {"conv",
          {"Conv2D", "DepthwiseConv2dNative"},
          {{"pad", {"MirrorPad", "Pad"}, {{"x", {}}, {"pads", {"Const"}}}, S::kRemove}, {"w", {"Const"}}}};
}

TEST(Pattern, MatchesLabelledNodes) {
  Graph g = test::parse_graph(kPadConv);
  auto m = match_pattern(*g.find("conv"), pad_conv(), {});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->at("pad")->name(), "pad");
  EXPECT_EQ(m->at("x")->name(), "x");
  EXPECT_EQ(m->removed, std::vector<Node*>{g.find("pad")});
  EXPECT_THROW(m->at("nope"), Error);
  EXPECT_FALSE(match_pattern(*g.find("pad"), pad_conv(), {}).has_value());  // wrong op
  EXPECT_EQ(match_all(g, pad_conv(), {}).size(), 1u);
}

TEST(Pattern, RefusesRemovingANodeReadOutsideTheMatch) {
  Graph g = test::parse_graph(std::string(kPadConv) + R"(node { name: "spy" op: "NoOp" input: "^pad" })");
  EXPECT_FALSE(match_pattern(*g.find("conv"), pad_conv(), {}).has_value());
  Graph h = test::parse_graph(kPadConv);
  EXPECT_FALSE(match_pattern(*h.find("conv"), pad_conv(), {"pad"}).has_value());  // protected
  EXPECT_TRUE(match_pattern(*h.find("conv"), pad_conv(), {"conv"}).has_value());   // kept root may be
  // Read by a node inside the match, but not through a matched edge.
  Graph k = test::parse_graph(R"(
node { name: "x" op: "Placeholder" }
node { name: "pads" op: "Const" }
node { name: "pad" op: "MirrorPad" input: "x" input: "pads" }
node { name: "conv" op: "Conv2D" input: "pad" input: "pad" }
)");
  OpPattern loose{"conv", {"Conv2D"}, {{"pad", {"MirrorPad"}, {}, OpPattern::Status::kRemove}, {"w", {}}}};
  EXPECT_FALSE(match_pattern(*k.find("conv"), loose, {}).has_value());
}

TEST(Pattern, InputCountPortPredicateAndRepeatedLabels) {
  Graph g = test::parse_graph(R"(
node { name: "x" op: "Placeholder" }
node { name: "s" op: "Split" input: "x" }
node { name: "sq" op: "Mul" input: "x" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "m" op: "Mul" input: "s:1" input: "x" }
)");
  OpPattern square{"sq", {"Mul"}, {{"v", {}}, {"v", {}}}};
  EXPECT_TRUE(match_pattern(*g.find("sq"), square, {}).has_value());
  EXPECT_FALSE(match_pattern(*g.find("m"), square, {}).has_value());  // v bound twice differently
  OpPattern typed = square;
  typed.when = [](const Node& n) { return n.attr("T") && n.attr("T")->type() == tfprod::tf::DT_HALF; };
  EXPECT_FALSE(match_pattern(*g.find("sq"), typed, {}).has_value());
  OpPattern port0{"m", {"Mul"}, {{"s", {"Split"}, {}, OpPattern::Status::kKeep, {}, 0}, {"x", {}}}};
  EXPECT_FALSE(match_pattern(*g.find("m"), port0, {}).has_value());
  port0.inputs[0].port = 1;
  EXPECT_TRUE(match_pattern(*g.find("m"), port0, {}).has_value());
  OpPattern three{"m", {"Mul"}, {{"a", {}}, {"b", {}}, {"c", {}}}};
  EXPECT_FALSE(match_pattern(*g.find("m"), three, {}).has_value());  // input count differs
}

}  // namespace
}  // namespace tfprod
