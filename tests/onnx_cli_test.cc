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

}  // namespace
}  // namespace tfprod
