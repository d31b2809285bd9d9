// `tfprod inspect --json` on the corpus: the inputs to cut and the outputs
// the issue names, training-only parts, variables against the checkpoint,
// a frozen graph, a bad path and --help.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "tfprod/checkpoint.h"

namespace tfprod {
namespace {

using Json = nlohmann::json;

Json inspect_json(const std::string& path, const std::string& extra = "") {
  auto r = test::run(test::tool("tfprod").string() + " inspect --json " + extra + " " +
                     (test::corpus_dir() / path).string() + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << path << ": " << r.output;
  try {
    return Json::parse(r.output);
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": not JSON (" << e.what() << "): " << r.output.substr(0, 400);
    return Json::object();
  }
}

std::vector<std::string> names(const Json& candidates) {
  std::vector<std::string> out;
  for (const auto& c : candidates) out.push_back(c.at("name").get<std::string>());
  return out;
}

TEST(Inspect, NamesTheInputsToCutAndTheOutputs) {
  TFPROD_REQUIRE_CORPUS();
  Json anpr = inspect_json("anpr_estimator");
  ASSERT_EQ(names(anpr["inputs"]), std::vector<std::string>{"IteratorGetNext"});
  EXPECT_TRUE(anpr["inputs"][0]["cut"].get<bool>());
  EXPECT_EQ(anpr["inputs"][0]["dtype"], "DT_HALF");
  EXPECT_EQ(anpr["inputs"][0]["shape"], Json({-1, 20, 20, 1}));
  EXPECT_EQ(names(anpr["outputs"]), std::vector<std::string>{"softmax_tensor"});
  EXPECT_FALSE(anpr["outputs"][0]["reason"].get<std::string>().empty());
  EXPECT_EQ(anpr["io_source"], "guessed");

  Json lenet = inspect_json("lenet_saver_tf20_compat");
  ASSERT_EQ(names(lenet["inputs"]), std::vector<std::string>{"X"});
  EXPECT_FALSE(lenet["inputs"][0]["cut"].get<bool>());
  EXPECT_EQ(lenet["inputs"][0]["shape"], Json({-1, 784}));
  EXPECT_EQ(names(lenet["outputs"]), std::vector<std::string>{"Softmax"});
  EXPECT_EQ(lenet["labels"], Json({"Y"}));

  Json mnist = inspect_json("mnist_estimator_tf15");
  ASSERT_EQ(mnist["inputs"].size(), 1u);
  EXPECT_TRUE(mnist["inputs"][0]["cut"].get<bool>());
  EXPECT_TRUE(mnist["inputs"][0]["reason"].get<std::string>().starts_with("QueueDequeueManyV2 output"))
      << mnist["inputs"][0]["reason"];
  EXPECT_EQ(mnist["ops"].value("QueueDequeueManyV2", 0), 1);
  EXPECT_EQ(names(mnist["outputs"]), std::vector<std::string>{"softmax_tensor"});
}

TEST(Inspect, GivenOutputIsUsed) {
  TFPROD_REQUIRE_CORPUS();
  Json j = inspect_json("lenet_saver_tf20_compat", "--output Softmax --no-opencv");
  EXPECT_EQ(j["io_source"], "given (--output)");
  EXPECT_EQ(names(j["outputs"]), std::vector<std::string>{"Softmax"});
  EXPECT_EQ(names(j["inputs"]), std::vector<std::string>{"X"});
  auto r = test::run(test::tool("tfprod").string() + " inspect --output no_such_node " +
                     (test::corpus_dir() / "lenet_saver_tf20_compat").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no_such_node"), std::string::npos) << r.output;
}

TEST(Inspect, TrainingOnlyPartsOfTheEstimator) {
  TFPROD_REQUIRE_CORPUS();
  Json j = inspect_json("anpr_estimator", "--no-opencv");
  for (const char* part : {"dropout", "optimizer", "saver", "summaries", "input pipeline", "gradients", "loss"}) {
    ASSERT_TRUE(j["training_only"].contains(part)) << part << ": " << j["training_only"].dump();
    EXPECT_GT(j["training_only"][part]["nodes"].get<int>(), 0) << part;
  }
  EXPECT_EQ(j["training_only"]["dropout"]["scopes"], Json({"dropout/"}));
  // Both checkpoints of the directory, with their steps; the latest is used.
  ASSERT_EQ(j["checkpoints"].size(), 2u);
  EXPECT_EQ(j["checkpoints"][0]["step"], 0);
  EXPECT_EQ(j["checkpoints"][1]["step"], 20000);
  EXPECT_FALSE(j["checkpoints"][0]["used"].get<bool>());
  EXPECT_TRUE(j["checkpoints"][1]["used"].get<bool>());
  // index (435 B) + data (3444548 B), as the manifest lists them.
  EXPECT_EQ(j["checkpoints"][1]["bytes_on_disk"], 435 + 3444548);
  EXPECT_EQ(j["graph"]["tensorflow_version"], "1.14.0");
  EXPECT_EQ(j["graph"]["nodes"], 500);
  EXPECT_EQ(j["totals"]["model"]["count"], 8);
  EXPECT_EQ(j["totals"]["training_state"]["count"], 1);  // global_step
}

TEST(Inspect, VariablesAreTheCheckpointsWithoutAdamSlots) {
  TFPROD_REQUIRE_CORPUS();
  Json j = inspect_json("lenet_saver_tf20_compat", "--no-opencv");
  auto reader = open_checkpoint(resolve_checkpoint(test::corpus_dir() / "lenet_saver_tf20_compat/model.ckpt"));
  int64_t params = 0, slot_params = 0;
  uint64_t bytes = 0;
  std::size_t count = 0;
  for (const auto& t : reader->tensors()) {
    int64_t n = num_elements(t.shape);
    if (t.name.find("Adam") != std::string::npos || t.name.ends_with("_power")) {
      slot_params += n;
      continue;
    }
    params += n;
    bytes += t.bytes;
    ++count;
  }
  EXPECT_EQ(count, 10u);
  EXPECT_EQ(j["totals"]["model"]["count"], count);
  EXPECT_EQ(j["totals"]["model"]["parameters"], params);
  EXPECT_EQ(j["totals"]["model"]["bytes"], bytes);
  EXPECT_EQ(j["totals"]["optimizer_slots"]["count"], 22);
  EXPECT_EQ(j["totals"]["optimizer_slots"]["parameters"], slot_params);
  std::size_t listed = 0;
  for (const auto& v : j["variables"])
    if (v["kind"] == "model") {
      ++listed;
      EXPECT_TRUE(v["name"].get<std::string>().starts_with("Variable")) << v["name"];
      EXPECT_EQ(v["dtype"], "DT_FLOAT");
    }
  EXPECT_EQ(listed, 10u);
}

TEST(Inspect, FrozenGraph) {
  TFPROD_REQUIRE_CORPUS();
  Json j = inspect_json("anpr_estimator/frozen_cut_graph_opt.pb");
  EXPECT_EQ(j["graph"]["format"], "binary GraphDef");
  EXPECT_TRUE(j["checkpoints"].empty());
  EXPECT_EQ(j["checkpoint_tensors"], 0);
  EXPECT_EQ(names(j["inputs"]), std::vector<std::string>{"IteratorGetNext"});
  EXPECT_EQ(names(j["outputs"]), std::vector<std::string>{"softmax_tensor"});
  // Weights are its float Consts: the parameters of the checkpoint's 8 variables
  // (32 + 800 + 64 + 51200 + 1024 + 1638400 + 30 + 30720), not the int shapes.
  EXPECT_EQ(j["totals"]["model"]["parameters"], 1722270);
  EXPECT_EQ(j["totals"]["model"]["count"], 8);
  ASSERT_TRUE(j["training_only"].contains("dropout"));
  auto r = test::run(test::tool("tfprod").string() + " inspect " +
                     (test::corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb").string());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("no checkpoint"), std::string::npos) << r.output;
}

std::vector<std::string> ops_of(const Json& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.at("op").get<std::string>());
  return out;
}

TEST(Inspect, OpenCvVerdictBeforeAndAfterExport) {
  TFPROD_REQUIRE_CORPUS();
  // The training directory: TF's freeze leaves /read Identities OpenCV refuses; export fixes them.
  Json anpr = inspect_json("anpr_estimator");
  ASSERT_EQ(anpr["opencv"]["error"], "") << anpr["opencv"].dump();
  EXPECT_GT(anpr["opencv"]["blockers_before"].size(), 0u);
  EXPECT_TRUE(anpr["opencv"]["blockers_after"].empty()) << anpr["opencv"]["blockers_after"].dump();
  EXPECT_TRUE(anpr["opencv"]["fixed_by_export"].get<bool>());
  EXPECT_EQ(anpr["opencv"]["outputs"], Json({"softmax_tensor"}));

  // The author's frozen graph still holds the training-mode dropout.
  const std::string frozen = "anpr_estimator/frozen_cut_graph_opt.pb";
  const std::vector<std::string> dropout = {"RandomUniform", "GreaterEqual", "Cast"};
  Json as_is = inspect_json(frozen);
  EXPECT_EQ(ops_of(as_is["opencv"]["blockers_before"]), dropout);
  // Its input has no shape: export needs --input, and says so.
  EXPECT_NE(as_is["opencv"]["error"].get<std::string>().find("--input IteratorGetNext"), std::string::npos)
      << as_is["opencv"].dump();
  EXPECT_TRUE(as_is["opencv"]["blockers_after"].is_null());
  EXPECT_FALSE(as_is["opencv"]["fixed_by_export"].get<bool>());

  Json with_input = inspect_json(frozen, "--input IteratorGetNext:float:1,20,20,1");
  ASSERT_EQ(with_input["opencv"]["error"], "") << with_input["opencv"].dump();
  EXPECT_EQ(ops_of(with_input["opencv"]["blockers_before"]), dropout);
  EXPECT_TRUE(with_input["opencv"]["blockers_after"].empty()) << with_input["opencv"]["blockers_after"].dump();
  EXPECT_TRUE(with_input["opencv"]["fixed_by_export"].get<bool>());
  auto r = test::run(test::tool("tfprod").string() + " inspect --input IteratorGetNext:float:1,20,20,1 " +
                     (test::corpus_dir() / frozen).string());
  EXPECT_NE(r.output.find("would refuse 3 node(s)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("after tfprod export: none"), std::string::npos) << r.output;

  // What export cannot fix is listed (an NHWC Reshape in the autoencoder's decoder).
  Json ae = inspect_json("conv_autoencoder_saver_tf15");
  EXPECT_EQ(ops_of(ae["opencv"]["blockers_after"]), std::vector<std::string>{"Reshape"});
  EXPECT_FALSE(ae["opencv"]["fixed_by_export"].get<bool>());
}

TEST(Inspect, VerdictSaysWhenTheGuessIsAmbiguous) {
  const auto dir = test::scratch_dir();
  {
    std::ofstream f(dir / "two_heads.pbtxt");
    f << R"(node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
                   attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } } } } }
            node { name: "a" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
            node { name: "b" op: "Tanh" input: "x" attr { key: "T" value { type: DT_FLOAT } } })";
  }
  const std::string cmd = test::tool("tfprod").string() + " inspect --json " + (dir / "two_heads.pbtxt").string();
  auto r = test::run(cmd + " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Json j = Json::parse(r.output);
  EXPECT_EQ(names(j["outputs"]), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(j["opencv"]["error"].get<std::string>().find("pass --output"), std::string::npos) << j["opencv"].dump();
  r = test::run(cmd + " --output a 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = Json::parse(r.output);
  EXPECT_EQ(j["opencv"]["error"], "");
  EXPECT_EQ(j["opencv"]["outputs"], Json({"a"}));
  EXPECT_TRUE(j["opencv"]["blockers_after"].empty());
}

TEST(Inspect, CheckpointsWithoutAGraph) {
  TFPROD_REQUIRE_CORPUS();
  const auto dir = test::copy_case("anpr_estimator");
  for (const char* f : {"graph.pbtxt", "model.ckpt-0.meta", "model.ckpt-20000.meta"}) std::filesystem::remove(dir / f);
  for (const auto& path : {dir, dir / "model.ckpt-20000"}) {
    auto r = test::run(test::tool("tfprod").string() + " inspect --json " + path.string() + " 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    Json j = Json::parse(r.output);
    EXPECT_TRUE(j["graph"].is_null());
    EXPECT_EQ(j["kind"], path == dir ? "checkpoint directory" : "checkpoint");
    ASSERT_EQ(j["checkpoints"].size(), 2u);
    EXPECT_EQ(j["checkpoints"][1]["step"], 20000);
    EXPECT_TRUE(j["checkpoints"][1]["used"].get<bool>());
    EXPECT_EQ(j["totals"]["model"]["count"], 8);  // by TF's names: global_step is training state
    EXPECT_EQ(j["totals"]["training_state"]["count"], 1);
    EXPECT_TRUE(j["inputs"].empty());
  }
}

TEST(Inspect, BadPathIsOneLineNamingIt) {
  const std::string path = (test::scratch_dir() / "no_model_here").string();
  auto r = test::run(test::tool("tfprod").string() + " inspect --json " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(path + ": no such file"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('{'), std::string::npos) << r.output;  // no JSON on failure
}

TEST(Inspect, Help) {
  auto r = test::run(test::tool("tfprod").string() + " inspect --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--json", "--output", "--input", "--no-opencv", "path"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << ": " << r.output;
}

}  // namespace
}  // namespace tfprod
