// Malformed graphs, checkpoint state files, .npy inputs and transform
// strings, each read by a real tfprod command (freeze, inspect, run,
// transform): one kind per test, each asserting the error it expects (see
// malformed_support.h for the contract).
#include "malformed_support.h"

namespace tfprod::malformed {
namespace {

using MalformedGraph = Malformed;

// A graph file name and the freeze command line that reads it.
std::string freeze_graph_args(const std::string& graph, const fs::path& out) {
  return "freeze " + graph + " --checkpoint model.ckpt-1000 --output softmax_tensor -o " + out.string();
}

// A repository cloned without `git lfs` holds pointers in place of the files.
const std::string kLfsPointer =
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n";

TEST_F(MalformedGraph, GitLfsPointerInPlaceOfTheGraph) {
  spit(file("graph.pbtxt"), kLfsPointer);
  expect_freeze_rejected({"graph.pbtxt", "Git LFS pointer", "12345 bytes", "git lfs pull"});
}

TEST_F(MalformedGraph, GraphFileEmpty) {
  spit(file("graph.pbtxt"), "");
  expect_freeze_rejected({"graph.pbtxt", "empty"});
}

TEST_F(MalformedGraph, GraphPathIsADirectory) {
  fs::create_directory(file("graph.pb"));
  expect_rejected(freeze_graph_args("graph.pb", out()), {"graph.pb", "directory"}, out());
}

TEST_F(MalformedGraph, TextSyntaxError) {
  std::string text = slurp(file("graph.pbtxt"));
  spit(file("graph.pbtxt"), text.substr(0, text.size() / 2) + " }}} {");
  expect_freeze_rejected({"graph.pbtxt", "line "});
}

TEST_F(MalformedGraph, UnknownFieldIsNamedWithTfsMessageNames) {
  // deeplearning4j's test graphs say opType where TF says type.
  spit(file("graph.pbtxt"), "node { name: 'a' op: 'Const' attr { key: 'dtype' value { opType: DT_FLOAT } } }\n");
  const std::string said =
      expect_freeze_rejected({"graph.pbtxt", "line 1", "\"tensorflow.AttrValue\" has no field named \"opType\""});
  EXPECT_EQ(said.find("tfprod.tf"), std::string::npos) << said;
}

TEST_F(MalformedGraph, BinaryTruncated) {
  write_graph(graph(), "graph.pb");
  std::string bytes = slurp(file("graph.pb"));
  spit(file("graph.pb"), bytes.substr(0, bytes.size() / 2));
  expect_rejected(freeze_graph_args("graph.pb", out()), {"graph.pb", "not a GraphDef"}, out());
}

TEST_F(MalformedGraph, BinaryInvalidWireType) {
  write_graph(graph(), "graph.pb");
  std::string bytes = slurp(file("graph.pb"));
  bytes[0] = '\x0f';  // field 1 with wire type 7, which does not exist
  spit(file("graph.pb"), bytes);
  expect_rejected(freeze_graph_args("graph.pb", out()), {"graph.pb", "not a GraphDef"}, out());
}

TEST_F(MalformedGraph, WrongMagicAnIndexGivenAsTheGraph) {
  fs::copy_file(index(), file("graph.pb"));
  expect_rejected(freeze_graph_args("graph.pb", out()), {"graph.pb", "not a GraphDef"}, out());
}

TEST_F(MalformedGraph, Cycle) {
  auto g = graph();
  *node(g, "Reshape").mutable_input(0) = "dropout/mul_1";
  write_graph(g);
  expect_freeze_rejected({"graph.pbtxt", "cycle", "Reshape"});
}

TEST_F(MalformedGraph, DuplicateNodeNames) {
  auto g = graph();
  *g.add_node() = node(g, "dense/bias");
  write_graph(g);
  expect_freeze_rejected({"graph.pbtxt", "dense/bias", "duplicate"});
}

TEST_F(MalformedGraph, DanglingInput) {
  auto g = graph();
  *node(g, "dense/MatMul").mutable_input(1) = "dense/kernel/reed";
  write_graph(g);
  const std::string said = expect_freeze_rejected({"graph.pbtxt", "dense/MatMul", "dense/kernel/reed"});
  EXPECT_EQ(said.find("OpenCV text config"), std::string::npos) << said;  // a training graph, with Consts
}

TEST_F(MalformedGraph, OpenCvTextConfigGivenAsTheGraph) {
  // The layers without their weights, and OpenCV's own Flatten.
  spit(file("graph.pbtxt"),
       "node { name: 'input' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
       "node { name: 'conv/Conv2D' op: 'Conv2D' input: 'input' input: 'conv/kernel' }\n"
       "node { name: 'flatten/Reshape' op: 'Flatten' input: 'conv/Conv2D' }\n");
  expect_freeze_rejected({"graph.pbtxt", "'conv/kernel' names no node", "OpenCV text config", "give the frozen .pb"});
}

TEST_F(MalformedGraph, MalformedInputPort) {
  auto g = graph();
  *node(g, "dense/MatMul").mutable_input(1) = "dense/kernel/read:x7";
  write_graph(g);
  expect_freeze_rejected({"graph.pbtxt", "dense/MatMul", "dense/kernel/read:x7"});
}

TEST_F(MalformedGraph, NodeNameNotUtf8InText) {
  auto g = graph();
  node(g, "softmax_tensor").set_name("soft\xff\xfemax");
  write_graph(g);
  expect_freeze_rejected({"graph.pbtxt", "soft\\xff\\xfemax", "not valid UTF-8"});
}

TEST_F(MalformedGraph, NodeNameNotUtf8InBinary) {
  // Serialized by hand: protobuf refuses to write an invalid string.
  const std::string name = "bad\xff\xfename", op = "Placeholder";
  std::string node_bytes = std::string("\x0a") + char(name.size()) + name + "\x12" + char(op.size()) + op;
  spit(file("graph.pb"), std::string("\x0a") + char(node_bytes.size()) + node_bytes);
  expect_rejected(freeze_graph_args("graph.pb", out()), {"graph.pb", "tensorflow.NodeDef.name", "UTF-8"}, out());
}

TEST_F(MalformedGraph, UnknownDtypeEnumOnAVariable) {
  auto g = graph();
  attr(node(g, "dense/bias"), "dtype").set_type(static_cast<tfprod::tf::DataType>(77));
  write_graph(g);
  expect_freeze_rejected({"dense/bias"});
}

const char* kTinyRun = R"(node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Identity" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST_F(MalformedGraph, HugeDeclaredShapeOnAConst) {
  spit(file("huge.pbtxt"), R"(node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 4000000000 } dim { size: 4000000000 } } float_val: 1 } } } }
node { name: "y" op: "Identity" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
)");
  expect_rejected("run huge.pbtxt --output y --out-dir " + out("run").string(), {"huge.pbtxt", "'c'"}, out("run"));
}

TEST_F(MalformedGraph, SplatConstOverTheConfiguredMemoryCap) {
  // 1000x1000 floats from one float_val: 4 MB, over a 1 MiB cap.
  spit(file("splat.pbtxt"), R"(node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1000 } dim { size: 1000 } } float_val: 1 } } } }
node { name: "y" op: "Identity" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
)");
  ::setenv("TFPROD_MAX_TENSOR_BYTES", "1048576", 1);
  expect_rejected("run splat.pbtxt --output y --out-dir " + out("run").string(),
                  {"splat.pbtxt", "'c'", "1048576 bytes", "TFPROD_MAX_TENSOR_BYTES"}, out("run"));
  ::unsetenv("TFPROD_MAX_TENSOR_BYTES");
  // Under the default cap the same graph runs.
  auto r = test::run(test::tool("tfprod").string() + " run splat.pbtxt --output y --out-dir " + out("run").string(), dir_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(MalformedGraph, ConstContentShorterThanItsShape) {
  spit(file("short.pbtxt"), R"(node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 4 } } tensor_content: "\000\000\200?" } } } }
node { name: "y" op: "Identity" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
)");
  expect_rejected("run short.pbtxt --output y --out-dir " + out("run").string(), {"short.pbtxt", "'c'"}, out("run"));
}

TEST_F(MalformedGraph, RecursiveFunctionCalls) {
  spit(file("rec.pbtxt"), R"(node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "call" op: "PartitionedCall" input: "x" attr { key: "f" value { func { name: "f" } } } }
library { function { signature { name: "f" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "out" type: DT_FLOAT } }
  node_def { name: "body" op: "PartitionedCall" input: "a" attr { key: "f" value { func { name: "f" } } } }
  ret { key: "out" value: "body:output:0" } } }
)");
  expect_rejected("transform rec.pbtxt -o " + out().string() + " --outputs call --transforms inline_partitionedcall",
                  {"rec.pbtxt", "nested", "'call/body"}, out());
}

TEST_F(MalformedGraph, GraphOverTheTwoGiBProtobufCeiling) {
  // Sparse: costs no disk. Refused from its size, before it is read. Kept
  // outside the training directory, whose digest would read all of it.
  const fs::path big = base_ / "big.pb";
  { std::ofstream{big}; }
  fs::resize_file(big, (uint64_t{2} << 30) + 1);
  expect_rejected(freeze_graph_args(big.string(), out()), {"big.pb", "2 GiB"}, out());
  fs::remove(big);
}

TEST_F(MalformedGraph, CheckpointStateFileGarbage) {
  spit(file("checkpoint"), "model_checkpoint_path: \"model.ckpt-1000\"\n}}} garbage {{");
  expect_freeze_rejected({"checkpoint", "not a valid checkpoint state file", "line 2"});
}

TEST_F(MalformedGraph, CheckpointStateNamesAMissingCheckpoint) {
  spit(file("checkpoint"), "model_checkpoint_path: \"model.ckpt-9999\"\n");
  expect_freeze_rejected({"model.ckpt-9999"});
}

TEST_F(MalformedGraph, NpyTruncated) {
  spit(file("g.pbtxt"), kTinyRun);
  spit(file("x.npy"), std::string("\x93NUMPY\x01\x00\x76\x00{'descr'", 18));  // header of 118 bytes cut
  expect_rejected("run g.pbtxt --input x=x.npy --output y --out-dir " + out("run").string(), {"x.npy", "truncated"},
                  out("run"));
}

TEST_F(MalformedGraph, NpyWrongMagic) {
  spit(file("g.pbtxt"), kTinyRun);
  spit(file("x.npy"), std::string("\x93NUMPX\x01\x00\x10\x00", 10) + std::string(16, ' '));
  expect_rejected("run g.pbtxt --input x=x.npy --output y --out-dir " + out("run").string(), {"x.npy", "bad magic"},
                  out("run"));
}

std::string npy_with_shape(const std::string& shape, std::size_t data_bytes) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append(118 - header.size(), ' ');
  header += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + '\0' + header + std::string(data_bytes, '\0');
}

TEST_F(MalformedGraph, NpyShapeOverflowsSixtyFourBits) {
  spit(file("g.pbtxt"), kTinyRun);
  spit(file("x.npy"), npy_with_shape("(100000000000000, 100000000000000)", 16));
  expect_rejected("run g.pbtxt --input x=x.npy --output y --out-dir " + out("run").string(), {"x.npy", "64 bits"},
                  out("run"));
}

TEST_F(MalformedGraph, NpyShapeLargerThanTheFile) {
  spit(file("g.pbtxt"), kTinyRun);
  spit(file("x.npy"), npy_with_shape("(3000000000, 3000000000)", 16));  // 9e18 elements, 3.6e19 bytes
  expect_rejected("run g.pbtxt --input x=x.npy --output y --out-dir " + out("run").string(), {"x.npy", "the file holds 16"},
                  out("run"));
}

TEST_F(MalformedGraph, TransformStringUnbalancedParenthesis) {
  expect_rejected("transform graph.pbtxt -o " + out().string() + " --transforms 'fold_constants(ignore_errors=true'",
                  {"fold_constants"}, out());
}

TEST_F(MalformedGraph, OutputPathEqualToTheInputIsRefused) {
  expect_rejected("transform graph.pbtxt -o graph.pbtxt --transforms remove_device", {"graph.pbtxt", "input"},
                  file("nonexistent"));
  expect_rejected("freeze . --output softmax_tensor -o model.ckpt-1000.index", {"model.ckpt-1000.index", "input"},
                  file("nonexistent"));
}

// Every test of the two malformed suites is one kind of bad input.
TEST(MalformedKinds, AtLeastThirty) {
  int kinds = 0;
  auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) == "MalformedCheckpoint" || std::string(suite->name()) == "MalformedGraph")
      for (int j = 0; j < suite->total_test_count(); ++j)
        kinds += std::string(suite->GetTestInfo(j)->name()).rfind("TheUndamaged", 0) != 0;
  }
  EXPECT_GE(kinds, 30);
}

}  // namespace
}  // namespace tfprod::malformed
