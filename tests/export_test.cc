// tfprod export: --input parsing; the done-when case (anpr_estimator, with no
// flags and with the issue's flags: OpenCV reads 5.jpg as 5, the report says
// dropout was removed); the corpus table (case, flags needed, result); and
// the refusals: a bad path, an ambiguous guess, an input shape that does not
// fit, a model OpenCV cannot run; none leaves a model behind.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "tfprod/analysis.h"
#include "tfprod/error.h"
#include "tfprod/example_model.h"
#include "tfprod/export.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_runner.h"

#include <cstring>

namespace tfprod {
namespace {

namespace fs = std::filesystem;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(InputSpec, ParsesTheIssuesForms) {
  InputSpec a = InputSpec::parse("IteratorGetNext:float:1,20,20,1");
  EXPECT_EQ(a.name, "IteratorGetNext");
  EXPECT_EQ(a.dtype, tfprod::tf::DT_FLOAT);
  EXPECT_EQ(a.shape, (Shape{1, 20, 20, 1}));
  InputSpec b = InputSpec::parse("Placeholder:float:1,128");
  EXPECT_EQ(b.shape, (Shape{1, 128}));
  InputSpec c = InputSpec::parse("left");
  EXPECT_EQ(c.name, "left");
  EXPECT_FALSE(c.dtype);
  EXPECT_FALSE(c.shape);
  InputSpec d = InputSpec::parse("X::1,784");
  EXPECT_FALSE(d.dtype);
  EXPECT_EQ(d.shape, (Shape{1, 784}));
  InputSpec e = InputSpec::parse("queue:1:half:1,784");
  EXPECT_EQ(e.name, "queue:1");
  EXPECT_EQ(e.dtype, tfprod::tf::DT_HALF);
  EXPECT_EQ(InputSpec::parse("x:0").name, "x");
  // Shapes as inspect prints them: "[1,28,28,1]", and "[]" for a scalar.
  EXPECT_EQ(InputSpec::parse("x:float:[1,28,28,1]").shape, (Shape{1, 28, 28, 1}));
  InputSpec scalar = InputSpec::parse("rate:int32:[]");
  ASSERT_TRUE(scalar.shape);
  EXPECT_EQ(*scalar.shape, Shape{});
}

TEST(InputSpec, RejectsBadDtypeAndShape) {
  EXPECT_THROW(InputSpec::parse("x:flaot:1,2"), Error);
  EXPECT_THROW(InputSpec::parse("x:float:1,a"), Error);
  EXPECT_THROW(InputSpec::parse(":float"), Error);
  EXPECT_THROW(InputSpec::parse("x:float:1:2"), Error);
  try {
    InputSpec::parse("x:flaot:1,2");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'flaot' is not a dtype"), std::string::npos) << e.what();
  }
}

// Exports anpr and classifies 5.jpg; returns the first line of classify.
std::string export_and_classify(const std::string& flags, const fs::path& dir, nlohmann::json* report) {
  fs::path model = dir / "anpr.pb", json = dir / "report.json";
  auto r = test::run(q(test::tool("tfprod")) + " export " + q(test::corpus_dir() / "anpr_estimator") + " -o " +
                     q(model) + " --report " + q(json) + " " + flags);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dropout"), std::string::npos) << r.output;
  std::ifstream in(json);
  *report = nlohmann::json::parse(in);
  auto c = test::run(q(test::tool("tfprod")) + " classify " + q(model) + " " +
                     q(test::corpus_dir() / "anpr_estimator" / "5.jpg") + " --gray --top 1");
  EXPECT_EQ(c.exit_code, 0) << c.output;
  return c.output.substr(0, c.output.find('\n'));
}

TEST(ExportCorpus, AnprWithNoFlagsReadsFiveAsFive) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  std::string before = test::tree_digest(test::corpus_dir() / "anpr_estimator");
  nlohmann::json report;
  std::string top = export_and_classify("", dir, &report);
  EXPECT_EQ(top.substr(0, top.find('\t')), "5") << top;
  EXPECT_TRUE(report["verification"]["verified"].get<bool>());
  EXPECT_EQ(report["inputs"], nlohmann::json::array({"IteratorGetNext"}));
  EXPECT_EQ(report["outputs"], nlohmann::json::array({"softmax_tensor"}));
  bool dropout = false;
  for (const auto& line : report["removed_training_only"]) dropout = dropout || line.get<std::string>().starts_with("dropout:");
  EXPECT_TRUE(dropout) << report["removed_training_only"].dump();
  for (const auto& step : report["steps"]) {
    if (step["name"] == "remove_dropout") {
      EXPECT_LT(step["nodes_after"].get<int>(), step["nodes_before"].get<int>());
    }
  }
  EXPECT_LT(report["verification"]["outputs"][0]["max_rel_diff"].get<double>(), 1e-4);
  EXPECT_EQ(test::tree_digest(test::corpus_dir() / "anpr_estimator"), before);
}

TEST(ExportCorpus, AnprWithTheIssuesInputFlag) {
  TFPROD_REQUIRE_CORPUS();
  nlohmann::json report;
  std::string top = export_and_classify("--input IteratorGetNext:float:1,20,20,1", test::scratch_dir(), &report);
  EXPECT_EQ(top.substr(0, top.find('\t')), "5") << top;
  bool given = false;
  for (const auto& c : report["choices"]) given = given || c == "inputs given: IteratorGetNext";
  EXPECT_TRUE(given) << report["choices"].dump();
}

struct Case {
  std::string path;
  std::vector<std::string> flags;  // the fewest that work ({} = none)
  std::string blocked_at;          // non-empty: OpenCV 4.6 cannot run it; the failure names this node
};

TEST(ExportCorpus, EveryLoadableCaseExportsWithTheFewestFlags) {
  TFPROD_REQUIRE_CORPUS();
  const std::vector<Case> cases = {
      {"anpr_estimator", {}, ""},
      {"anpr_estimator/frozen_cut_graph.pb", {}, ""},
      {"anpr_estimator/frozen_cut_graph_opt.pb", {"IteratorGetNext:half:1,20,20,1"}, ""},
      {"mnist_estimator_tf15", {}, ""},
      {"lenet_saver_tf20_compat", {}, ""},
      {"keras_tf1_lenet_saver_and_frozen", {}, ""},
      {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", {}, ""},
      {"keras_mnist_savedmodel_tf210", {}, ""},
      {"bn_dropout_saver_tf113", {}, ""},
      {"tfserving_half_plus_two_tf1/00000123", {}, ""},
      {"v1_checkpoint_mlp_tf012", {}, ""},
      {"tflearn_and_gate", {}, ""},
      {"tflearn_and_gate/frozen_model.pb", {}, ""},
      {"frozen_bn_cond_captcha/frozen_model.pb", {}, ""},
      {"tf2onnx_frozen_graphs/ae0/frozen.pb", {}, ""},
      {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", {}, ""},
      {"tf2onnx_regression_3formats/graphdef/frozen.pb", {"X:float:1,1"}, ""},
      {"tf2onnx_regression_3formats/checkpoint", {"X:float:1,1"}, ""},
      {"tf2onnx_regression_3formats/saved_model", {"X:float:1,1"}, ""},
      {"conv_autoencoder_saver_tf15", {}, "Reshape"},
      {"tf2onnx_frozen_graphs/gru/frozen.pb", {"X:float:1,784"}, "model/unstack"},
      {"tf2onnx_frozen_graphs/lstm/frozen.pb", {}, "model/unstack"},
  };
  fs::path dir = test::scratch_dir();
  int verified = 0, no_flags = 0, i = 0;
  std::printf("%-50s %-34s %s\n", "case", "flags needed", "result");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    ExportOptions options;
    options.source = test::corpus_dir() / c.path;
    for (const auto& f : c.flags) options.inputs.push_back(InputSpec::parse(f));
    fs::path out = dir / ("model" + std::to_string(i++) + ".pb");
    std::string result;
    try {
      ExportReport report = export_model(options, out);
      if (c.blocked_at.empty()) {
        EXPECT_TRUE(report.failure.empty()) << report.failure;
        EXPECT_TRUE(report.verified);
        EXPECT_TRUE(fs::exists(out));
        ASSERT_FALSE(report.verification.outputs.empty());
        result = fmt::format("verified, max rel diff {:.1e}", report.verification.outputs[0].max_rel);
        verified += report.verified;
        no_flags += report.verified && c.flags.empty();
      } else {
        EXPECT_FALSE(report.verified);
        EXPECT_FALSE(fs::exists(out)) << "a model that failed verification was written";
        EXPECT_NE(report.failure.find(c.blocked_at + " ("), std::string::npos) << report.failure;
        result = "blocked at " + c.blocked_at + " (named by the pre-flight check)";
      }
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      result = std::string("error: ") + e.what();
    }
    std::string flags;
    for (const auto& f : c.flags) flags += "--input " + f + " ";
    std::printf("%-50s %-34s %s\n", c.path.c_str(), flags.empty() ? "(none)" : flags.c_str(), result.substr(0, 90).c_str());
  }
  std::printf("verified %d of %zu; %d with no flags\n", verified, cases.size(), no_flags);
}

// Two independent heads: export refuses to choose.
const char* kTwoHeads = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } } } } }
node { name: "a" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "b" op: "Tanh" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(ExportCli, RefusesAnAmbiguousGuessNamingTheCandidates) {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "two.pbtxt") << kTwoHeads;
  auto r = test::run(q(test::tool("tfprod")) + " export two.pbtxt -o out.pb", dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("two candidate outputs: a, b; pass --output"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
  auto ok = test::run(q(test::tool("tfprod")) + " export two.pbtxt -o out.pb --output b -q", dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(fs::exists(dir / "out.pb"));
}

TEST(ExportCli, BadPathNamesIt) {
  fs::path dir = test::scratch_dir();
  auto r = test::run(q(test::tool("tfprod")) + " export no/such/model -o out.pb -q", dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no/such/model"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
}

TEST(ExportCli, InputShapeThatDoesNotFit) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  auto r = test::run(q(test::tool("tfprod")) + " export " + q(test::corpus_dir() / "anpr_estimator") +
                         " -o out.pb --input IteratorGetNext:float:1,20,20,3",
                     dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("'IteratorGetNext': shape [1,20,20,3] does not fit the declared [-1,20,20,1]"),
            std::string::npos)
      << r.output;
  auto d = test::run(q(test::tool("tfprod")) + " export " + q(test::corpus_dir() / "anpr_estimator") +
                         " -o out.pb --input IteratorGetNext:int32:1,20,20,1",
                     dir);
  EXPECT_EQ(d.exit_code, 1) << d.output;
  EXPECT_NE(d.output.find("dtype DT_INT32 does not fit: the graph declares DT_HALF"), std::string::npos) << d.output;
  auto n = test::run(q(test::tool("tfprod")) + " export " + q(test::corpus_dir() / "anpr_estimator") +
                         " -o out.pb --input NoSuchNode",
                     dir);
  EXPECT_EQ(n.exit_code, 1) << n.output;
  EXPECT_NE(n.output.find("no node 'NoSuchNode'"), std::string::npos) << n.output;
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
}

// A graph with variables and no checkpoint, cut below the variables: the
// model needs no checkpoint. Cut above them, the error names the variable.
TEST(ExportCli, InputsBelowTheVariablesNeedNoCheckpoint) {
  fs::path dir = test::scratch_dir();
  const std::string var = R"(attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { dim { size: 1 } } } })";
  std::ofstream(dir / "graph.pbtxt")
      << "node { name: 'a' op: 'VariableV2' " << var << " }\n"
      << "node { name: 'a/read' op: 'Identity' input: 'a' attr { key: 'T' value { type: DT_FLOAT } } }\n"
      << "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
      << "node { name: 'y' op: 'Sigmoid' input: 'a/read' attr { key: 'T' value { type: DT_FLOAT } } }\n"
      << "node { name: 'z' op: 'AddV2' input: 'y' input: 'x' attr { key: 'T' value { type: DT_FLOAT } } }\n";
  auto r = test::run(q(test::tool("tfprod")) + " export graph.pbtxt -o out.pb --output y --input a/read:float:1", dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out.pb"));
  auto above = test::run(q(test::tool("tfprod")) + " export graph.pbtxt -o out2.pb --output z --input x:float:1", dir);
  EXPECT_EQ(above.exit_code, 1) << above.output;
  EXPECT_NE(above.output.find("the outputs read variable 'a' but no checkpoint was found"), std::string::npos)
      << above.output;
  EXPECT_FALSE(fs::exists(dir / "out2.pb"));
}

// A TF2 graph reads its variables through DT_RESOURCE placeholders (what a
// function captured): not model inputs, and their values are not in the file.
TEST(ExportCli, VariableHandlesOfATf2GraphAreNotInputs) {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "graph.pbtxt")
      << "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'shape' "
         "value { shape { dim { size: 1 } dim { size: 2 } } } } }\n"
      << "node { name: 'unknown' op: 'Placeholder' attr { key: 'dtype' value { type: DT_RESOURCE } } attr { key: "
         "'shape' value { shape { } } } }\n"
      << "node { name: 'r' op: 'ReadVariableOp' input: 'unknown' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
      << "node { name: 'y' op: 'AddV2' input: 'x' input: 'r' attr { key: 'T' value { type: DT_FLOAT } } }\n";
  Graph g = Graph::from_graphdef(load_model_file(dir / "graph.pbtxt").model.meta_graphs(0).graph_def(), "graph.pbtxt");
  IoGuess guess = guess_io(g);
  ASSERT_EQ(guess.inputs.size(), 1u);
  EXPECT_EQ(guess.inputs[0].name, "x");
  auto r = test::run(q(test::tool("tfprod")) + " export graph.pbtxt -o out.pb", dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the outputs read variable handle 'unknown', a DT_RESOURCE placeholder"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
}

TEST(ExportCli, UnverifiedModelIsNotWrittenButTheReportIs) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  auto r = test::run(q(test::tool("tfprod")) + " export " + q(test::corpus_dir() / "conv_autoencoder_saver_tf15") +
                         " -o out.pb --report r.json -q",
                     dir);
  EXPECT_EQ(r.exit_code, 3) << r.output;  // verification ran and found the model wrong
  EXPECT_NE(r.output.find("out.pb: not written"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
  std::ifstream in(dir / "r.json");
  auto j = nlohmann::json::parse(in);
  EXPECT_FALSE(j["written"].get<bool>());
  EXPECT_FALSE(j["opencv_blockers"].empty());
}

TEST(ExportCli, RefusesToOverwriteAnInput) {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "two.pbtxt") << kTwoHeads;
  auto r = test::run(q(test::tool("tfprod")) + " export two.pbtxt -o two.pbtxt --output a", dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("output path is the input"), std::string::npos) << r.output;
  std::ifstream in(dir / "two.pbtxt");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, kTwoHeads);
}

// Every subcommand of tfprod, and every drop-in, answers --help with exit 0.
TEST(Cli, EveryCommandHasHelp) {
  auto top = test::run(q(test::tool("tfprod")) + " --help");
  ASSERT_EQ(top.exit_code, 0) << top.output;
  auto at = top.output.find("SUBCOMMANDS:");
  if (at == std::string::npos) at = top.output.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << top.output;
  std::istringstream lines(top.output.substr(at));
  std::string line;
  std::getline(lines, line);
  int commands = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) continue;
    auto r = test::run(q(test::tool("tfprod")) + " " + name + " --help");
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << name;
    ++commands;
  }
  EXPECT_GE(commands, 10);  // export, freeze, inspect, view, classify, ...
  EXPECT_NE(top.output.find("export"), std::string::npos);
  for (const char* t : {"freeze_graph", "transform_graph", "summarize_graph", "optimize_for_inference"}) {
    auto r = test::run(q(test::tool(t)) + " --help");
    EXPECT_EQ(r.exit_code, 0) << t << ": " << r.output;
  }
  auto bad = test::run(q(test::tool("tfprod")) + " export");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;  // usage error
}

}  // namespace
}  // namespace tfprod

