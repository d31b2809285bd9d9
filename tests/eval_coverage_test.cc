// Every op on the inference path of every graph in the corpus has a kernel.
// The inference path: the ancestors of the model's outputs, stopping at its
// inputs (placeholders, or the input pipeline's output when it is cut there),
// after freezing when the case has a checkpoint.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "test_support.h"
#include "tfprod/eval.h"
#include "tfprod/freeze.h"
#include "tfprod/model_source.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path;
  std::vector<std::string> outputs;
  std::vector<std::string> cut;  // nodes the inference graph starts from
};

std::set<std::string> path_ops(const Graph& g, const Case& c) {
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> stack;
  for (const auto& o : c.outputs) stack.push_back(g.find(o));
  std::set<std::string> ops;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!n || !seen.insert(n).second) continue;
    if (std::find(c.cut.begin(), c.cut.end(), n->name()) != c.cut.end()) continue;
    ops.insert(n->op);
    for (const auto& in : n->inputs) stack.push_back(in.node);
    for (const Node* ctl : n->control_inputs) stack.push_back(ctl);
  }
  return ops;
}

std::vector<Case> opencv_extra_cases(const fs::path& dir) {
  std::vector<Case> out;
  std::ifstream in(dir / "MANIFEST.md");
  std::regex row(R"(^\| (\w+) \|.*\| `([^`]*)` -> `([^`]*)` \|)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row))
      out.push_back({"opencv_extra_tf/" + m[1].str() + "_net.pb", {m[3].str()}, {}});
  }
  return out;
}

TEST(EvalCoverage, EveryInferenceOpInTheCorpusHasAKernel) {
  TFPROD_REQUIRE_CORPUS();
  std::vector<Case> cases = {
      {"anpr_estimator", {"softmax_tensor"}, {"IteratorGetNext"}},
      {"mnist_estimator_tf15", {"softmax_tensor", "ArgMax"}, {"random_shuffle_queue_DequeueMany"}},
      {"lenet_saver_tf20_compat", {"Softmax"}, {}},
      {"conv_autoencoder_saver_tf15", {"Sigmoid"}, {}},
      {"keras_tf1_lenet_saver_and_frozen", {"output_tensor/Softmax"}, {}},
      {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", {"output_tensor/Softmax"}, {}},
      {"bn_dropout_saver_tf113", {"Add_1"}, {}},
      {"tfserving_half_plus_two_tf1/00000123", {"y"}, {"x"}},  // serving_default feeds x, after ParseExample
      {"v1_checkpoint_mlp_tf012", {"Relu_1"}, {}},
      {"tf2onnx_regression_3formats/checkpoint", {"pred"}, {}},
      {"tf2onnx_regression_3formats/graphdef/frozen.pb", {"pred"}, {}},
      {"tf2onnx_frozen_graphs/ae0/frozen.pb", {"output"}, {}},
      {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", {"output"}, {}},
      {"tf2onnx_frozen_graphs/gru/frozen.pb", {"output"}, {}},
      {"tf2onnx_frozen_graphs/lstm/frozen.pb", {"output"}, {}},
      {"frozen_bn_cond_captcha/frozen_model.pb", {"digits_prediction"}, {}},
      {"tflearn_and_gate", {"output/Sigmoid"}, {}},
      {"tflearn_and_gate/frozen_model.pb", {"output/Sigmoid"}, {}},
      {"anpr_estimator/frozen_cut_graph.pb", {"softmax_tensor"}, {}},
      {"anpr_estimator/frozen_cut_graph_opt.pb", {"softmax_tensor"}, {}},
      {"keras_mnist_savedmodel_tf210", {"dense_1"}, {}},  // TF2: functions inlined by open_model_source
  };
  for (auto& c : opencv_extra_cases(test::corpus_dir() / "opencv_extra_tf")) cases.push_back(c);
  ASSERT_GE(cases.size(), 55u);

  std::map<std::string, std::set<std::string>> op_cases;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    ModelSource src = open_model_source(test::corpus_dir() / c.path);
    Graph g = Graph::from_graphdef(src.meta.graph_def(), c.path);
    if (src.checkpoint) {
      auto reader = open_checkpoint(*src.checkpoint);
      g = freeze(std::move(g), *reader, {.outputs = c.outputs});
    }
    for (const auto& o : c.outputs) ASSERT_NE(g.find(o), nullptr) << o;
    for (const auto& op : path_ops(g, c)) op_cases[op].insert(c.path);
  }
  std::vector<std::string> missing;
  std::printf("%zu ops on the corpus inference paths (%zu cases):\n", op_cases.size(), cases.size());
  for (const auto& [op, where] : op_cases) {
    if (op == "Dropout") {
      // opencv_extra's defun_dropout calls a Defun "Dropout" whose body is not
      // in the graph's library: there is nothing to evaluate; inference
      // cleanup removes it (OpenCV's importer special-cases the same name).
      std::printf("  %-28s %-8s %zu case(s): call of a function missing from the library\n", op.c_str(), "n/a",
                  where.size());
      continue;
    }
    const bool ok = has_kernel(op);
    std::printf("  %-28s %-8s %zu case(s)\n", op.c_str(), ok ? "kernel" : "MISSING", where.size());
    if (!ok) missing.push_back(op + " (e.g. " + *where.begin() + ")");
  }
  EXPECT_TRUE(missing.empty()) << "ops without a kernel: " << fmt::format("{}", fmt::join(missing, ", "));
}

}  // namespace
}  // namespace tfprod
