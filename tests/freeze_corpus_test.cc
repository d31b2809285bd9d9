// Freeze against the corpus: the seed's freeze_graph command verbatim, TF's
// own frozen graphs as references for the weights, and every case with a
// graph and a checkpoint.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tfprod/tf/framework/tensor.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/freeze.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Graph load_graph(const fs::path& path) {
  ModelFile f = load_model_file(path);
  return Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), path.string());
}

Tensor const_value(const Node& n) {
  EXPECT_EQ(n.op, "Const") << n.name();
  return tensor_from_proto(n.attr("value")->tensor(), n.name());
}

bool is_variable_op(const std::string& op) {
  return op == "VariableV2" || op == "Variable" || op == "VarHandleOp" || op == "ReadVariableOp";
}

// Every Const of `reference` whose name (mapped by `rename`) is a Const of
// `ours` holds the same dtype, shape and bytes. Returns how many matched.
int compare_consts(const Graph& ours, const Graph& reference,
                   const std::function<std::string(const std::string&)>& rename) {
  int matched = 0;
  for (const Node* ref : reference.nodes()) {
    if (ref->op != "Const") continue;
    const Node* mine = ours.find(rename(ref->name()));
    if (!mine || mine->op != "Const") continue;
    Tensor a = const_value(*mine), b = const_value(*ref);
    EXPECT_EQ(dtype_name(a.dtype), dtype_name(b.dtype)) << ref->name();
    EXPECT_EQ(a.shape, b.shape) << ref->name();
    EXPECT_TRUE(a.data == b.data) << ref->name() << ": values differ";
    ++matched;
  }
  return matched;
}

TEST(FreezeCorpus, SeedFreezeGraphCommandOnAnpr) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::copy_case("anpr_estimator");
  std::string before = test::tree_digest(dir);
  auto r = test::run(test::tool("freeze_graph").string() +
                         " --input_graph=graph.pbtxt --input_checkpoint=model.ckpt-20000"
                         " --output_graph frozen_graph.pb --output_node_names=softmax_tensor",
                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  fs::path out = dir / "frozen_graph.pb";
  ASSERT_TRUE(fs::exists(out));
  fs::rename(out, dir.parent_path() / "frozen_graph.pb");
  EXPECT_EQ(test::tree_digest(dir), before) << "inputs were modified";

  Graph frozen = load_graph(dir.parent_path() / "frozen_graph.pb");
  for (const Node* n : frozen.nodes()) EXPECT_FALSE(is_variable_op(n->op)) << n->name() << " is still a variable";

  // Exactly the ancestors of softmax_tensor in the training graph.
  Graph train = load_graph(dir / "graph.pbtxt");
  std::set<std::string> expected, got;
  for (const Node* n : ancestors({train.find("softmax_tensor")})) expected.insert(n->name());
  for (const Node* n : frozen.nodes()) got.insert(n->name());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), 51u);

  // Every weight equals TF's own frozen_cut_graph.pb, where fold_constants
  // renamed "w/read" to "w/read/_N__cf__M".
  Graph tf = load_graph(dir / "frozen_cut_graph.pb");
  std::regex folded("^(.*)/read/_\\d+__cf__\\d+$");
  int matched = compare_consts(frozen, tf, [&](const std::string& name) {
    std::smatch m;
    return std::regex_match(name, m, folded) ? m[1].str() : std::string();
  });
  EXPECT_EQ(matched, 8) << "all 8 DT_HALF weights compared";
  Tensor kernel = const_value(*frozen.find("dense/kernel"));
  EXPECT_EQ(kernel.dtype, tfprod::tf::DT_HALF);
  EXPECT_EQ(kernel.shape, (Shape{1600, 1024}));
}

struct Reference {
  const char* case_dir;    // freeze input
  const char* output;      // output node
  const char* reference;   // TF-made frozen graph
};

TEST(FreezeCorpus, MatchesTfFrozenReferences) {
  TFPROD_REQUIRE_CORPUS();
  const Reference refs[] = {
      {"keras_tf1_lenet_saver_and_frozen", "output_tensor/Softmax", "keras_tf1_lenet_saver_and_frozen/frozen_model.pb"},
      {"tf2onnx_regression_3formats/checkpoint", "pred", "tf2onnx_regression_3formats/graphdef/frozen.pb"},
      {"tf2onnx_regression_3formats/saved_model", "pred", "tf2onnx_regression_3formats/graphdef/frozen.pb"},
      {"tflearn_and_gate", "output/Sigmoid", "tflearn_and_gate/frozen_model.pb"},
  };
  for (const auto& ref : refs) {
    SCOPED_TRACE(ref.case_dir);
    ModelSource src = open_model_source(test::corpus_dir() / ref.case_dir);
    ASSERT_TRUE(src.checkpoint.has_value());
    auto reader = open_checkpoint(*src.checkpoint);
    Graph graph = Graph::from_graphdef(src.meta.graph_def(), src.graph_path.string());
    FreezeReport report;
    Graph frozen = freeze(std::move(graph), *reader, {.outputs = {ref.output}}, &report);
    Graph tf = load_graph(test::corpus_dir() / ref.reference);
    int matched = compare_consts(frozen, tf, [](const std::string& n) { return n; });
    EXPECT_GE(matched, static_cast<int>(report.frozen.size())) << "every frozen variable has a TF reference";
    EXPECT_GT(report.frozen.size(), 0u);
    // The reference's frozen variables are exactly ours.
    for (const auto& name : report.frozen) {
      const Node* n = tf.find(name);
      EXPECT_TRUE(n && n->op == "Const") << name << " is not a Const in TF's freeze";
    }
  }
}

