// ONNX export of models whose weights go beside the model (external data,
// `--external-data`, automatic past protobuf's 2 GiB limit) and of models
// with a symbolic batch (`--dynamic-batch`), through `tfprod export`: the
// files written, ONNX's checker, and ONNX Runtime against the evaluator.
// The 2.5 GiB case is too slow for ctest: bench/onnx_large_bench.sh.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "onnx_support.h"
#include "test_support.h"
#include "tfprod/eval.h"
#include "tfprod/file_util.h"
#include "tfprod/tensor_values.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using test::TfGraph;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// x [-1,8,8,3] -> conv 3x3x3x16 -> relu -> reshape [-1,1024] -> matmul 1024x10 -> softmax "out".
// Two weights over kOnnxExternalMinBytes (1728 and 40960 bytes) and small ones under it.
TfGraph conv_dense() {
  TfGraph g;
  g.placeholder("x", {-1, 8, 8, 3});
  g.weights("w1", {3, 3, 3, 16});
  g.weights("b1", {16});
  g.weights("w2", {1024, 10}, 0.05f);
  g.ints("flat", {-1, 1024});
  auto& c = g.op("conv", "Conv2D", {"x", "w1"});
  GraphBuilder::str(c, "padding", "SAME");
  GraphBuilder::ints(c, "strides", {1, 1, 1, 1});
  g.op("bias", "BiasAdd", {"conv", "b1"});
  g.op("relu", "Relu", {"bias"});
  GraphBuilder::type(g.op("flatten", "Reshape", {"relu", "flat"}), "Tshape", tfprod::tf::DT_INT32);
  g.op("logits", "MatMul", {"flatten", "w2"});
  g.op("out", "Softmax", {"logits"});
  return g;
}

fs::path write_graph(const TfGraph& g) {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "model.pb", std::ios::binary) << g.def.SerializeAsString();
  return dir;
}

Tensor random_input(const Shape& shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
  for (float& v : eval::values<float>(t)) v = u(rng);
  return t;
}

// ONNX Runtime on `model` against the evaluator on the TF graph, for input x of `shape`.
double ort_vs_evaluator(const TfGraph& g, const fs::path& model, const Shape& shape, std::string* error) {
  const Tensor x = random_input(shape, 11);
  const Tensor want = Evaluator(g.graph()).run({{"x", x}}, {"out"}).at(0);
  auto got = test::run_onnxruntime(model.string(), {{"x", x}}, error);
  if (!error->empty()) return -1;
  if (!got.count("out")) {
    *error = "no output 'out'";
    return -1;
  }
  return test::relative_diff(got["out"], want);
}

test::RunResult export_model(const fs::path& dir, const std::string& args) {
  return test::run(q(test::tool("tfprod")) + " export model.pb -q --input x:float:1,8,8,3 --output out " + args, dir);
}

TEST(OnnxExternalData, WeightsGoBesideTheModelAndOnnxRuntimeFindsThemRelativeToIt) {
  const TfGraph g = conv_dense();
  const fs::path dir = write_graph(g);
  auto r = export_model(dir, "-o m.onnx --external-data");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ONNX external data:"), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(dir / "m.onnx.data"));
  // The two big weights (conv's as OIHW, the dense kernel) are in the data file, the small ones inline.
  EXPECT_EQ(fs::file_size(dir / "m.onnx.data"), (3u * 3 * 3 * 16 + 1024 * 10) * sizeof(float));
  EXPECT_LT(fs::file_size(dir / "m.onnx"), 4096u);
  EXPECT_EQ(onnx_check_file(dir / "m.onnx"), "");
  EXPECT_TRUE(read_onnx_info(dir / "m.onnx").external_data);
  // verify and inspect read it too (OpenCV 4.6 through a copy with the weights inline, left nowhere).
  auto v = test::run(q(test::tool("tfprod")) + " verify m.onnx --reference model.pb --input x:float:1,8,8,3", dir);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("out "), std::string::npos) << v.output;
  EXPECT_FALSE(fs::exists(dir / "m.onnx.inline.onnx"));
  auto i = test::run(q(test::tool("tfprod")) + " inspect m.onnx", dir);
  EXPECT_NE(i.output.find("checker: passed"), std::string::npos) << i.output;
  // Checker needs the data: without it the model is refused.
  const fs::path moved = dir / "moved";
  fs::create_directories(moved);
  fs::copy_file(dir / "m.onnx", moved / "m.onnx");
  EXPECT_NE(onnx_check_file(moved / "m.onnx"), "");
  fs::rename(dir / "m.onnx.data", moved / "m.onnx.data");
  EXPECT_EQ(onnx_check_file(moved / "m.onnx"), "");
  if (!test::have_onnxruntime()) GTEST_SKIP() << "ONNX Runtime not installed (tests/js: npm ci --ignore-scripts)";
  std::string error;
  const double diff = ort_vs_evaluator(g, moved / "m.onnx", {1, 8, 8, 3}, &error);  // found beside the moved model
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_GE(diff, 0);
  EXPECT_LE(diff, 1e-4);
  std::string missing;
  fs::remove(moved / "m.onnx.data");
  ort_vs_evaluator(g, moved / "m.onnx", {1, 8, 8, 3}, &missing);
  EXPECT_FALSE(missing.empty()) << "ONNX Runtime ran without the external data";
}

