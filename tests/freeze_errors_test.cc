// Bad input to freeze: each case must give a one-line error naming the file
// and the node or tensor, a non-zero exit below 128, no output file, and
// leave the inputs untouched.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/example_model.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

class FreezeErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path base = test::scratch_dir();
    dir_ = base / "train";
    write_example_training_dir(dir_);
    fs::create_directories(base / "out");
    out_ = base / "out" / "frozen.pb";
  }

  // Runs freeze_graph on the example dir and checks the failure contract.
  void expect_failure(const std::string& extra_flags, const std::vector<std::string>& must_contain,
                      const std::string& graph = "graph.pbtxt", const std::string& ckpt = "model.ckpt-1000",
                      const std::string& outputs = "softmax_tensor") {
    std::string before = test::tree_digest(dir_);
    auto r = test::run(test::tool("freeze_graph").string() + " --input_graph=" + graph +
                           " --input_checkpoint=" + ckpt + " --output_graph " + out_.string() +
                           " --output_node_names=" + outputs + " " + extra_flags,
                       dir_);
    EXPECT_GT(r.exit_code, 0) << r.output;
    EXPECT_LT(r.exit_code, 128) << r.output;
    std::vector<std::string> error_lines;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);)
      if (line.find("error") != std::string::npos) error_lines.push_back(line);
    ASSERT_EQ(error_lines.size(), 1u) << r.output;
    EXPECT_EQ(error_lines[0].rfind("freeze_graph: error: ", 0), 0u) << error_lines[0];
    for (const auto& s : must_contain) EXPECT_NE(error_lines[0].find(s), std::string::npos) << "missing '" << s << "' in: " << error_lines[0];
    EXPECT_FALSE(fs::exists(out_)) << "an output file was written";
    for (const auto& e : fs::directory_iterator(out_.parent_path()))
      EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "temporary left: " << e.path();
    EXPECT_EQ(test::tree_digest(dir_), before) << "inputs were modified";
  }

  tfprod::tf::GraphDef graph() {
    tfprod::tf::GraphDef g;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(read_file(dir_ / "graph.pbtxt"), &g));
    return g;
  }
  void write_graph(const tfprod::tf::GraphDef& g) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(g, &text);
    write_file_atomically(dir_ / "graph.pbtxt", text);
  }
  tfprod::tf::NodeDef& node(tfprod::tf::GraphDef& g, const std::string& name) {
    for (auto& n : *g.mutable_node())
      if (n.name() == name) return n;
    ADD_FAILURE() << "no node " << name;
    return *g.mutable_node(0);
  }
  tfprod::tf::AttrValue& attr(tfprod::tf::NodeDef& n, const std::string& key) {
    for (auto& e : *n.mutable_attr())
      if (e.key() == key) return *e.mutable_value();
    ADD_FAILURE() << "no attr " << key;
    return *n.mutable_attr(0)->mutable_value();
  }
  void flip_byte(const fs::path& file, std::size_t offset) {
    std::string bytes = read_file(file);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5a);
    write_file_atomically(file, bytes);
  }

  fs::path dir_, out_;
};

TEST_F(FreezeErrors, ExampleFreezesCleanly) {
  auto r = test::run(test::tool("freeze_graph").string() +
                         " --input_graph=graph.pbtxt --input_checkpoint=model.ckpt-1000 --output_graph " +
                         out_.string() + " --output_node_names=softmax_tensor",
                     dir_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out_));
  fs::remove(out_);
}

TEST_F(FreezeErrors, MissingGraphFile) { expect_failure("", {"nothere.pbtxt", "no such file"}, "nothere.pbtxt"); }

TEST_F(FreezeErrors, MissingCheckpoint) { expect_failure("", {"model.ckpt-77"}, "graph.pbtxt", "model.ckpt-77"); }

TEST_F(FreezeErrors, TruncatedIndex) {
  std::string index = read_file(dir_ / "model.ckpt-1000.index");
  for (std::size_t keep : {std::size_t{0}, std::size_t{20}, index.size() / 2, index.size() - 1}) {
    SCOPED_TRACE(keep);
    write_file_atomically(dir_ / "model.ckpt-1000.index", index.substr(0, keep));
    expect_failure("", {"model.ckpt-1000.index"});
  }
}

