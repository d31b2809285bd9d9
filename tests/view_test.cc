// `tfprod view`: the DOT drawn from small graphs (boxes, edges, colours, the
// cut, escaping, collapsing, --inference-only) and the command on the corpus
// (SVG and HTML through Graphviz, errors).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "inference_cleanup_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/graph_view.h"
#include "transform_test_support.h"

namespace tfprod::test {
namespace {

namespace fs = std::filesystem;


// The DOT id of the box whose label starts with `name` (a line of its own).
std::string box_id(const std::string& dot, const std::string& quoted_name) {
  std::smatch m;
  const std::regex re("\\n\\s*(\\w+) \\[id=\"\\w+\", label=\"" + quoted_name + "\\\\n");
  if (!std::regex_search(dot, m, re)) return "";
  return m[1];
}

// The attribute list of the edge from -> to ("" when absent, "-" when there
// is an edge without attributes).
std::string edge(const std::string& dot, const std::string& from, const std::string& to) {
  const std::string head = "  " + from + " -> " + to;
  for (std::size_t at = dot.find(head); at != std::string::npos; at = dot.find(head, at + 1)) {
    const std::size_t end = dot.find('\n', at);
    std::string rest = dot.substr(at + head.size(), end - at - head.size());
    if (rest == ";") return "-";
    if (rest.starts_with(" [")) return rest;
  }
  return "";
}

// An input pipeline feeding a two-layer model, a loss on the labels, TF's
// gradients/ scope and a train op running after it; one scope has a quote
// and a backslash in its name.
const std::string kTrainingGraph =
    node("IteratorV2", "IteratorV2", {}, "") +
    node("IteratorGetNext", "IteratorGetNext", {"IteratorV2"},
         "attr { key: \"output_types\" value { list { type: DT_FLOAT type: DT_INT32 } } }") +
    node("dense/kernel", "Const", {},
         "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
         "tensor_shape { dim { size: 3 } dim { size: 2 } } float_val: 1 } } }") +
    node("dense/MatMul", "MatMul", {"IteratorGetNext", "dense/kernel"}) +
    node("we\\\"ird\\\\/Relu", "Relu", {"dense/MatMul"}) + node("we\\\"ird\\\\/Identity", "Identity", {"we\\\"ird\\\\/Relu"}) +
    node("softmax_tensor", "Softmax", {"we\\\"ird\\\\/Identity"}) +
    node("loss/labels", "Cast", {"IteratorGetNext:1"}, "") +
    node("loss/xent", "SparseSoftmaxCrossEntropyWithLogits", {"we\\\"ird\\\\/Identity", "loss/labels"}) +
    node("gradients/Shape", "Shape", {"loss/xent"}) + node("gradients/Fill", "Fill", {"gradients/Shape"}) +
    node("gradients/xent_grad/mul", "Mul", {"gradients/Fill", "loss/xent:1"}) +
    node("gradients/MatMul_grad/MatMul", "MatMul", {"gradients/xent_grad/mul", "dense/kernel"}) +
    node("train_op", "NoOp", {"^gradients/MatMul_grad/MatMul"}, "");

TEST(ViewDot, BoxesEdgesColoursAndTheCut) {
  Graph g = parse_graph(kTrainingGraph);
  GraphView v = graph_view(g, {.expand_all = true});
  const std::string& dot = v.dot;
  ASSERT_TRUE(dot.starts_with("digraph tfprod {")) << dot;
  EXPECT_EQ(v.nodes_total, g.size());
  EXPECT_EQ(v.boxes, g.size());  // --all: nothing collapsed
  EXPECT_TRUE(v.collapsed.empty());

  const std::string it = box_id(dot, "IteratorGetNext"), mm = box_id(dot, "dense/MatMul"),
                    k = box_id(dot, "dense/kernel"), sm = box_id(dot, "softmax_tensor"), loss = box_id(dot, "loss/xent"), cast = box_id(dot, "loss/labels"),
                    train = box_id(dot, "train_op"), mmg = box_id(dot, "gradients/MatMul_grad/MatMul");
  for (const auto& id : {it, mm, k, sm, loss, cast, train, mmg}) ASSERT_FALSE(id.empty()) << dot;

  // Labels: name, op, and a Const's shape.
  EXPECT_NE(dot.find("label=\"dense/kernel\\nConst [3,2]\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"dense/MatMul\\nMatMul\""), std::string::npos) << dot;
  // The cut: IteratorGetNext -> model dashed red "cut"; its label edge into the loss is not a cut.
  EXPECT_EQ(edge(dot, it, mm), " [style=dashed, color=\"#d1242f\", fontcolor=\"#d1242f\", penwidth=2, label=\"cut\"];")
      << dot;
  EXPECT_EQ(edge(dot, it, cast), "-") << dot;
  EXPECT_EQ(edge(dot, k, mm), "-") << dot;
  // Control edges dotted.
  EXPECT_EQ(edge(dot, mmg, train), " [style=dotted];") << dot;
  EXPECT_EQ(edge(dot, mm, it), "") << "no edge backwards";

  // Colours: the loss and the gradients filled with their role's colour, model nodes plain.
  auto line_of = [&](const std::string& id) {
    const std::size_t at = dot.find("  " + id + " [id=");
    return at == std::string::npos ? std::string() : dot.substr(at, dot.find('\n', at) - at);
  };
  EXPECT_NE(line_of(loss).find("fillcolor=\"#f4b6b6\""), std::string::npos) << line_of(loss);
  EXPECT_NE(line_of(mmg).find("fillcolor=\"#ddd0f2\""), std::string::npos) << line_of(mmg);
  EXPECT_EQ(line_of(mm).find("fillcolor"), std::string::npos) << line_of(mm);
  // Inputs green, outputs blue, both bold.
  EXPECT_NE(line_of(it).find("color=\"#1a7f37\", penwidth=3"), std::string::npos) << line_of(it);
  EXPECT_NE(line_of(sm).find("color=\"#0b5cad\", penwidth=3"), std::string::npos) << line_of(sm);
  EXPECT_NE(line_of(it).find("likely input (cut here)"), std::string::npos);
  // The legend names the roles drawn.
  EXPECT_NE(dot.find("subgraph cluster_legend"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"gradients\", fillcolor=\"#ddd0f2\"]"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("[label=\"summaries\""), std::string::npos) << "no summary in this graph";
}

TEST(ViewDot, NamesAreEscaped) {
  Graph g = parse_graph(kTrainingGraph);
  ASSERT_NE(g.find("we\"ird\\/Relu"), nullptr);
  const std::string dot = graph_view(g, {.expand_all = true}).dot;
  // we"ird\/Relu -> we\"ird\\/Relu inside the DOT string, and the scope's cluster label too.
  EXPECT_NE(dot.find("label=\"we\\\"ird\\\\/Relu\\nRelu\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"we\\\"ird\\\\/\";"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("we\"ird"), std::string::npos) << "an unescaped quote ends the string early";
  EXPECT_EQ(dot_quote("a\"b\\c\nd&e\x01"), "a\\\"b\\\\c\\nd&amp;e");
  EXPECT_EQ(html_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

TEST(ViewDot, TrainingOnlyScopesCollapseByDefault) {
  Graph g = parse_graph(kTrainingGraph);
  GraphView v = graph_view(g);
  ASSERT_EQ(v.collapsed, std::vector<std::string>{"gradients/"});
  EXPECT_EQ(v.boxes, g.size() - 3);  // 4 gradients/ nodes -> 1 box
  EXPECT_NE(v.dot.find("label=\"gradients/\\n4 nodes collapsed\\ngradients\""), std::string::npos) << v.dot;
  EXPECT_TRUE(box_id(v.dot, "gradients/Fill").empty());
  // Edges into and out of the summary box, drawn once.
  const std::string loss = box_id(v.dot, "loss/xent"), train = box_id(v.dot, "train_op");
  EXPECT_EQ(edge(v.dot, loss, "s1"), "-") << v.dot;
  EXPECT_EQ(edge(v.dot, "s1", train), " [style=dotted];") << v.dot;
  // --collapse 1 also collapses model scopes, but never an input or output.
  GraphView c = graph_view(g, {.collapse = 1});
  EXPECT_NE(std::find(c.collapsed.begin(), c.collapsed.end(), "dense/"), c.collapsed.end());
  EXPECT_FALSE(box_id(c.dot, "softmax_tensor").empty());
  EXPECT_FALSE(box_id(c.dot, "IteratorGetNext").empty());
}

TEST(ViewDot, InferenceOnlyKeepsWhatTheOutputsNeed) {
  Graph g = parse_graph(kTrainingGraph);
  GraphView v = graph_view(g, {.inference_only = true});
  EXPECT_EQ(v.nodes_drawn, 6u);  // IteratorGetNext, kernel, MatMul, Relu, Identity, softmax_tensor
  EXPECT_FALSE(box_id(v.dot, "softmax_tensor").empty());
  EXPECT_FALSE(box_id(v.dot, "IteratorGetNext").empty());
  EXPECT_TRUE(box_id(v.dot, "IteratorV2").empty()) << "nothing above the cut";
  EXPECT_TRUE(box_id(v.dot, "loss/xent").empty());
  EXPECT_EQ(v.dot.find("gradients/"), std::string::npos);
  // A given output: only its ancestors.
  GraphView m = graph_view(g, {.outputs = {"dense/MatMul"}, .inference_only = true});
  EXPECT_EQ(m.nodes_drawn, 3u);
  ASSERT_EQ(m.io.outputs.size(), 1u);
  EXPECT_EQ(m.io.outputs[0].name, "dense/MatMul");
  EXPECT_THROW(graph_view(g, {.outputs = {"nope"}}), Error);
}

TEST(ViewDot, HugeGraphsAreFoldedSoDotFinishes) {
  std::string text = placeholder("x");
  std::string prev = "x";
  for (int s = 0; s < 40; ++s)
    for (int i = 0; i < 50; ++i) {
      const std::string name = "block" + std::to_string(s) + "/relu" + std::to_string(i);
      text += node(name, "Relu", {prev});
      prev = name;
    }
  text += node("out", "Softmax", {prev});
  Graph g = parse_graph(text);
  GraphView v = graph_view(g);
  EXPECT_LE(v.boxes, 1500u);
  EXPECT_GT(v.boxes, 1000u) << "only as many scopes folded as needed";
  ASSERT_FALSE(v.collapsed.empty());
  EXPECT_EQ(v.collapsed[0], "block0/") << "folded in graph order";
  EXPECT_FALSE(box_id(v.dot, "out").empty());
  EXPECT_EQ(graph_view(g, {.expand_all = true}).boxes, g.size());
}

bool have_dot() { return !find_dot().empty(); }

fs::path anpr() { return corpus_dir() / "anpr_estimator"; }

TEST(ViewCli, AnprSvg) {
  TFPROD_REQUIRE_CORPUS();
  if (!have_dot()) GTEST_SKIP() << "Graphviz's dot is not installed: SVG test skipped (CI installs graphviz)";
  const fs::path out = scratch_dir() / "anpr.svg";
  auto r = run(tool("tfprod").string() + " view " + (anpr() / "graph.pbtxt").string() + " -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string svg = slurp(out);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("IteratorGetNext"), std::string::npos);
  EXPECT_NE(svg.find("softmax_tensor"), std::string::npos);
  EXPECT_NE(svg.find(">cut<"), std::string::npos) << "the cut edge's label";
  EXPECT_NE(svg.find("gradients/"), std::string::npos);
  EXPECT_NE(r.output.find("likely outputs: softmax_tensor"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("collapsed (--all to expand):"), std::string::npos) << r.output;
  // Nothing left behind but the picture.
  EXPECT_EQ(std::distance(fs::directory_iterator(out.parent_path()), fs::directory_iterator()), 1);
}

TEST(ViewCli, AnprInferenceOnlyDropsTheSaver) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = scratch_dir();
  auto all = run(tool("tfprod").string() + " view " + anpr().string() + " --all -o " + (dir / "all.dot").string());
  ASSERT_EQ(all.exit_code, 0) << all.output;
  auto inf = run(tool("tfprod").string() + " view " + anpr().string() + " --inference-only -o " +
                 (dir / "inf.dot").string());
  ASSERT_EQ(inf.exit_code, 0) << inf.output;
  const std::string a = slurp(dir / "all.dot"), i = slurp(dir / "inf.dot");
  EXPECT_NE(a.find("label=\"save/SaveV2"), std::string::npos);
  EXPECT_EQ(i.find("save/"), std::string::npos);
  EXPECT_EQ(i.find("gradients/"), std::string::npos);
  EXPECT_NE(i.find("label=\"softmax_tensor\\nSoftmax"), std::string::npos) << i;
  EXPECT_NE(i.find("label=\"IteratorGetNext\\nIteratorGetNext"), std::string::npos) << i;
  if (!have_dot()) GTEST_SKIP() << "Graphviz's dot is not installed: SVG part skipped (CI installs graphviz)";
  auto svg = run(tool("tfprod").string() + " view " + anpr().string() + " --inference-only -o " +
                 (dir / "inf.svg").string());
  ASSERT_EQ(svg.exit_code, 0) << svg.output;
  const std::string s = slurp(dir / "inf.svg");
  EXPECT_NE(s.find("softmax_tensor"), std::string::npos);
  EXPECT_EQ(s.find("save/"), std::string::npos);
}

TEST(ViewCli, AnprHtmlHasSearchSvgAndTable) {
  TFPROD_REQUIRE_CORPUS();
  if (!have_dot()) GTEST_SKIP() << "Graphviz's dot is not installed: HTML test skipped (CI installs graphviz)";
  const fs::path out = scratch_dir() / "anpr.html";
  auto r = run(tool("tfprod").string() + " view " + (anpr() / "model.ckpt-20000").string() + " -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = slurp(out);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("<input id=\"tfprod-search\""), std::string::npos);
  EXPECT_NE(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("scrollIntoView"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos) << "SVG prolog stripped for inline use";
  EXPECT_NE(html.find("[\"n"), std::string::npos) << "search index";
  EXPECT_NE(html.find("<td>likely input (cut)</td><td><code>IteratorGetNext</code></td>"), std::string::npos);
  EXPECT_NE(html.find("<td>likely output</td><td><code>softmax_tensor</code></td>"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "self-contained";
}

TEST(ViewCli, Errors) {
  const fs::path dir = scratch_dir();
  auto bad = run(tool("tfprod").string() + " view " + (dir / "missing.pbtxt").string() + " -o " +
                 (dir / "x.svg").string());
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(bad.output.starts_with("tfprod: error: ")) << bad.output;
  EXPECT_NE(bad.output.find((dir / "missing.pbtxt").string()), std::string::npos) << bad.output;
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "x.svg"));

  const fs::path graph = dir / "g.pbtxt";
  std::ofstream(graph) << kTrainingGraph;
  auto format = run(tool("tfprod").string() + " view " + graph.string() + " -o " + (dir / "x.png").string());
  EXPECT_EQ(format.exit_code, 1) << format.output;
  EXPECT_NE(format.output.find("use .svg, .html or .dot"), std::string::npos) << format.output;

  const std::string before = slurp(graph);
  auto same = run(tool("tfprod").string() + " view " + graph.string() + " -o " + graph.string());
  EXPECT_EQ(same.exit_code, 1);  // .pbtxt is no picture format either
  auto same_dot = run("cp " + graph.string() + " " + (dir / "g.dot").string() + " && " + tool("tfprod").string() +
                      " view " + (dir / "g.dot").string() + " -o " + (dir / "g.dot").string());
  EXPECT_EQ(same_dot.exit_code, 1) << same_dot.output;
  EXPECT_NE(same_dot.output.find("would overwrite the input"), std::string::npos) << same_dot.output;
  EXPECT_EQ(slurp(dir / "g.dot"), before);

  auto output = run(tool("tfprod").string() + " view " + graph.string() + " --output nope -o " +
                    (dir / "y.dot").string());
  EXPECT_EQ(output.exit_code, 1);
  EXPECT_NE(output.output.find("output 'nope': no node of that name"), std::string::npos) << output.output;

  // Without Graphviz: a clear message for .svg, while .dot still works.
  auto no_dot = run("PATH=" + dir.string() + " " + tool("tfprod").string() + " view " + graph.string() + " -o " +
                    (dir / "z.svg").string());
  EXPECT_EQ(no_dot.exit_code, 1) << no_dot.output;
  EXPECT_NE(no_dot.output.find("install graphviz"), std::string::npos) << no_dot.output;
  EXPECT_NE(no_dot.output.find("z.dot"), std::string::npos) << no_dot.output;
  auto dot_ok = run("PATH=" + dir.string() + " " + tool("tfprod").string() + " view " + graph.string() + " -o " +
                    (dir / "z.dot").string());
  EXPECT_EQ(dot_ok.exit_code, 0) << dot_ok.output;
  EXPECT_TRUE(slurp(dir / "z.dot").starts_with("digraph tfprod {"));
}

TEST(ViewCli, Help) {
  auto r = run(tool("tfprod").string() + " view --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* opt : {"--inference-only", "--output", "--collapse", "--all", "-o"})
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt << "\n" << r.output;
}

}  // namespace
}  // namespace tfprod::test
