// OpenCV-compatibility passes (opencv_*): each rewrite's graph before and
// after, the evaluator's numbers before and after, and the opencv_extra nets
// that OpenCV 4.6 mis-imports: after the passes, OpenCV's output equals TF's
// recorded output, or the pre-flight check says why it cannot.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "eval/tensor_util.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/eval.h"
#include "tfprod/verify.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;
namespace fs = std::filesystem;

Tensor nchw_to_nhwc(const Tensor& t) {
  if (t.shape.size() != 4) return t;
  Tensor f = eval::cast(t, tensorflow::DT_FLOAT);
  Tensor out = f;
  int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  out.shape = {n, h, w, c};
  auto in = eval::values<float>(f);
  float* o = reinterpret_cast<float*>(out.data.data());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) o[((a * h + y) * w + x) * c + b] = in[((a * c + b) * h + y) * w + x];
  return out;
}

// max |a - b| / max(1, max |b|); infinity on a shape mismatch.
double scaled_diff(const Tensor& a, const Tensor& b) {
  if (a.num_elements() != b.num_elements()) return INFINITY;
  Tensor x = eval::cast(a, tensorflow::DT_DOUBLE), y = eval::cast(b, tensorflow::DT_DOUBLE);
  auto xv = eval::values<double>(x), yv = eval::values<double>(y);
  double diff = 0, scale = 1;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    diff = std::max(diff, std::abs(xv[i] - yv[i]));
    scale = std::max(scale, std::abs(yv[i]));
  }
  return diff / scale;
}

Graph load_graph(const fs::path& path) {
  ModelFile f = load_model_file(path);
  return Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), path.string());
}

void save_graph(const Graph& g, const fs::path& path) {
  std::ofstream(path, std::ios::binary) << g.to_graphdef().SerializeAsString();
}

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
      if (n->attr("dtype") && n->attr("dtype")->type() == tensorflow::DT_BOOL) {
        Tensor f{tensorflow::DT_BOOL, {}, std::string(1, '\0'), {}};
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

// x:half -> Conv2D(x, w:half) -> Cast[half->float] -> out
const char* kHalf = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 4 } dim { size: 4 } dim { size: 2 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "value" value { tensor { dtype: DT_HALF tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: 3 } }
                                            half_val: 15360 half_val: 14336 half_val: 48128 half_val: 16384 half_val: 13312 half_val: 15360 } } } }
node { name: "conv" op: "Conv2D" input: "x" input: "w" attr { key: "T" value { type: DT_HALF } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: "padding" value { s: "VALID" } } }
node { name: "cast" op: "Cast" input: "conv" attr { key: "SrcT" value { type: DT_HALF } } attr { key: "DstT" value { type: DT_FLOAT } } }
node { name: "out" op: "Relu" input: "cast" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(OpenCvCompat, FloatWeightsWidensHalfAndDropsCasts) {
  Graph before = parse_graph(kHalf);
  Graph after = apply_transforms(before, "opencv_float_weights", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [1,1,2,3]]()\n"
            "conv = Conv2D(x, w)\n"
            "out = Relu(conv)\n");
  EXPECT_EQ(after.find("x")->attr("dtype")->type(), tensorflow::DT_FLOAT);
  EXPECT_EQ(after.find("conv")->attr("T")->type(), tensorflow::DT_FLOAT);
  // The weights are exact in half: same numbers up to half rounding of activations.
  auto feeds = random_feeds(before, {"out"});
  auto float_feeds = feeds;
  for (auto& [n, t] : float_feeds) t = eval::to_float32(t);
  Evaluator a(before), b(after);
  Tensor ya = eval::to_float32(a.run(feeds, {"out"})[0]), yb = b.run(float_feeds, {"out"})[0];
  EXPECT_LT(scaled_diff(yb, ya), 2e-3);
}

// w -> Identity -> Identity -> Conv2D; b:half -> Cast -> BiasAdd
const char* kWrapped = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 3 } dim { size: 3 } dim { size: 2 } } } } }
node { name: "w" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: 2 } }
                                            float_val: 1 float_val: -2 float_val: 0.5 float_val: 3 } } } }
