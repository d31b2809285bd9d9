// Graph::serialize (the streaming writer export uses) gives exactly the bytes
// of serializing to_graphdef(), on every graph in the corpus and on graphs a
// pass edited; Graph::reorder gives the graph a reordered GraphDef would.
#include <gtest/gtest.h>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

std::string streamed(const Graph& g) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    g.serialize(stream);
  }
  return out;
}

std::vector<const tfprod::tf::GraphDef*> graph_defs(const ModelFile& f) {
  std::vector<const tfprod::tf::GraphDef*> out;
  for (const auto& meta : f.model.meta_graphs())
    if (meta.has_graph_def()) out.push_back(&meta.graph_def());
  return out;
}

TEST(GraphSerializeCorpus, StreamedBytesEqualTheGraphDefsOnEveryBinaryGraph) {
  TFPROD_REQUIRE_CORPUS();
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(test::corpus_dir())) {
    const std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".pb" && ext != ".meta") || e.path().filename() == "keras_metadata.pb") continue;
    SCOPED_TRACE(e.path().string());
    ModelFile f = load_model_file(e.path());
    if (is_text(f.kind)) continue;
    for (const auto* def : graph_defs(f)) {
      Graph g = Graph::from_graphdef(*def, e.path().string());
      const std::string want = serialize(g.to_graphdef());
      const std::string got = streamed(g);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_TRUE(got == want);
      EXPECT_EQ(g.serialized_size(), want.size());
      ++checked;
    }
  }
  std::cout << checked << " graphs stream byte-identically\n";
  EXPECT_GE(checked, 50);
}

tfprod::tf::GraphDef small_graph() {
  tfprod::tf::GraphDef def;
  auto add = [&](const char* name, const char* op, std::vector<std::string> inputs) {
    auto* n = def.add_node();
    n->set_name(name);
    n->set_op(op);
    for (auto& i : inputs) n->add_input(i);
    auto* a = n->add_attr();
    a->set_key("T");
    a->mutable_value()->set_type(tfprod::tf::DT_FLOAT);
    return n;
  };
  add("out", "Add", {"b", "a:0", "^c"});
  add("b", "Relu", {"a"});
  add("a", "Placeholder", {});
  add("c", "NoOp", {});
  def.mutable_versions()->set_producer(27);
  def.mutable_node(0)->mutable_experimental_debug_info()->add_original_node_names("orig");
  return def;
}

TEST(GraphSerialize, EditedGraphStreamsAsItsGraphDef) {
  Graph g = Graph::from_graphdef(small_graph(), "small");
  Node* out = g.find("out");
  g.set_input(*out, 0, {g.find("a"), 0});  // an edited edge is written canonically
  g.find("b")->set_attr("extra").set_s(std::string(100000, 'w'));
  Node& k = g.add_node("k", "Const");
  k.set_attr("dtype").set_type(tfprod::tf::DT_FLOAT);
  const std::string want = serialize(g.to_graphdef());
  EXPECT_TRUE(streamed(g) == want);
  EXPECT_EQ(g.serialized_size(), want.size());
}

TEST(GraphSerialize, SaveGraphWritesTheSameFileAsSaveGraphDef) {
  Graph g = Graph::from_graphdef(small_graph(), "small");
  const fs::path dir = test::scratch_dir();
  save_graph(g, dir / "a.pb", false);
  save_graphdef(g.to_graphdef(), dir / "b.pb", false);
  EXPECT_EQ(test::slurp(dir / "a.pb"), test::slurp(dir / "b.pb"));
  save_graph(g, dir / "a.pbtxt", true);
  save_graphdef(g.to_graphdef(), dir / "b.pbtxt", true);
  EXPECT_EQ(test::slurp(dir / "a.pbtxt"), test::slurp(dir / "b.pbtxt"));
}

TEST(GraphReorder, EqualsTheGraphReadFromTheReorderedGraphDef) {
  Graph g = Graph::from_graphdef(small_graph(), "small");
  const auto order = g.topological_order();
  tfprod::tf::GraphDef def = g.to_graphdef();
  tfprod::tf::GraphDef sorted = def;
  sorted.clear_node();
  for (const Node* n : order)
    for (const auto& nd : def.node())
      if (nd.name() == n->name()) *sorted.add_node() = nd;
  const Graph want = Graph::from_graphdef(sorted, "small");
  const Node* attrs_before = g.find("b");
  const auto* storage = &std::as_const(*attrs_before).attrs();
  g.reorder(order);
  EXPECT_EQ(serialize(g.to_graphdef()), serialize(want.to_graphdef()));
  ASSERT_EQ(g.nodes().front()->name(), "a");
  for (const Node* n : g.nodes()) {
    const Node* w = want.find(n->name());
    ASSERT_EQ(n->uses().size(), w->uses().size()) << n->name();
    for (std::size_t i = 0; i < n->uses().size(); ++i) {
      EXPECT_EQ(n->uses()[i].node->name(), w->uses()[i].node->name());
      EXPECT_EQ(n->uses()[i].input_index, w->uses()[i].input_index);
    }
  }
  EXPECT_EQ(&std::as_const(*g.find("b")).attrs(), storage);  // moved, not copied
}

TEST(GraphReorder, RefusesWhatIsNotAPermutation) {
  Graph g = Graph::from_graphdef(small_graph(), "small");
  auto nodes = g.nodes();
  auto twice = nodes;
  twice[1] = twice[0];
  EXPECT_THROW(g.reorder(twice), Error);
  nodes.pop_back();
  EXPECT_THROW(g.reorder(nodes), Error);
  EXPECT_EQ(g.size(), 4u);
  EXPECT_NO_THROW(validate(g));
}

}  // namespace
}  // namespace tfprod
