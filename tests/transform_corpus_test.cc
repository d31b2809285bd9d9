// The seed's transform_graph command, verbatim, on our freeze of
// anpr_estimator: same non-Const nodes (names and ops), same op counts and
// equal constants as TF's own frozen_cut_graph.pb. Then pipeline errors.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "test_support.h"
#include "transform_test_support.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "tfprod/transform.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Graph load(const fs::path& p) {
  return Graph::from_graphdef(load_model_file(p).model.meta_graphs(0).graph_def(), p.string());
}

TEST(TransformCorpus, SeedCommandMatchesTfOnAnpr) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::copy_case("anpr_estimator");
  auto r = test::run(test::tool("freeze_graph").string() +
                         " --input_graph=graph.pbtxt --input_checkpoint=model.ckpt-20000"
                         " --output_graph frozen_graph.pb --output_node_names=softmax_tensor",
                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  fs::rename(dir / "frozen_cut_graph.pb", dir.parent_path() / "tf_frozen_cut_graph.pb");
  r = test::run(test::tool("transform_graph").string() +
                    " --in_graph=\"frozen_graph.pb\" --out_graph=\"frozen_cut_graph.pb\" --inputs=\"IteratorGetNext\""
                    " --outputs=\"softmax_tensor\" --transforms='strip_unused_nodes(type=half, shape=\"1,20,20,1\")"
                    " fold_constants(ignore_errors=true) fold_batch_norms fold_old_batch_norms sort_by_execution_order'",
                dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Graph ours = load(dir / "frozen_cut_graph.pb");
  Graph tf = load(dir.parent_path() / "tf_frozen_cut_graph.pb");

  auto non_const = [](const Graph& g) {
    std::set<std::pair<std::string, std::string>> s;
    for (const Node* n : g.nodes())
      if (n->op != "Const") s.insert({n->name(), n->op});
    return s;
  };
  auto op_counts = [](const Graph& g) {
    std::map<std::string, int> m;
    for (const Node* n : g.nodes()) ++m[n->op];
    return m;
  };
  EXPECT_EQ(non_const(ours), non_const(tf));
  EXPECT_EQ(op_counts(ours), op_counts(tf));
  EXPECT_EQ(ours.find("IteratorGetNext")->attr("dtype")->type(), tfprod::tf::DT_HALF);

  // TF's constant folding renamed "x" to "x/_N__cf__M".
  std::regex folded("^(.*)/_\\d+__cf__\\d+$");
  int compared = 0;
  for (const Node* t : tf.nodes()) {
    if (t->op != "Const") continue;
    std::smatch m;
    std::string name = std::regex_match(t->name(), m, folded) ? m[1].str() : t->name();
    const Node* o = ours.find(name);
    ASSERT_TRUE(o && o->op == "Const") << name;
    Tensor a = tensor_from_proto(o->attr("value")->tensor(), name);
    Tensor b = tensor_from_proto(t->attr("value")->tensor(), name);
    EXPECT_EQ(a.dtype, b.dtype) << name;
    EXPECT_EQ(a.shape, b.shape) << name;
    EXPECT_TRUE(a.data == b.data) << name << ": values differ";
    ++compared;
  }
  EXPECT_EQ(compared, 14);
  // TF's folded Shape keeps a control edge from the tensor it measured.
  const Node* shape = ours.find("dropout/dropout/Shape");
  ASSERT_EQ(shape->control_inputs.size(), 1u);
  EXPECT_EQ(shape->control_inputs[0]->name(), "dense/Relu");
}

TEST(TransformErrors, UnknownTransformListsKnownNames) {
  try {
    build_pipeline(parse_transforms("strip_unused_nodes fold_constantz"));
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown transform 'fold_constantz'; known transforms: strip_unused_nodes, fold_constants"),
              std::string::npos)
        << m;
  }
}

TEST(TransformErrors, BadOrMisspelledParameter) {
  try {
    build_pipeline(parse_transforms("strip_unused_nodes(typ=half)"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transform 'strip_unused_nodes' has no parameter 'typ'; it takes: "
                                         "ignore_errors, type, shape"),
              std::string::npos)
        << e.what();
  }
  try {
    build_pipeline(parse_transforms("strip_unused_nodes(type=halfish)"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("type=halfish is not a dtype"), std::string::npos) << e.what();
  }
  EXPECT_THROW(build_pipeline(parse_transforms("fold_constants(ignore_errors=maybe)")), Error);
  EXPECT_THROW(parse_transforms("strip_unused_nodes(type=half"), Error);
  EXPECT_THROW(parse_transforms("strip_unused_nodes(shape=\"1,2)"), Error);
}

TEST(TransformErrors, SyntaxQuotingRepeatsAndBools) {
  auto calls = parse_transforms(
      "  a b(x=1, y=\"p, q\" , x=2)  c(flag=true)\n d( ) ");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].name, "a");
  ASSERT_EQ(calls[1].args.size(), 3u);
  EXPECT_EQ(calls[1].args[1], (std::pair<std::string, std::string>{"y", "p, q"}));
  EXPECT_EQ(calls[1].args[2], (std::pair<std::string, std::string>{"x", "2"}));
  EXPECT_EQ(calls[2].args[0].second, "true");
  EXPECT_TRUE(calls[3].args.empty());
  auto steps = build_pipeline(parse_transforms("fold_constants(ignore_errors=True, clear_output_shapes=0)"));
  EXPECT_TRUE(steps[0].ignore_errors);
  EXPECT_FALSE(steps[0].options.get_bool("clear_output_shapes", true));
}

TEST(TransformErrors, MissingInputOrOutputNames) {
  TFPROD_REQUIRE_CORPUS();
  fs::path out = test::scratch_dir() / "o.pb";
  auto r = test::run(test::tool("transform_graph").string() + " --in_graph=" +
                     (test::corpus_dir() / "anpr_estimator/frozen_cut_graph.pb").string() + " --out_graph=" +
                     out.string() + " --inputs=IteratorGetNxt --outputs=softmax_tensor --transforms=strip_unused_nodes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("input 'IteratorGetNxt' is not in the graph"), std::string::npos) << r.output;
  r = test::run(test::tool("transform_graph").string() + " --in_graph=" +
                (test::corpus_dir() / "anpr_estimator/frozen_cut_graph.pb").string() + " --out_graph=" + out.string() +
                " --inputs=IteratorGetNext --outputs=softmax --transforms=strip_unused_nodes");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("output 'softmax' is not in the graph"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(TransformErrors, FailingTransformLeavesGraphUnchangedAndNamesIt) {
  Graph g = test::parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Identity" input: "x" attr { key: "T" value { type: DT_FLOAT } } })");
  const std::string before = test::graph_text(g);
  PassContext context{{"x"}, {"nope"}, {}};  // strip_unused_nodes fails: no such output
  try {
    run_pipeline(g, build_pipeline(parse_transforms("strip_unused_nodes")), context);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transform 'strip_unused_nodes' failed: output 'nope' is not in the graph"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(test::graph_text(g), before);
  // With ignore_errors the step is skipped with a warning and the run goes on.
  auto results = run_pipeline(g, build_pipeline(parse_transforms("strip_unused_nodes(ignore_errors=true) sort_by_execution_order")), context);
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[1].ok);
  EXPECT_EQ(test::graph_text(g), before);
  ASSERT_EQ(context.warnings.size(), 1u);
}

}  // namespace
}  // namespace tfprod