TEST(OnnxExternalData, FlagsAreForOnnxOnlyAndTf2OnnxLargeModelWritesThem) {
  const TfGraph g = conv_dense();
  const fs::path dir = write_graph(g);
  auto pb = export_model(dir, "-o m.pb --external-data");
  EXPECT_NE(pb.exit_code, 0);
  EXPECT_NE(pb.output.find("are for ONNX output"), std::string::npos) << pb.output;
  auto tf2onnx = test::run(q(test::tool("tf2onnx")) + " --graphdef model.pb --inputs x:0[1,8,8,3] --outputs out:0 "
                           "--output big.onnx --large_model", dir);
  ASSERT_EQ(tf2onnx.exit_code, 0) << tf2onnx.output;
  EXPECT_EQ(fs::file_size(dir / "big.onnx.data"), (3u * 3 * 3 * 16 + 1024 * 10) * sizeof(float));
  EXPECT_EQ(onnx_check_file(dir / "big.onnx"), "");
  // Without the flag the weights stay inline.
  ASSERT_EQ(export_model(dir, "-o inline.onnx").exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "inline.onnx.data"));
  EXPECT_GT(fs::file_size(dir / "inline.onnx"), (1024u * 10) * sizeof(float));
}

TEST(OnnxDynamicBatch, TheBatchIsSymbolicAndOnnxRuntimeRunsOtherBatches) {
  const TfGraph g = conv_dense();
  const fs::path dir = write_graph(g);
  auto r = export_model(dir, "-o dyn.onnx --dynamic-batch");
  ASSERT_EQ(r.exit_code, 0) << r.output;  // verified in OpenCV 4.6 at batch 1
  EXPECT_NE(r.output.find("verified"), std::string::npos) << r.output;
  EXPECT_EQ(read_onnx_info(dir / "dyn.onnx").input_shapes, std::vector<Shape>{Shape({-1, 8, 8, 3})});
  ASSERT_EQ(export_model(dir, "-o fixed.onnx").exit_code, 0);
  EXPECT_EQ(read_onnx_info(dir / "fixed.onnx").input_shapes, std::vector<Shape>{Shape({1, 8, 8, 3})});
  if (!test::have_onnxruntime()) GTEST_SKIP() << "ONNX Runtime not installed (tests/js: npm ci --ignore-scripts)";
  for (int64_t batch : {1, 3}) {
    std::string error;
    const double diff = ort_vs_evaluator(g, dir / "dyn.onnx", {batch, 8, 8, 3}, &error);
    ASSERT_TRUE(error.empty()) << "batch " << batch << ": " << error;
    EXPECT_GE(diff, 0);
    EXPECT_LE(diff, 1e-4) << "batch " << batch;
  }
  std::string error;
  ort_vs_evaluator(g, dir / "fixed.onnx", {3, 8, 8, 3}, &error);
  EXPECT_FALSE(error.empty()) << "the fixed-batch model ran at batch 3";
}

}  // namespace
}  // namespace tfprod
