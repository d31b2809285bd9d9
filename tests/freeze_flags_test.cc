// freeze_graph's TF flags and tfprod freeze's inputs: meta graphs, SavedModel
// dirs, device clearing, allow/deny lists, partitioned variables.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cstring>

#include "example/graph_builder.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"
#include "tfprod/example_model.h"
#include "tfprod/file_util.h"
#include "tfprod/freeze.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Graph load(const fs::path& p) {
  return Graph::from_graphdef(load_model_file(p).model.meta_graphs(0).graph_def(), p.string());
}

int count_devices(const Graph& g) {
  int n = 0;
  for (const Node* node : g.nodes()) n += !node->device.empty();
  return n;
}

TEST(FreezeGraphFlags, SpaceAndEqualsFormsAndClearDevices) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::copy_case("anpr_estimator");
  std::string fg = test::tool("freeze_graph").string();
  auto r = test::run(fg + " --input_meta_graph model.ckpt-20000.meta --input_checkpoint model.ckpt-20000"
                          " --output_graph=a.pb --output_node_names softmax_tensor --clear_devices=False"
                          " --input_binary --restore_op_name=save/restore_all",
                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--restore_op_name is deprecated and ignored"), std::string::npos) << r.output;
  EXPECT_GT(count_devices(load(dir / "a.pb")), 0) << "--clear_devices=False keeps devices";
  r = test::run(fg + " --input_meta_graph=model.ckpt-20000.meta --input_checkpoint=model.ckpt-20000"
                     " --output_graph=b.pb --output_node_names=softmax_tensor",
                dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_devices(load(dir / "b.pb")), 0) << "devices cleared by default";
}

TEST(FreezeGraphFlags, WrongInputBinaryIsANoteNotAFailure) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::copy_case("anpr_estimator");
  auto r = test::run(test::tool("freeze_graph").string() +
                         " --input_graph=graph.pbtxt --input_binary=true --input_checkpoint=model.ckpt-20000"
                         " --output_graph=c.pb --output_node_names=softmax_tensor",
                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("reading it as text GraphDef"), std::string::npos) << r.output;
}

TEST(FreezeGraphFlags, SavedModelDirAndBlacklist) {
  TFPROD_REQUIRE_CORPUS();
  fs::path out = test::scratch_dir() / "hp2.pb";
  auto r = test::run(test::tool("freeze_graph").string() + " --input_saved_model_dir " +
                     (test::corpus_dir() / "tfserving_half_plus_two_tf1/00000123").string() +
                     " --saved_model_tags serve --output_graph " + out.string() +
                     " --output_node_names y --variable_names_blacklist b");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Graph g = load(out);
  EXPECT_EQ(g.find("a")->op, "Const");
  EXPECT_EQ(g.find("b")->op, "VariableV2") << "blacklisted variable stays a variable";
  EXPECT_NE(r.output.find("left as variables (allow/deny lists): b"), std::string::npos) << r.output;
}

TEST(FreezeGraphFlags, HelpAndMissingRequiredFlags) {
  auto r = test::run(test::tool("freeze_graph").string() + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("--output_node_names"), std::string::npos);
  r = test::run(test::tool("freeze_graph").string() + " --input_graph=x.pb --input_checkpoint=c --output_graph=o.pb");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--output_node_names is required"), std::string::npos) << r.output;
  r = test::run(test::tool("tfprod").string() + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("freeze"), std::string::npos);
}

