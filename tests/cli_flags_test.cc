// The command line's contract (README "Command line: flags and exit codes"):
// one meaning per flag name, messages that name the command's own flags, and
// the exit codes 0 ok, 1 error, 2 bad command line, 3 checked and found wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "eval_test_support.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
std::string tfprod_cmd() { return q(test::tool("tfprod")); }

// y = op(x), x a float placeholder [1,4].
std::string one_op_graph(const std::string& op) {
  return R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } } } } }
node { name: "y" op: ")" + op + R"(" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)";
}

// The same graph with no declared shape on x.
const char* kNoShape = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)";

fs::path write_graph(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / (name + ".pbtxt")) << text;
  // OpenCV reads binary GraphDefs: write that too.
  ModelFile f = load_model_file(dir / (name + ".pbtxt"));
  save_graphdef(f.model.meta_graphs(0).graph_def(), dir / (name + ".pb"), false);
  return dir / (name + ".pb");
}

bool has(const test::RunResult& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

TEST(CliFlags, InputMeansNameDtypeShapeInEveryCommandThatHasIt) {
  for (const char* command : {"export", "inspect", "run", "verify", "classify"}) {
    auto r = test::run(tfprod_cmd() + " " + command + " --help");
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.output;
    EXPECT_TRUE(has(r, "--input")) << command << ": " << r.output;
    EXPECT_TRUE(has(r, "NAME[:DTYPE][:SHAPE]")) << command << ": " << r.output;
  }
  for (const char* command : {"run", "verify"}) {
    auto r = test::run(tfprod_cmd() + " " + command + " --help");
    EXPECT_TRUE(has(r, "--feed")) << command << ": " << r.output;
    EXPECT_TRUE(has(r, "NAME=FILE.npy")) << command << ": " << r.output;
  }
  for (const char* command : {"export", "freeze", "inspect", "run", "view"}) {
    auto r = test::run(tfprod_cmd() + " " + command + " --help");
    EXPECT_TRUE(has(r, "--tags")) << command;
    EXPECT_TRUE(has(r, "comma-separated")) << command << ": " << r.output;
  }
}

TEST(CliFlags, RunFeedsFilesAndRandomValuesAndAcceptsTheOldSpelling) {
  const fs::path dir = test::scratch_dir();
  std::ofstream(dir / "g.pbtxt") << one_op_graph("Relu");
  write_npy(dir / "x.npy", test::tensor_f({1, 4}, {-1, 2, -3, 4}));

  auto r = test::run(tfprod_cmd() + " run g.pbtxt --feed x=x.npy --output y --out-dir feed", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::to_doubles(read_npy(dir / "feed/y.npy")), (std::vector<double>{0, 2, 0, 4}));
  EXPECT_FALSE(has(r, "deprecated")) << r.output;

  // The old spelling still works, with a note saying what to write instead.
  auto old = test::run(tfprod_cmd() + " run g.pbtxt --input x=x.npy --output y --out-dir old", dir);
  ASSERT_EQ(old.exit_code, 0) << old.output;
  EXPECT_EQ(test::to_doubles(read_npy(dir / "old/y.npy")), (std::vector<double>{0, 2, 0, 4}));
  EXPECT_TRUE(has(old, "--input x=x.npy is deprecated: write --feed x=x.npy")) << old.output;

  // --input NAME[:DTYPE][:SHAPE]: seeded random values of that shape.
  std::ofstream(dir / "n.pbtxt") << kNoShape;
  auto rnd = test::run(tfprod_cmd() + " run n.pbtxt --input x:float:2,3 --output y --out-dir rnd --seed 5", dir);
  ASSERT_EQ(rnd.exit_code, 0) << rnd.output;
  Tensor y = read_npy(dir / "rnd/y.npy");
  EXPECT_EQ(y.shape, (Shape{2, 3}));
  auto again = test::run(tfprod_cmd() + " run n.pbtxt --input x:float:2,3 --output y --out-dir again --seed 5", dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(test::to_doubles(read_npy(dir / "again/y.npy")), test::to_doubles(y)) << "seeded";
  auto missing = test::run(tfprod_cmd() + " run n.pbtxt --input x --output y --out-dir m", dir);
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(has(missing, "--input 'x': the graph declares no shape; give one, as in --input x:float:"))
      << missing.output;
}

TEST(CliFlags, MalformedValuesAreCommandLineErrorsNamingTheFlag) {
  const fs::path dir = test::scratch_dir();
  write_graph(dir, "g", one_op_graph("Relu"));
  struct Case {
    std::string args, says;
  };
  const Case cases[] = {
      {"export g.pbtxt -o out.pb --input x:notatype", "--input 'x:notatype': 'notatype' is not a dtype"},
      {"export g.pbtxt -o out.pb --input x=x.npy", "values from a file are given with --feed"},
      {"inspect g.pbtxt --input x:float:1,two", "--input 'x:float:1,two'"},
      {"run g.pbtxt --feed x.npy --output y", "--feed 'x.npy': expected NAME=FILE.npy"},
      {"verify g.pb --feed =x.npy", "--feed '=x.npy': expected NAME=FILE.npy"},
      {"classify g.pb img.pgm --size 20", "--size '20': expected WxH"},
      {"transform g.pbtxt --transforms strip_unused_nodes", "-o/--out is required"},
      {"export g.pbtxt -o out.pb --no-such-flag", "--no-such-flag"},
  };
  for (const auto& c : cases) {
    auto r = test::run(tfprod_cmd() + " " + c.args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_TRUE(has(r, c.says)) << c.args << ": " << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
  // transform names its own flag, not transform_graph's.
  auto t = test::run(tfprod_cmd() + " transform g.pbtxt --transforms strip_unused_nodes", dir);
  EXPECT_FALSE(has(t, "--out_graph")) << t.output;
}

TEST(CliFlags, DropInsNameTheirOwnFlags) {
  const fs::path dir = test::scratch_dir();
  write_graph(dir, "g", one_op_graph("Relu"));
  // Usage errors: 2, naming the flag.
  auto b = test::run(q(test::tool("transform_graph")) + " --in_graph=g.pb --out_graph=o.pb --transforms=sort_by_execution_order"
                                                       " --output_as_text=maybe",
                     dir);
  EXPECT_EQ(b.exit_code, 2) << b.output;
  EXPECT_TRUE(has(b, "transform_graph: error: --output_as_text: expected true or false, got 'maybe'")) << b.output;
  auto v = test::run(q(test::tool("freeze_graph")) +
                         " --input_graph=g.pbtxt --input_checkpoint=c --output_graph=o.pb --output_node_names=y"
                         " --checkpoint_version=3",
                     dir);
  EXPECT_EQ(v.exit_code, 2) << v.output;
  EXPECT_TRUE(has(v, "--checkpoint_version must be 1 or 2")) << v.output;
  for (const char* tool : {"freeze_graph", "transform_graph", "summarize_graph", "optimize_for_inference"}) {
    auto r = test::run(q(test::tool(tool)) + " --no_such_flag=1", dir);
    EXPECT_EQ(r.exit_code, 2) << tool << ": " << r.output;
  }
  // Errors: 1, naming the drop-in's flag.
  auto o = test::run(q(test::tool("optimize_for_inference")) +
                         " --input=g.pb --output=o.pb --input_names=nope --output_names=y",
                     dir);
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_TRUE(has(o, "input 'nope' is not in the graph (--input_names)")) << o.output;
  auto t = test::run(q(test::tool("transform_graph")) +
                         " --in_graph=g.pb --out_graph=o.pb --outputs=nope --transforms=sort_by_execution_order",
                     dir);
  EXPECT_EQ(t.exit_code, 1) << t.output;
  EXPECT_TRUE(has(t, "output 'nope' is not in the graph (--outputs)")) << t.output;
  EXPECT_FALSE(fs::exists(dir / "o.pb"));
}

// TF's tools read `--flag=` as the empty value; the next argument stays a flag.
TEST(CliFlags, DropInsReadAnEmptyValueAsEmpty) {
  const fs::path dir = test::scratch_dir();
  write_graph(dir, "g", one_op_graph("Relu"));
  auto t = test::run(q(test::tool("transform_graph")) +
                         " --in_graph=g.pb --out_graph=o.pb --inputs= --outputs=y --transforms=sort_by_execution_order",
                     dir);
  EXPECT_EQ(t.exit_code, 0) << t.output;
  EXPECT_TRUE(fs::exists(dir / "o.pb"));
  auto s = test::run(q(test::tool("summarize_graph")) + " --in_graph= --print_structure", dir);
  EXPECT_EQ(s.exit_code, 2) << s.output;  // --in_graph is required: empty is none
  EXPECT_TRUE(has(s, "--in_graph")) << s.output;
  EXPECT_FALSE(has(s, "--print_structure: no such file")) << s.output;
}

TEST(CliFlags, FreezeAsksForACheckpointWithItsOwnFlag) {
  const fs::path dir = test::scratch_dir();
  std::ofstream(dir / "g.pbtxt") << one_op_graph("Relu");
  auto r = test::run(tfprod_cmd() + " freeze g.pbtxt --output y -o f.pb", dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r, "no checkpoint found; pass one with --checkpoint")) << r.output;
  auto d = test::run(q(test::tool("freeze_graph")) +
                         " --input_graph=g.pbtxt --input_checkpoint=nope --output_graph=f.pb --output_node_names=y",
                     dir);
  EXPECT_EQ(d.exit_code, 1) << d.output;
  EXPECT_TRUE(has(d, "nope")) << d.output;
  EXPECT_FALSE(has(d, "--checkpoint ")) << d.output;  // tfprod freeze's flag, not freeze_graph's
}

TEST(CliFlags, VerifyExitsThreeWhenTheOutputsDiffer) {
  const fs::path dir = test::scratch_dir();
  const fs::path model = write_graph(dir, "relu", one_op_graph("Relu"));
  write_graph(dir, "tanh", one_op_graph("Tanh"));
  auto same = test::run(tfprod_cmd() + " verify relu.pb --reference relu.pbtxt", dir);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  auto differ = test::run(tfprod_cmd() + " verify relu.pb --reference tanh.pbtxt", dir);
  EXPECT_EQ(differ.exit_code, 3) << differ.output;
  EXPECT_TRUE(has(differ, "MISMATCH")) << differ.output;
  // Values from a file, and random ones of a given shape, verify too.
  write_npy(dir / "x.npy", test::tensor_f({1, 4}, {-1, 2, -3, 4}));
  auto fed = test::run(tfprod_cmd() + " verify relu.pb --feed x=x.npy", dir);
  EXPECT_EQ(fed.exit_code, 0) << fed.output;
  auto shaped = test::run(tfprod_cmd() + " verify relu.pb --input x:float:1,4 --reference tanh.pbtxt", dir);
  EXPECT_EQ(shaped.exit_code, 3) << shaped.output;
  // An error is not a check that failed.
  auto missing = test::run(tfprod_cmd() + " verify no_such.pb", dir);
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
}

TEST(CliFlags, TagsAreCommaSeparatedOrRepeated) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::scratch_dir();
  const std::string model = q(test::corpus_dir() / "tfserving_half_plus_two_tf1/00000123");
  write_npy(dir / "x.npy", test::tensor_f({1, 1}, {2}));
  auto ok = test::run(tfprod_cmd() + " run " + model + " --tags serve --feed x=x.npy --output y --out-dir o", dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto comma = test::run(tfprod_cmd() + " inspect " + model + " --no-opencv --tags serve,gpu", dir);
  auto repeated = test::run(tfprod_cmd() + " inspect " + model + " --no-opencv --tags serve --tags gpu", dir);
  EXPECT_EQ(comma.exit_code, 1) << comma.output;
  EXPECT_EQ(repeated.exit_code, 1) << repeated.output;
  EXPECT_TRUE(has(comma, "gpu")) << comma.output;
  EXPECT_EQ(comma.output, repeated.output);
}

}  // namespace
}  // namespace tfprod