struct Case {
  const char* path;
  const char* outputs;  // empty: from the signature
};

TEST(FreezeCorpus, EveryCaseWithGraphAndCheckpointFreezes) {
  TFPROD_REQUIRE_CORPUS();
  const Case cases[] = {
      {"anpr_estimator", "softmax_tensor"},
      {"mnist_estimator_tf15", "softmax_tensor,ArgMax"},
      {"lenet_saver_tf20_compat", "Softmax"},
      {"conv_autoencoder_saver_tf15", "Sigmoid"},
      {"keras_tf1_lenet_saver_and_frozen", "output_tensor/Softmax"},
      {"bn_dropout_saver_tf113", "Add_1"},
      {"tfserving_half_plus_two_tf1/00000123", ""},
      {"v1_checkpoint_mlp_tf012", "Relu_1"},
      {"tf2onnx_regression_3formats/checkpoint", "pred"},
      {"tf2onnx_regression_3formats/saved_model", ""},
      {"tflearn_and_gate", "output/Sigmoid"},
  };
  fs::path out_dir = test::scratch_dir();
  int i = 0;
  std::cout << "case | outputs | variables frozen | nodes after\n";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    fs::path out = out_dir / ("case" + std::to_string(i++) + ".pb");
    std::string cmd = test::tool("tfprod").string() + " freeze " + (test::corpus_dir() / c.path).string() +
                      " -o " + out.string();
    if (*c.outputs) cmd += std::string(" --output ") + c.outputs;
    auto r = test::run(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    Graph frozen = load_graph(out);
    int consts = 0;
    for (const Node* n : frozen.nodes()) {
      EXPECT_FALSE(is_variable_op(n->op)) << n->name();
      consts += n->op == "Const";
    }
    EXPECT_GT(consts, 0);
    std::cout << c.path << " | " << (*c.outputs ? c.outputs : "(signature)") << " | "
              << r.output.substr(r.output.find("froze ")).substr(0, r.output.substr(r.output.find("froze ")).find(" from"))
              << " | " << frozen.size() << "\n";
  }
}

TEST(FreezeCorpus, Tf2SavedModelFreezesFromItsSignature) {
  TFPROD_REQUIRE_CORPUS();
  fs::path out = test::scratch_dir() / "k.pb";
  auto r = test::run(test::tool("tfprod").string() + " freeze " +
                     (test::corpus_dir() / "keras_mnist_savedmodel_tf210").string() + " -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("outputs from the signature: dense_1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("froze 22 variables"), std::string::npos) << r.output;
  Graph frozen = Graph::from_graphdef(load_model_file(out).model.meta_graphs(0).graph_def(), out.string());
  ASSERT_TRUE(frozen.find("conv2d_input"));
  EXPECT_EQ(frozen.find("conv2d_input")->op, "Placeholder");
  ASSERT_TRUE(frozen.find("dense_1"));
  for (const Node* n : frozen.nodes()) {
    EXPECT_FALSE(is_variable_op(n->op)) << n->name();
    EXPECT_NE(n->op, "ReadVariableOp") << n->name();
    EXPECT_NE(n->op, "StatefulPartitionedCall") << n->name();
  }
}

TEST(FreezeCorpus, HalfPlusTwoValues) {
  TFPROD_REQUIRE_CORPUS();
  ModelSource src = open_model_source(test::corpus_dir() / "tfserving_half_plus_two_tf1/00000123");
  ASSERT_EQ(src.signature_outputs, std::vector<std::string>{"y:0"});
  auto reader = open_checkpoint(*src.checkpoint);
  Graph frozen = freeze(Graph::from_graphdef(src.meta.graph_def(), "hp2"), *reader, {.outputs = {"y"}});
  float a, b;
  Tensor ta = const_value(*frozen.find("a")), tb = const_value(*frozen.find("b"));
  std::memcpy(&a, ta.data.data(), 4);
  std::memcpy(&b, tb.data.data(), 4);
  EXPECT_EQ(a, 0.5f);
  EXPECT_EQ(b, 2.0f);
}

}  // namespace
}  // namespace tfprod
