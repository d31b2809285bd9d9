// The users' models of the shared corpus (the export table of
// export_test.cc) exported to ONNX with the same flags as the TF path: each
// is written only after ONNX's checker and OpenCV 4.6's ONNX importer
// (against the evaluator on the frozen graph) passed; here the written file
// is checked again and run in ONNX Runtime against the evaluator on the
// exported TF graph. Prints: case, flags, opset, nodes, Transposes, max
// relative difference per runtime.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "onnx_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/export.h"
#include "tfprod/file_util.h"
#include "tfprod/tensor_values.h"
#include "tfprod/verify.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string path;
  std::vector<std::string> flags;  // --input, as the TF path needs
  bool conv_net = false;           // no Transpose (one-channel NHWC inputs)
};

const std::vector<Case> kCases = {
    {"anpr_estimator", {}, true},
    {"anpr_estimator/frozen_cut_graph.pb", {}, true},
    {"anpr_estimator/frozen_cut_graph_opt.pb", {"IteratorGetNext:half:1,20,20,1"}, true},
    {"mnist_estimator_tf15", {}, true},
    {"lenet_saver_tf20_compat", {}, true},
    {"keras_tf1_lenet_saver_and_frozen", {}, true},
    {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", {}, true},
    {"keras_mnist_savedmodel_tf210", {}, true},
    {"bn_dropout_saver_tf113", {}, true},
    {"tfserving_half_plus_two_tf1/00000123", {}},
    {"v1_checkpoint_mlp_tf012", {}},
    {"tflearn_and_gate", {}},
    {"tflearn_and_gate/frozen_model.pb", {}},
    {"frozen_bn_cond_captcha/frozen_model.pb", {}},  // its own tf.transpose in the head stays
    {"tf2onnx_frozen_graphs/ae0/frozen.pb", {}},
    {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", {}},
    {"tf2onnx_regression_3formats/graphdef/frozen.pb", {"X:float:1,1"}},
    {"tf2onnx_regression_3formats/checkpoint", {"X:float:1,1"}},
    {"tf2onnx_regression_3formats/saved_model", {"X:float:1,1"}},
    {"conv_autoencoder_saver_tf15", {}, true},  // its mid-model Reshape to NHWC folds into the dense weights
    {"tf2onnx_frozen_graphs/gru/frozen.pb", {"X:float:1,784"}},
    {"tf2onnx_frozen_graphs/lstm/frozen.pb", {}},
};

// ONNX Runtime on the written model against the evaluator on the exported TF graph.
double onnxruntime_diff(const ExportOptions& options, const fs::path& model, std::string* error) {
  PreparedExport prepared = prepare_export(options);
  const auto& outputs = prepared.report.outputs;
  const auto feeds = random_inputs(prepared.model, outputs, 2);
  std::vector<std::pair<std::string, Tensor>> onnx_feeds;
  for (const auto& [name, t] : feeds) onnx_feeds.emplace_back(onnx_name(name), t);
  const std::vector<Tensor> want = Evaluator(prepared.model).run(feeds, outputs);
  auto got = test::run_onnxruntime(model.string(), onnx_feeds, error);
  if (!error->empty()) return -1;
  double diff = 0;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    auto it = got.find(onnx_name(outputs[i]));
    if (it == got.end()) {
      *error = "no output " + onnx_name(outputs[i]);
      return -1;
    }
    diff = std::max(diff, test::relative_diff(it->second, want[i]));
  }
  return diff;
}

TEST(OnnxCorpus, EveryUsersModelExportsVerifiesAndRunsInOnnxRuntime) {
  TFPROD_REQUIRE_CORPUS();
  const bool ort = test::have_onnxruntime();
  if (!ort) std::printf("ONNX Runtime not installed (tests/js: npm ci --ignore-scripts): its column is skipped\n");
  fs::path dir = test::scratch_dir();
  std::printf("%-48s %-32s %5s %5s %10s %12s %12s\n", "case", "flags", "opset", "nodes", "Transposes",
              "OpenCV 4.6", "ORT 1.30");
  int verified = 0, i = 0;
  std::vector<std::string> failures;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.path);
    ExportOptions options;
    options.source = test::corpus_dir() / c.path;
    for (const auto& f : c.flags) options.inputs.push_back(InputSpec::parse(f));
    const fs::path out = dir / fmt::format("model{}.onnx", i++);
    std::string flags;
    for (const auto& f : c.flags) flags += "--input " + f + " ";
    try {
      ExportReport report = export_model(options, out);
      if (!report.failure.empty()) {
        ADD_FAILURE() << report.failure;
        failures.push_back(c.path + ": " + report.failure);
        EXPECT_FALSE(fs::exists(out)) << "a model that failed was written";
        std::printf("%-48s %-32s failed: %s\n", c.path.c_str(), flags.c_str(), report.failure.substr(0, 80).c_str());
        continue;
      }
      EXPECT_TRUE(report.verified);
      EXPECT_EQ(report.onnx_checker, "passed");
      EXPECT_EQ(onnx_check(read_file(out)), "") << "the written file fails the checker";
      ASSERT_FALSE(report.verification.outputs.empty());
      double cv = 0;
      for (const auto& o : report.verification.outputs) cv = std::max(cv, o.max_rel);
      EXPECT_LE(cv, 1e-4);
      // Their inputs have one channel: even the NHWC -> NCHW at the input is a Reshape.
      if (c.conv_net) EXPECT_EQ(report.onnx_transposes, 0u) << "a conv net keeps a Transpose";
      std::string ort_text = "skipped";
      if (ort) {
        std::string error;
        ExportOptions o = options;
        o.format = ModelFormat::kOnnx;
        const double d = onnxruntime_diff(o, out, &error);
        EXPECT_TRUE(error.empty()) << error;
        EXPECT_LE(d, 1e-4);
        ort_text = error.empty() ? fmt::format("{:.1e}", d) : "error";
      }
      verified += report.verified;
      std::printf("%-48s %-32s %5d %5zu %10zu %12s %12s\n", c.path.c_str(), flags.empty() ? "(none)" : flags.c_str(),
                  report.onnx_opset, report.onnx_nodes, report.onnx_transposes, fmt::format("{:.1e}", cv).c_str(),
                  ort_text.c_str());
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      failures.push_back(c.path + ": " + e.what());
    }
  }
  std::printf("verified %d of %zu in OpenCV 4.6's ONNX importer%s\n", verified, kCases.size(),
              ort ? " and ONNX Runtime" : "");
  for (const auto& f : failures) std::printf("  failed: %s\n", f.c_str());
}