node { name: "w/read" op: "Identity" input: "w" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "w/read2" op: "Identity" input: "w/read" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "b" op: "Const" attr { key: "dtype" value { type: DT_HALF } }
       attr { key: "value" value { tensor { dtype: DT_HALF tensor_shape { dim { size: 2 } } half_val: 15360 half_val: 48128 } } } }
node { name: "b/cast" op: "Cast" input: "b" attr { key: "SrcT" value { type: DT_HALF } } attr { key: "DstT" value { type: DT_FLOAT } } }
node { name: "conv" op: "Conv2D" input: "x" input: "w/read2" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } } attr { key: "padding" value { s: "VALID" } } }
node { name: "out" op: "BiasAdd" input: "conv" input: "b/cast" attr { key: "T" value { type: DT_FLOAT } } }
)";

TEST(OpenCvCompat, ConstWeightsSplicesIdentityAndFoldsCast) {
  Graph before = parse_graph(kWrapped);
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_const_weights"), std::string::npos);
  Graph after = apply_transforms(before, "opencv_const_weights", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [1,1,2,2]]()\n"
            "b/cast = Const[DT_FLOAT [2]]()\n"
            "conv = Conv2D(x, w)\n"
            "out = BiasAdd(conv, b/cast)\n");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_EQ(opencv_preflight(after).size(), 0u) << preflight_text(opencv_preflight(after));
}

// Keras Flatten with an extra node in the shape arithmetic: Shape -> StridedSlice -> Prod -> Pack(-1?)
const char* kFlatten = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 3 } dim { size: 4 } } } } }
node { name: "relu" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "shape" op: "Shape" input: "relu" attr { key: "T" value { type: DT_FLOAT } } attr { key: "out_type" value { type: DT_INT32 } } }
node { name: "two" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 2 } } } }
node { name: "mul" op: "Mul" input: "shape" input: "two" attr { key: "T" value { type: DT_INT32 } } }
node { name: "half" op: "FloorDiv" input: "mul" input: "two" attr { key: "T" value { type: DT_INT32 } } }
node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 0 } } } }
node { name: "prod" op: "Prod" input: "half" input: "axis" attr { key: "T" value { type: DT_INT32 } } attr { key: "Tidx" value { type: DT_INT32 } } attr { key: "keep_dims" value { b: true } } }
node { name: "one" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 1 } } } }
node { name: "newshape" op: "ConcatV2" input: "one" input: "prod" input: "axis" attr { key: "T" value { type: DT_INT32 } } attr { key: "N" value { i: 2 } } attr { key: "Tidx" value { type: DT_INT32 } } }
node { name: "out" op: "Reshape" input: "relu" input: "newshape" attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tshape" value { type: DT_INT32 } } }
)";

TEST(OpenCvCompat, FoldShapesMakesReshapeShapesConst) {
  Graph before = parse_graph(kFlatten);
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_fold_shapes"), std::string::npos)
      << preflight_text(opencv_preflight(before));
  Graph after = apply_transforms(before, "opencv_fold_shapes", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "relu = Relu(x)\n"
            "newshape = Const[DT_INT32 [2]]()\n"
            "out = Reshape(relu, newshape)\n")
      << graph_text(after);
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_EQ(opencv_preflight(after).size(), 0u) << preflight_text(opencv_preflight(after));
}

TEST(OpenCvCompat, StripAttrsDropsTypesOpenCvCannotParse) {
  Graph before = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "_output_shapes" value { list { shape { dim { size: 2 } } } } }
       attr { key: "shape" value { shape { dim { size: 2 } } } } }
node { name: "out" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "Tresource" value { type: DT_RESOURCE } } attr { key: "Tlist" value { list { type: DT_FLOAT type: DT_VARIANT } } } }
)");
  EXPECT_NE(preflight_text(opencv_preflight(before)).find("run opencv_strip_attrs"), std::string::npos);
  Graph after = apply_transforms(before, "opencv_strip_attrs", {"x"}, {"out"});
  EXPECT_EQ(after.find("x")->attr("_output_shapes"), nullptr);
  EXPECT_NE(after.find("x")->attr("shape"), nullptr);
  EXPECT_EQ(after.find("out")->attrs().size(), 1);
  EXPECT_EQ(after.find("out")->attrs().Get(0).key(), "T");
  expect_same_outputs(before, after, {"out"}, random_feeds(before, {"out"}));
  EXPECT_TRUE(opencv_preflight(after).empty());
}