TEST_F(FreezeErrors, FlippedDataByteIsACrcMismatchNamingTheTensor) {
  // conv/kernel is the first tensor: its bytes start at offset 0.
  flip_byte(dir_ / "model.ckpt-1000.data-00000-of-00001", 10);
  expect_failure("", {"model.ckpt-1000", "conv/kernel", "crc"});
}

TEST_F(FreezeErrors, EntryPastTheEndOfItsShard) {
  fs::path data = dir_ / "model.ckpt-1000.data-00000-of-00001";
  std::string bytes = read_file(data);
  write_file_atomically(data, bytes.substr(0, 200));  // dense/kernel lies beyond
  expect_failure("", {"model.ckpt-1000", "dense/kernel"});
}

TEST_F(FreezeErrors, DtypeDisagreement) {
  auto g = graph();
  attr(node(g, "dense/bias"), "dtype").set_type(tfprod::tf::DT_DOUBLE);
  write_graph(g);
  expect_failure("", {"model.ckpt-1000", "dense/bias", "DT_FLOAT", "DT_DOUBLE"});
}

TEST_F(FreezeErrors, ShapeDisagreement) {
  auto g = graph();
  attr(node(g, "dense/kernel"), "shape").mutable_shape()->mutable_dim(1)->set_size(11);
  write_graph(g);
  expect_failure("", {"model.ckpt-1000", "dense/kernel", "[256,10]", "[256,11]"});
}

TEST_F(FreezeErrors, VariableMissingFromCheckpoint) {
  auto reader = open_bundle_v2((dir_ / "model.ckpt-1000").string());
  {
    BundleWriter writer((dir_ / "model.ckpt-2000").string());
    for (const auto& t : reader->tensors())
      if (t.name != "dense/bias") writer.add(t.name, reader->read(t.name));
    writer.finish();
  }
  expect_failure("", {"model.ckpt-2000", "dense/bias", "missing"}, "graph.pbtxt", "model.ckpt-2000");
}

TEST_F(FreezeErrors, UnknownOutputSuggestsCloseNames) {
  expect_failure("", {"graph.pbtxt", "softmax_tensr", "did you mean 'softmax_tensor'"}, "graph.pbtxt",
                 "model.ckpt-1000", "softmax_tensr");
}

TEST_F(FreezeErrors, Cycle) {
  auto g = graph();
  *node(g, "Reshape").mutable_input(0) = "dropout/mul_1";
  write_graph(g);
  expect_failure("", {"graph.pbtxt", "cycle", "Reshape", "dropout/mul_1"});
}

TEST_F(FreezeErrors, DanglingInput) {
  auto g = graph();
  *node(g, "dense/MatMul").mutable_input(1) = "dense/kernel/reed";
  write_graph(g);
  expect_failure("", {"graph.pbtxt", "dense/MatMul", "dense/kernel/reed", "names no node"});
}

TEST_F(FreezeErrors, ProtobufThatIsNotAGraphDef) {
  // A SavedModel's fingerprint.pb: five varint fields.
  write_file_atomically(dir_ / "fingerprint.pb", std::string("\x08\x91\x02\x10\x05\x18\x07\x20\x09\x28\x01", 11));
  expect_failure("", {"fingerprint.pb", "not a GraphDef"}, "fingerprint.pb");
}

TEST_F(FreezeErrors, OutputEqualToAnInputIsRefused) {
  std::string before = test::tree_digest(dir_);
  auto r = test::run(test::tool("tfprod").string() + " freeze . --output softmax_tensor -o graph.pbtxt", dir_);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("graph.pbtxt: output path is one of the inputs"), std::string::npos) << r.output;
  EXPECT_EQ(test::tree_digest(dir_), before);
}

TEST_F(FreezeErrors, UsageErrorsExitTwo) {
  auto r = test::run(test::tool("freeze_graph").string() + " --no_such_flag=1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = test::run(test::tool("tfprod").string() + " freeze");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace tfprod