namespace tfprod {
namespace {

// The README's main command, without ../shared: the generated example
// training dir exports, verifies and classifies its own image.
TEST(ExportCli, ExampleTrainingDirExportsAndClassifies) {
  fs::path dir = test::scratch_dir();
  auto t = q(test::tool("tfprod"));
  ASSERT_EQ(test::run(t + " example ex", dir).exit_code, 0);
  auto r = test::run(t + " export ex -o ex/model.pb -q", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("verified: OpenCV"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dropout:"), std::string::npos) << r.output;
  auto c = test::run(t + " classify ex/model.pb ex/digit.pgm --gray --top 3", dir);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(std::count(c.output.begin(), c.output.end(), '\n'), 3) << c.output;
}

// half_plus_two (a TF1 SavedModel of the analytic kind): y = 0.5x + 2 in
// OpenCV after export.
TEST(ExportCorpus, HalfPlusTwoComputesHalfPlusTwoInOpenCv) {
  TFPROD_REQUIRE_CORPUS();
  fs::path out = test::scratch_dir() / "hp2.pb";
  ExportOptions options;
  options.source = test::corpus_dir() / "tfserving_half_plus_two_tf1/00000123";
  ExportReport report = export_model(options, out);
  ASSERT_TRUE(report.failure.empty()) << report.failure;
  ASSERT_EQ(report.inputs.size(), 1u);
  ASSERT_EQ(report.outputs.size(), 1u);
  for (float x : {-3.0f, 0.0f, 1.0f, 5.0f, 1000.0f}) {
    Tensor in;
    in.dtype = tfprod::tf::DT_FLOAT;
    in.shape = {1, 1};
    in.data.assign(reinterpret_cast<const char*>(&x), sizeof x);
    OpenCvRun run = run_in_opencv(out, {{report.inputs[0], in}}, {{report.outputs[0]}}, true);
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(run.outputs[0].data.size(), sizeof(float));
    float y;
    std::memcpy(&y, run.outputs[0].data.data(), sizeof y);
    EXPECT_EQ(y, 0.5f * x + 2.0f) << "x = " << x;
  }
}

}  // namespace
}  // namespace tfprod

namespace tfprod {
namespace {

// Freeze reports its progress in checkpoint bytes, ending at the total.
TEST(FreezeProgress, CountsUpToTheCheckpointBytes) {
  fs::path dir = test::scratch_dir() / "ex";
  write_example_training_dir(dir);
  ModelSource src = open_model_source(dir);
  auto reader = open_checkpoint(*src.checkpoint);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  FreezeOptions options{.outputs = {"softmax_tensor"}};
  options.progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
  FreezeReport report;
  freeze(Graph::from_graphdef(src.meta.graph_def(), "example"), *reader, options, &report);
  ASSERT_EQ(calls.size(), report.frozen.size());
  uint64_t model_bytes = 0;
  for (const auto& name : report.frozen) model_bytes += reader->find(name)->bytes;
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GT(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back().first, model_bytes);
  EXPECT_EQ(calls.back().second, model_bytes);
}

}  // namespace
}  // namespace tfprod