// OpenCV 5.0 (WASM, npm @opencvjs/web 5.0.0-release.2), whose new engine
// reads only ONNX: each case's ONNX export and TF-path export (.pb), written
// without verification, run on the same random input against the evaluator
// on the exported TF graph. Prints a row per case: whether 5.0 runs each
// form, and its max relative difference.
TEST(OnnxCorpus, OpenCv5RunsTheOnnxExports) {
  TFPROD_REQUIRE_CORPUS();
  if (!test::have_opencv5()) GTEST_SKIP() << "OpenCV 5.0 WASM not installed (tests/js: npm ci --ignore-scripts)";
  const fs::path dir = test::scratch_dir();
  std::printf("%-48s %-24s %-24s\n", "case", "ONNX in OpenCV 5.0", "TF .pb in OpenCV 5.0");
  int onnx_ok = 0, tf_ok = 0, i = 0;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.path);
    ExportOptions options;
    options.source = test::corpus_dir() / c.path;
    for (const auto& f : c.flags) options.inputs.push_back(InputSpec::parse(f));
    options.verify = false;
    auto run = [&](bool tensorflow) -> std::string {
      ExportOptions o = options;
      o.format = tensorflow ? ModelFormat::kGraphDef : ModelFormat::kOnnx;
      // Each form's own inputs (the GraphDef path cuts after a leading Reshape, the ONNX one does not).
      PreparedExport prepared = prepare_export(o);
      const auto& outputs = prepared.report.outputs;
      const auto feeds = random_inputs(prepared.model, outputs, 2);
      const std::vector<Tensor> want = Evaluator(prepared.model).run(feeds, outputs);
      std::vector<std::string> names;
      for (const auto& out : outputs) names.push_back(onnx_name(out));
      // Images go in NCHW in both forms (opencv.js builds 4-D blobs only so): --inputs-as-nchw for ONNX.
      for (const auto& [name, t] : feeds)
        if (!tensorflow && t.shape.size() == 4) o.onnx.inputs_as_nchw.push_back(name);
      const fs::path out = dir / fmt::format("model{}.{}", i, tensorflow ? "pb" : "onnx");
      ExportReport report = export_model(o, out);
      if (!report.failure.empty()) return "not exported";
      std::vector<std::pair<std::string, Tensor>> f;
      for (const auto& [name, t] : feeds) {
        // OpenCV's TF importer takes NHWC images as NCHW blobs; the ONNX export was told to.
        const bool image = t.shape.size() == 4;
        f.emplace_back(onnx_name(name), image ? permute_dims(eval::cast(t, tfprod::tf::DT_FLOAT), {0, 3, 1, 2}) : t);
      }
      std::string error;
      auto got = test::run_opencv5(out.string(), tensorflow, f, names, &error);
      if (!error.empty()) return "error: " + error.substr(0, 40);
      double d = 0;
      for (std::size_t k = 0; k < names.size(); ++k) {
        Tensor g = got.count(names[k]) ? got[names[k]] : Tensor{};
        if (tensorflow && g.shape.size() == 4) g = permute_dims(g, {0, 2, 3, 1});
        d = std::max(d, test::relative_diff(g, want[k]));
      }
      return d <= 1e-4 ? fmt::format("runs, {:.1e}", d) : fmt::format("differs, {:.1e}", d);
    };
    const std::string onnx = run(false), tf = run(true);
    ++i;
    onnx_ok += onnx.rfind("runs", 0) == 0;
    tf_ok += tf.rfind("runs", 0) == 0;
    std::printf("%-48s %-24s %-24s\n", c.path.c_str(), onnx.c_str(), tf.c_str());
  }
  std::printf("OpenCV 5.0 runs %d of %zu ONNX exports and %d TF-path exports\n", onnx_ok, kCases.size(), tf_ok);
  // Measured: 21 ONNX exports (captcha differs) and 16 TF-path exports (captcha differs; five abort
  // the module, without a message).
  EXPECT_GE(onnx_ok, 21);
  EXPECT_GE(tf_ok, 16);
}

