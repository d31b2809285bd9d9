// `tfprod export`'s output format: from -o's extension (.pb/.pbtxt a GraphDef
// as before, .onnx ONNX) or --format; any other extension is refused and
// nothing is written; the ONNX flags are refused for a GraphDef.
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"
#include "tfprod/file_util.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"
#include "tfprod/onnx.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

const char* kSmall = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } } } } }
node { name: "out" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)";

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

fs::path small_graph() {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "small.pbtxt") << kSmall;
  return dir;
}

test::RunResult export_to(const fs::path& dir, const std::string& args) {
  return test::run(q(test::tool("tfprod")) + " export small.pbtxt -q " + args, dir);
}

TEST(OnnxCli, DotOnnxWritesAnOnnxModelThatPassesTheChecker) {
  fs::path dir = small_graph();
  auto r = export_to(dir, "-o model.onnx");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ONNX: opset 13"), std::string::npos) << r.output;
  EXPECT_EQ(onnx_check(read_file(dir / "model.onnx")), "");
  const OnnxFileInfo info = read_onnx_info(dir / "model.onnx");
  EXPECT_EQ(info.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(info.outputs, std::vector<std::string>{"out"});
  EXPECT_EQ(info.opset, 13);
  EXPECT_EQ(read_file(dir / "model.onnx").substr(0, 2), std::string("\x08\x08", 2));  // ir_version 8 first
}

TEST(OnnxCli, DotPbStillWritesAGraphDefAndFormatOverridesTheExtension) {
  fs::path dir = small_graph();
  ASSERT_EQ(export_to(dir, "-o model.pb").exit_code, 0);
  EXPECT_NO_THROW(load_model_file(dir / "model.pb"));
  EXPECT_NE(onnx_check(read_file(dir / "model.pb")), "");  // a GraphDef, which ONNX's checker refuses
  auto r = export_to(dir, "-o model.bin --format onnx --opset 11");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_onnx_info(dir / "model.bin").opset, 11);
}

TEST(OnnxCli, AnUnknownExtensionIsRefusedAndNothingWritten) {
  fs::path dir = small_graph();
  auto r = export_to(dir, "-o model.tflite");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown model extension '.tflite'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "model.tflite"));
  auto f = export_to(dir, "-o model.onnx --format tflite");
  EXPECT_NE(f.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "model.onnx"));
}

TEST(OnnxCli, OnnxFlagsAreRefusedForAGraphDefAndBadOpsetsForOnnx) {
  fs::path dir = small_graph();
  auto r = export_to(dir, "-o model.pb --opset 11");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("are for ONNX output"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "model.pb"));
  auto o = export_to(dir, "-o model.onnx --opset 9");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.output.find("opsets 11 to 17"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(dir / "model.onnx"));
}

TEST(OnnxCli, InspectAndVerifyTakeOnnxFiles) {
  fs::path dir = small_graph();
  ASSERT_EQ(export_to(dir, "-o model.onnx").exit_code, 0);
  const std::string tool = q(test::tool("tfprod"));
  auto i = test::run(tool + " inspect model.onnx", dir);
  ASSERT_EQ(i.exit_code, 0) << i.output;
  EXPECT_NE(i.output.find("format: ONNX, opset 13"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("inputs: x [1,4]"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("checker: passed"), std::string::npos) << i.output;
  auto v = test::run(tool + " verify model.onnx --reference small.pbtxt", dir);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("verified"), std::string::npos) << v.output;
  EXPECT_EQ(test::run(tool + " verify model.onnx", dir).exit_code, 2);
  // A reference computing something else: the check finds it (exit 3).
  std::string other = kSmall;
  other.replace(other.find("\"Relu\""), 6, "\"Tanh\"");
  std::ofstream(dir / "other.pbtxt") << other;
  auto d = test::run(tool + " verify model.onnx --reference other.pbtxt", dir);
  EXPECT_EQ(d.exit_code, 3) << d.output;
  EXPECT_NE(d.output.find("MISMATCH"), std::string::npos) << d.output;
}

// The drop-in tf2onnx, with the flag forms of tf2onnx's README, on the
// regression model tf2onnx's own tests convert (pred = X * W + b).
TEST(Tf2Onnx, SavedModelCheckpointAndGraphdefFormsConvertTheSameModel) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::scratch_dir();
  const fs::path base = test::corpus_dir() / "tf2onnx_regression_3formats";
  const std::vector<std::pair<std::string, fs::path>> forms = {
      {"--saved-model", base / "saved_model"},
      {"--checkpoint", base / "checkpoint" / "model.meta"},
      {"--graphdef", base / "graphdef" / "frozen.pb"}};
  int i = 0;
  for (const auto& [flag, path] : forms) {
    SCOPED_TRACE(flag);
    const fs::path out = dir / ("model" + std::to_string(i++) + ".onnx");
    auto r = test::run(q(test::tool("tf2onnx")) + " " + flag + " " + q(path) + " --output " + q(out) +
                       " --inputs X:0[1,1] --outputs pred:0 --opset 13");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("verified: OpenCV"), std::string::npos) << r.output;
    EXPECT_EQ(onnx_check(read_file(out)), "");
    const OnnxFileInfo info = read_onnx_info(out);
    EXPECT_EQ(info.inputs, std::vector<std::string>{"X"});
    EXPECT_EQ(info.outputs, std::vector<std::string>{"pred"});
  }
}

TEST(Tf2Onnx, ConvNetWithNchwInputAndItsErrors) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::scratch_dir();
  const std::string tool = q(test::tool("tf2onnx"));
  const std::string graph = q(test::corpus_dir() / "anpr_estimator" / "frozen_cut_graph.pb");
  auto r = test::run(tool + " --graphdef " + graph + " --output " + q(dir / "anpr.onnx") +
                     " --inputs IteratorGetNext:0[1,20,20,1] --outputs softmax_tensor:0 --inputs-as-nchw IteratorGetNext:0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const OnnxFileInfo info = read_onnx_info(dir / "anpr.onnx");
  EXPECT_EQ(info.input_shapes, std::vector<Shape>{Shape({1, 1, 20, 20})});
  EXPECT_EQ(info.transposes, 0u);
  auto two = test::run(tool + " --graphdef " + graph + " --saved-model " + q(dir) + " --output " + q(dir / "x.onnx"));
  EXPECT_EQ(two.exit_code, 2) << two.output;
  // --large_model: the weights go to external data beside the model (not tf2onnx's zip), verified inline.
  auto large = test::run(tool + " --graphdef " + graph + " --output " + q(dir / "y.onnx") + " --large_model");
  EXPECT_EQ(large.exit_code, 0) << large.output;
  EXPECT_NE(large.output.find("verified"), std::string::npos) << large.output;
  EXPECT_TRUE(fs::exists(dir / "y.onnx.data"));
  EXPECT_EQ(onnx_check_file(dir / "y.onnx"), "");
}

}  // namespace
}  // namespace tfprod