TEST(OpenCvCompat, PreflightNamesDropoutAndUnknownOps) {
  Graph g = parse_graph(R"(
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 2 } } } }
node { name: "r" op: "RandomUniform" input: "s" attr { key: "T" value { type: DT_INT32 } } attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "e" op: "Erf" input: "r" attr { key: "T" value { type: DT_FLOAT } } }
)");
  std::string text = preflight_text(opencv_preflight(g));
  EXPECT_NE(text.find("r (RandomUniform): dropout left in the graph; run remove_dropout"), std::string::npos) << text;
  EXPECT_NE(text.find("e (Erf): OpenCV 4.6 has no importer for Erf"), std::string::npos) << text;
}

// x[1,2,3,4] -> Relu -> Reshape([1,24]): OpenCV cannot tell the layout.
const char* kPlainFlatten = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } dim { size: 3 } dim { size: 4 } } } } }
node { name: "relu" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 1 int_val: 24 } } } }
node { name: "out" op: "Reshape" input: "relu" input: "s" attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tshape" value { type: DT_INT32 } } }
)";

TEST(OpenCvCompat, ReshapeLayoutMakesOpenCvFlattenInNhwcOrder) {
  Graph before = parse_graph(kPlainFlatten);
  Graph after = apply_transforms(before, "opencv_reshape_layout", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "relu = Relu(x)\n"
            "s = Const[DT_INT32 [2]]()\n"
            "out = Reshape(out/opencv_nhwc, s)\n"
            "out/opencv_nhwc/zeros = Const[DT_FLOAT [4]]()\n"
            "out/opencv_nhwc = BiasAdd(relu, out/opencv_nhwc/zeros)\n");
  auto feeds = random_feeds(before, {"out"});
  expect_same_outputs(before, after, {"out"}, feeds, 0);
  // OpenCV: wrong order before, TF's order after.
  fs::path dir = scratch_dir();
  save_graph(before, dir / "before.pb");
  save_graph(after, dir / "after.pb");
  VerifyOptions options;
  options.feeds = feeds;
  options.outputs = {"out"};
  EXPECT_FALSE(verify_model(dir / "before.pb", &before, options).ok());
  VerifyReport report = verify_model(dir / "after.pb", &before, options);
  EXPECT_TRUE(report.ok()) << report.opencv_error << report.table();
}

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
// on the 2-D blob ("permute_layer ... _numAxes == inputs[0].size()").
TEST(OpenCvCompat, PreflightFlagsReshapeTo4dOfUnknownLayout) {
  Graph g = parse_graph(R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 4 } } int_val: 1 int_val: 2 int_val: 3 int_val: 2 } } } }
node { name: "r" op: "Reshape" input: "x" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
)");
  std::string text = preflight_text(opencv_preflight(g));
  EXPECT_NE(text.find("r (Reshape): Reshape to a 4-D NHWC shape: OpenCV 4.6 reads it as NCHW"),
            std::string::npos)
      << text;
}

TEST(OpenCvCompat, PreflightCommandListsNodesAndExitCode) {
  TFPROD_REQUIRE_CORPUS();
  auto r = run(tool("tfprod").string() + " preflight " +
               (corpus_dir() / "anpr_estimator/frozen_cut_graph_opt.pb").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("dropout/dropout/random_uniform/RandomUniform (RandomUniform): dropout left in the graph; "
                          "run remove_dropout"),
            std::string::npos)
      << r.output;
  r = run(tool("tfprod").string() + " preflight " + (corpus_dir() / "opencv_extra_tf/single_conv_net.pb").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("should import all"), std::string::npos) << r.output;
}

const char* kOpenCvPipeline =
    "strip_unused_nodes remove_dropout opencv_float_weights opencv_const_weights opencv_fold_shapes opencv_reshape_layout "
    "opencv_strip_attrs";

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
      if (n->op == "Placeholder" && n->attr("dtype")->type() == tensorflow::DT_BOOL)
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