// A variable partitioned in two along dim 1, restored by a Saver:
//   w/part_0 [4,3] and w/part_1 [4,2] of the checkpoint's full "w" [4,5].
TEST(FreezePartitioned, EachPartGetsItsSlice) {
  fs::path dir = test::scratch_dir();
  tfprod::tf::GraphDef def;
  GraphBuilder b(&def);
  auto& x = b.node("x", "Placeholder");
  GraphBuilder::type(x, "dtype", tfprod::tf::DT_FLOAT);
  const std::pair<const char*, Shape> parts[] = {{"w/part_0", {4, 3}}, {"w/part_1", {4, 2}}};
  for (const auto& [name, shape] : parts) {
    auto& v = b.node(name, "VariableV2");
    GraphBuilder::shape(v, "shape", shape);
    GraphBuilder::type(v, "dtype", tfprod::tf::DT_FLOAT);
    GraphBuilder::type(b.node(std::string(name) + "/read", "Identity", {name}), "T", tfprod::tf::DT_FLOAT);
  }
  b.const_ints("w/axis", {1});
  auto& concat = b.node("w/concat", "ConcatV2", {"w/part_0/read", "w/part_1/read", "w/axis"});
  GraphBuilder::type(concat, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::integer(concat, "N", 2);
  GraphBuilder::type(b.node("y", "MatMul", {"x", "w/concat"}), "T", tfprod::tf::DT_FLOAT);
  b.const_strings("save/Const", {"model"});
  b.const_strings("save/RestoreV2/tensor_names", {"w", "w"});
  b.const_strings("save/RestoreV2/shape_and_slices", {"4 5 0,4:0,3", "4 5 0,4:3,2"});
  auto& restore =
      b.node("save/RestoreV2", "RestoreV2", {"save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"});
  GraphBuilder::types(restore, "dtypes", {tfprod::tf::DT_FLOAT, tfprod::tf::DT_FLOAT});
  b.node("save/Assign", "Assign", {"w/part_0", "save/RestoreV2"});
  b.node("save/Assign_1", "Assign", {"w/part_1", "save/RestoreV2:1"});

  // Full w[r][c] = 10*r + c, written as two slices.
  auto part = [](int64_t col0, int64_t cols) {
    Tensor t;
    t.dtype = tfprod::tf::DT_FLOAT;
    t.shape = {4, cols};
    for (int r = 0; r < 4; ++r)
      for (int64_t c = col0; c < col0 + cols; ++c) {
        float v = static_cast<float>(10 * r + c);
        t.data.append(reinterpret_cast<const char*>(&v), 4);
      }
    return t;
  };
  {
    BundleWriter writer((dir / "model").string());
    writer.add_slice("w", {4, 5}, {{0, -1}, {0, 3}}, part(0, 3));
    writer.add_slice("w", {4, 5}, {{0, -1}, {3, 2}}, part(3, 2));
    writer.finish();
  }
  auto reader = open_bundle_v2((dir / "model").string());
  ASSERT_NE(reader->find("w"), nullptr);
  EXPECT_TRUE(reader->find("w")->partitioned);

  FreezeReport report;
  Graph frozen = freeze(Graph::from_graphdef(def, "partitioned"), *reader, {.outputs = {"y"}}, &report);
  EXPECT_EQ(report.frozen.size(), 2u);
  for (const auto& [name, col0, cols] : {std::tuple{"w/part_0", 0, 3}, std::tuple{"w/part_1", 3, 2}}) {
    SCOPED_TRACE(name);
    const Node* n = frozen.find(name);
    ASSERT_EQ(n->op, "Const");
    Tensor got = tensor_from_proto(n->attr("value")->tensor(), name);
    EXPECT_EQ(got.shape, (Shape{4, cols}));
    EXPECT_TRUE(got.data == part(col0, cols).data) << "slice values differ";
  }
}

// A Saver that stored a variable under another key: the graph's restore op is
// what maps it, as TF's own restore would.
TEST(FreezeRestoreMapping, KeysComeFromTheGraphsRestoreOp) {
  fs::path dir = test::scratch_dir();
  write_example_training_dir(dir);
  tfprod::tf::GraphDef def = example_training_graph();
  for (auto& n : *def.mutable_node()) {
    if (n.name() != "save/RestoreV2/tensor_names") continue;
    auto* names = n.mutable_attr(1)->mutable_value()->mutable_tensor();
    ASSERT_EQ(names->string_val(2), "dense/kernel");
    names->set_string_val(2, "old_scope/dense/kernel");
  }
  auto reader = open_bundle_v2((dir / "model.ckpt-1000").string());
  {
    BundleWriter writer((dir / "renamed").string());
    for (const auto& t : reader->tensors())
      writer.add(t.name == "dense/kernel" ? "old_scope/dense/kernel" : t.name, reader->read(t.name));
    writer.finish();
  }
  auto renamed = open_bundle_v2((dir / "renamed").string());
  Graph frozen = freeze(Graph::from_graphdef(def, "example"), *renamed, {.outputs = {"softmax_tensor"}});
  Tensor got = tensor_from_proto(frozen.find("dense/kernel")->attr("value")->tensor(), "dense/kernel");
  EXPECT_TRUE(got.data == reader->read("dense/kernel").data);

  // Without the restore op, the variable name is the key, and it is missing.
  auto* nodes = def.mutable_node();
  nodes->erase(std::remove_if(nodes->begin(), nodes->end(),
                              [](const tfprod::tf::NodeDef& n) { return n.name().rfind("save/", 0) == 0; }),
               nodes->end());
  try {
    freeze(Graph::from_graphdef(def, "example"), *renamed, {.outputs = {"softmax_tensor"}});
    FAIL() << "froze without a key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'old_scope/dense/kernel'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfprod
