// OpenCV-compatibility passes on corpus nets: the opencv_extra nets OpenCV
// 4.6 mis-imports (after the passes OpenCV's output equals TF's recorded
// output, or the pre-flight check says why not; prints a table), anpr's
// optimized graph, and `tfprod preflight`.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "tfprod/tensor_values.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/eval.h"
#include "tfprod/verify.h"
#include "opencv_compat_support.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

struct CvResult {
  std::string error;
  double diff = INFINITY;
  double tol = 1e-4;
  std::string text() const {
    if (!error.empty()) return "error: " + error.substr(0, 60);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.2e", diff <= tol ? "ok" : "MISMATCH", diff);
    return buf;
  }
};

// Runs `model` in OpenCV on NAME_in.npy and compares with NAME_out.npy.
CvResult run_case(const fs::path& model, const Graph& g, const std::string& name, const std::string& output) {
  fs::path dir = corpus_dir() / "opencv_extra_tf";
  Tensor in = nchw_to_nhwc(read_npy(dir / (name + "_in.npy")));
  Tensor want = nchw_to_nhwc(read_npy(dir / (name + "_out.npy")));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const Node* n : g.nodes())
    if (n->op == "Placeholder") {
      if (n->attr("dtype") && n->attr("dtype")->type() == tfprod::tf::DT_BOOL) {
        Tensor f{tfprod::tf::DT_BOOL, {}, std::string(1, '\0'), {}};
        feeds.emplace_back(n->name(), f);
      } else {
        feeds.emplace_back(n->name(), in);
      }
    }
  // OpenCV fuses a trailing Add / BiasAdd / batch norm into the layer before:
  // read the output under the producers' names too.
  std::vector<std::string> names{output};
  for (const Node* n = g.find(output); n && !n->inputs.empty() && names.size() < 4; n = n->inputs[0].node)
    names.push_back(n->inputs[0].node->name());
  OpenCvRun run = run_in_opencv(model, feeds, {names}, true);
  CvResult r;
  r.error = run.error;
  if (r.error.empty()) r.diff = scaled_diff(run.outputs.at(0), want);
  return r;
}

struct Case {
  std::string name, input, output;
};

const std::vector<Case> kCases = {
    {"flatten", "input_2", "Flatten/Reshape"},
    {"unfused_flatten", "input", "Flatten/flatten/Reshape"},
    {"reshape_no_reorder", "input", "reshaped"},
    {"reshape_reduce", "input_24", "Reshape"},
    {"nhwc_reshape_matmul", "input", "add"},
    {"batch_norm_text", "input_1", "batch_norm/batchnorm/add_1"},
    {"lstm", "input", "Sigmoid"},
    {"fp16_single_conv", "input_9", "conv2d_10/Relu"},
    {"fp16_max_pool_even", "input_14", "max_pooling2d_4/MaxPool"},
    {"fp16_padding_same", "input_10", "Abs_1"},
    {"keras_mobilenet_head", "keras_mobilenet_head_conv_input", "keras_mobilenet_head_reshape/Reshape"},
    {"keras_deconv_same", "keras_deconv_same_input", "keras_deconv_same/BiasAdd"},
    {"concat_axis_1", "input", "BiasAdd/BiasAdd"},
    {"unfused_batch_norm", "input", "unfused_batch_norm/batchnorm/add_1"},
};

// anpr_estimator: TF's own optimized graph (half weights, dropout, a float
// placeholder feeding half ops) loads in OpenCV and matches the evaluator.
TEST(OpenCvCompat, AnprOptimizedGraphRunsInOpenCv) {
  TFPROD_REQUIRE_CORPUS();
  fs::path model = corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb";
  Graph g = load_graph(model);
  EXPECT_NE(opencv_import_error(model).empty() && opencv_preflight(g).empty(), true);
  Graph after = apply_transforms(g,
                                 "strip_unused_nodes(type=float, shape=\"1,20,20,1\") remove_dropout "
                                 "opencv_float_weights opencv_const_weights opencv_fold_shapes "
                                 "opencv_reshape_layout opencv_strip_attrs",
                                 {"IteratorGetNext"}, {"softmax_tensor"});
  EXPECT_TRUE(opencv_preflight(after).empty()) << preflight_text(opencv_preflight(after));
  fs::path out = scratch_dir() / "anpr.pb";
  save_graph(after, out);
  VerifyOptions options;
  options.outputs = {"dense/Relu", "dense_1/BiasAdd", "softmax_tensor"};
  VerifyReport report = verify_model(out, &after, options);
  EXPECT_TRUE(report.ok()) << report.opencv_error << report.table();
  std::cout << report.table();
}

