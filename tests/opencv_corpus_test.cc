// Every users' frozen graph in the corpus, and the freeze of every training
// dir, Saver output and TF1 SavedModel: after inference cleanup and the
// OpenCV passes, either OpenCV 4.6 loads the model and its outputs equal the
// evaluator's on the original graph (in inference mode) on random inputs, or
// the pre-flight check names the node that blocks it. Prints the table.
#include <gtest/gtest.h>

#include "test_support.h"
#include "transform_test_support.h"
#include "tfprod/error.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"
#include "tfprod/verify.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path;
  std::string input;   // the cut: a placeholder, or the input pipeline's tensor
  std::string type;    // dtype for the cut ("" keeps a placeholder's own)
  std::string shape;   // for random inputs
  std::string output;
};

// The export preset: the cleanup tfprod export runs.
const std::string kCleanup = preset_transforms(Preset::kExport);

TEST(OpenCvCorpus, EveryModelLoadsAndMatchesOrIsExplained) {
  TFPROD_REQUIRE_CORPUS();
  const std::vector<Case> cases = {
      {"anpr_estimator/frozen_cut_graph.pb", "IteratorGetNext", "", "1,20,20,1", "softmax_tensor"},
      {"anpr_estimator/frozen_cut_graph_opt.pb", "IteratorGetNext", "half", "1,20,20,1", "softmax_tensor"},
      {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", "input_tensor_input", "", "1,28,28,1", "output_tensor/Softmax"},
      {"tf2onnx_regression_3formats/graphdef/frozen.pb", "X", "", "4", "pred"},
      {"tf2onnx_frozen_graphs/ae0/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/gru/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/lstm/frozen.pb", "X", "", "1,784", "output"},
      {"frozen_bn_cond_captcha/frozen_model.pb", "input_holder", "", "1,40,120,1", "digits_prediction"},
      {"tflearn_and_gate/frozen_model.pb", "input/X", "", "1,2", "output/Sigmoid"},
      {"anpr_estimator", "IteratorGetNext", "half", "1,20,20,1", "softmax_tensor"},
      {"lenet_saver_tf20_compat", "X", "", "1,784", "Softmax"},
      {"conv_autoencoder_saver_tf15", "Placeholder", "", "1,28,28,1", "Sigmoid"},
      {"keras_tf1_lenet_saver_and_frozen", "input_tensor_input", "", "1,28,28,1", "output_tensor/Softmax"},
      {"bn_dropout_saver_tf113", "Placeholder", "", "1,28,28,1", "Add_1"},
      {"tfserving_half_plus_two_tf1/00000123", "x", "", "1,1", "y"},
      {"v1_checkpoint_mlp_tf012", "Placeholder", "", "32,4", "Relu_1"},
      {"tf2onnx_regression_3formats/checkpoint", "X", "", "4", "pred"},
      {"tf2onnx_regression_3formats/saved_model", "X", "", "4", "pred"},
      {"tflearn_and_gate", "input/X", "", "1,2", "output/Sigmoid"},
      {"keras_mnist_savedmodel_tf210", "conv2d_input", "", "1,28,28,1", "dense_1"},
  };
  fs::path scratch = test::scratch_dir();
  int verified = 0, explained = 0, raw_loads = 0, raw_total = 0, i = 0;
  std::printf("%-46s %-9s %-9s %s\n", "case", "raw cv2", "ours", "detail");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    ModelSource src = open_model_source(test::corpus_dir() / c.path);
    Graph original = Graph::from_graphdef(src.meta.graph_def(), c.path);
    std::string raw = "-";
    if (!src.checkpoint) {
      ++raw_total;
      bool loads = opencv_import_error(src.graph_path).empty();
      raw_loads += loads;
      raw = loads ? "loads" : "fails";
    } else {
      auto reader = open_checkpoint(*src.checkpoint);
      original = freeze(std::move(original), *reader, {.outputs = {c.output}});
    }
    std::string strip = "strip_unused_nodes(shape=\"" + c.shape + "\"" + (c.type.empty() ? "" : ", type=" + c.type) + ") ";
    // The reference is the original cut at the same input (dtype and shape).
    Graph reference = test::apply_transforms(original, strip, {c.input}, {c.output});
    Graph model = test::apply_transforms(reference, kCleanup, {c.input}, {c.output});
    fs::path out = scratch / ("case" + std::to_string(i++) + ".pb");
    save_graphdef(model.to_graphdef(), out, false);
    auto issues = opencv_preflight(model);
    VerifyOptions options;
    options.outputs = {c.output};
    VerifyReport report;
    try {
      report = verify_model(out, &reference, options);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    std::string detail, ours;
    if (report.ok()) {
      ++verified;
      ours = "verified";
      detail = fmt::format("max rel diff {:.1e}", report.outputs[0].max_rel);
    } else {
      ours = "blocked";
      detail = issues.empty() ? (report.opencv_error.empty() ? report.table() : report.opencv_error)
                              : preflight_text(issues);
      if (!issues.empty()) ++explained;
      EXPECT_FALSE(issues.empty()) << "not verified and not explained by the pre-flight check:\n" << detail;
    }
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    std::printf("%-46s %-9s %-9s %s\n", c.path.c_str(), raw.c_str(), ours.c_str(), detail.substr(0, 150).c_str());
  }
  std::printf("loaded and verified: %d of %zu; explained by pre-flight: %d; raw frozen graphs OpenCV 4.6 loads today: "
              "%d of %d\n",
              verified, cases.size(), explained, raw_loads, raw_total);
}

}  // namespace
}  // namespace tfprod