// The conv nets whose input is an image, taken NCHW: no Transpose at all.
TEST(OnnxCorpus, ConvNetsWithNchwInputsHaveNoTranspose) {
  TFPROD_REQUIRE_CORPUS();
  int four_d = 0;
  for (const char* path : {"anpr_estimator", "lenet_saver_tf20_compat", "keras_tf1_lenet_saver_and_frozen",
                           "keras_mnist_savedmodel_tf210", "bn_dropout_saver_tf113"}) {
    SCOPED_TRACE(path);
    ExportOptions options;
    options.source = test::corpus_dir() / path;
    PreparedExport probe = prepare_export([&] {
      ExportOptions o = options;
      o.format = ModelFormat::kOnnx;
      return o;
    }());
    ASSERT_EQ(probe.report.inputs.size(), 1u);
    const Node* input = probe.model.find(probe.report.inputs[0]);
    ASSERT_NE(input, nullptr);
    if (input->attr("shape")->shape().dim_size() != 4) {
      std::printf("%s: its input %s is not 4-D (reshaped inside): no NCHW form\n", path,
                  probe.report.inputs[0].c_str());
      continue;
    }
    ++four_d;
    options.onnx.inputs_as_nchw = probe.report.inputs;
    const fs::path out = test::scratch_dir() / "nchw.onnx";
    ExportReport report = export_model(options, out);
    ASSERT_TRUE(report.failure.empty()) << report.failure;
    EXPECT_TRUE(report.verified);
    EXPECT_EQ(report.onnx_transposes, 0u);
    const OnnxFileInfo info = read_onnx_info(out);
    ASSERT_EQ(info.input_shapes.size(), 1u);
    EXPECT_EQ(info.input_shapes[0].size(), 4u);
    EXPECT_EQ(info.transposes, 0u);
  }
  EXPECT_GE(four_d, 2);  // anpr and the Keras lenet take images
}

}  // namespace
}  // namespace tfprod