// x[1,12] -> Reshape([1,2,3,2]) -> Conv2D: OpenCV 4.6 inserts an NHWC permute

TEST(OpenCvCompat, PreflightCommandListsNodesAndExitCode) {
  TFPROD_REQUIRE_CORPUS();
  auto r = run(tool("tfprod").string() + " preflight " +
               (corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb").string());
  EXPECT_EQ(r.exit_code, 3) << r.output;  // checked and found wrong
  EXPECT_NE(r.output.find("dropout/dropout/random_uniform/RandomUniform (RandomUniform): dropout left in the graph; "
                          "run remove_dropout"),
            std::string::npos)
      << r.output;
  r = run(tool("tfprod").string() + " preflight " + (corpus_dir() / "opencv_extra_tf/single_conv_net.pb").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("should import all"), std::string::npos) << r.output;
}

const char* kOpenCvPipeline =
    "strip_unused_nodes remove_dropout opencv_float_weights opencv_const_weights opencv_fold_shapes "
    "opencv_resolve_select opencv_fold_shapes opencv_reshape_layout opencv_strip_attrs";

// opencv_extra nets: OpenCV on the original, then on the passes' output,
// against TF's recorded output.
TEST(OpenCvCompat, OpencvExtraNetsAfterPasses) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = corpus_dir() / "opencv_extra_tf";
  fs::path scratch = scratch_dir();
  std::ostringstream table;
  table << "(fp16_*: TF's reference is half precision; tolerance 2e-3)\n"
        << "net                  | OpenCV 4.6 as is         | after opencv_* passes    | pre-flight\n";
  for (const auto& c : kCases) {
    fs::path pb = dir / (c.name + "_net.pb");
    Graph g = load_graph(pb);
    CvResult before = run_case(pb, g, c.name, c.output);
    // fp16 nets: TF computed the reference in half precision.
    bool fp16 = c.name.starts_with("fp16_");
    before.tol = fp16 ? 2e-3 : 1e-4;
    // Training flags (bool placeholders) are set to false; the rest are inputs.
    std::vector<std::string> inputs;
    std::string pipeline = kOpenCvPipeline;
    for (const Node* n : g.nodes())
      if (n->op == "Placeholder" && n->attr("dtype")->type() == tfprod::tf::DT_BOOL)
        pipeline = "placeholders_to_const(names=" + n->name() + ") " + pipeline;
      else if (n->op == "Placeholder")
        inputs.push_back(n->name());
    Graph after = apply_transforms(g, pipeline, inputs, {c.output});
    fs::path out = scratch / (c.name + ".pb");
    save_graph(after, out);
    CvResult now = run_case(out, after, c.name, c.output);
    now.tol = before.tol;
    auto issues = opencv_preflight(after);
    std::string why = issues.empty() ? "-" : issues[0].node + " (" + issues[0].op + "): " + issues[0].hint;
    char line[512];
    std::snprintf(line, sizeof line, "%-20s | %-24s | %-24s | %s\n", c.name.c_str(), before.text().substr(0, 24).c_str(),
                  now.text().substr(0, 24).c_str(), why.c_str());
    table << line;
    bool ok = now.error.empty() && now.diff <= now.tol;
    EXPECT_TRUE(ok || !issues.empty()) << c.name << ": " << now.text();
  }
  std::cout << table.str();
}

}  // namespace
}  // namespace tfprod
