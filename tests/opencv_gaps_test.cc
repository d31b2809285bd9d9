// Issue 14's TF-path gaps, each on a small graph (or the corpus net that
// showed it): checkpoint state naming files that are gone, scalar inputs,
// control inputs, tolerance by weight dtype, the body-less Defun Dropout,
// float placeholders in half graphs, and the OpenCV passes (Tile, Div,
// Mean/Sum, Unpack, MVN batch norm, Const order, fused output names). Every
// rewrite is checked by the evaluator before/after; where the item is about
// OpenCV, OpenCV 4.6 loads the export and matches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "graph_text_support.h"
#include "opencv_compat_support.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/export.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using test::node;
using test::shaped_placeholder;

void make_bundle(const fs::path& prefix, int64_t step) {
  Tensor t;
  t.dtype = tfprod::tf::DT_INT64;
  t.data.assign(reinterpret_cast<const char*>(&step), sizeof step);
  BundleWriter writer(prefix.string());
  writer.add("step", t);
  writer.finish();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// --- checkpoint state -------------------------------------------------------

TEST(CheckpointStateFallback, RenamedFilesUseTheNewestOnDiskNamingBoth) {
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "model.ckpt", 7);  // the user renamed model.ckpt-5000.* to model.ckpt.*
  std::ofstream(dir / "checkpoint") << "model_checkpoint_path: \"model.ckpt-5000\"\n"
                                       "all_model_checkpoint_paths: \"model.ckpt-5000\"\n";
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt").string());
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("model.ckpt-5000"), std::string::npos) << r.notes[0];
  EXPECT_NE(r.notes[0].find((dir / "model.ckpt").string()), std::string::npos) << r.notes[0];
}

TEST(CheckpointStateFallback, LatestFileTimeAmongRenamedAndOlderStepsStillRefused) {
  // Two series renamed (a-9 -> a, b-9 -> b): the later file wins.
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "a", 1);
  make_bundle(dir / "b", 2);
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(dir / "a.index", now - std::chrono::hours(1));
  fs::last_write_time(dir / "b.index", now - std::chrono::hours(2));
  std::ofstream(dir / "checkpoint") << "model_checkpoint_path: \"a-9\"\nall_model_checkpoint_paths: \"b-9\"\n";
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "a").string());
  EXPECT_NE(joined(r.notes).find("latest file time"), std::string::npos) << joined(r.notes);
  fs::last_write_time(dir / "b.index", now);
  EXPECT_EQ(resolve_checkpoint(dir).prefix, (dir / "b").string());

  // An older step the state file does not list is not a rename: refused.
  const fs::path d2 = test::scratch_dir() / "older";
  fs::create_directories(d2);
  make_bundle(d2 / "model.ckpt-30", 30);
  std::ofstream(d2 / "checkpoint") << "model_checkpoint_path: \"model.ckpt-900\"\n";
  EXPECT_THROW(resolve_checkpoint(d2), Error);
}

TEST(CheckpointStateFallback, CheckpointFlagStillWins) {
  fs::path dir = test::scratch_dir();
  const std::string graph = shaped_placeholder("x", {1, 2}) +
                            node("v", "VariableV2", {},
                                 "attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'shape' value { shape { "
                                 "dim { size: 2 } } } }") +
                            node("v/read", "Identity", {"v"}) + node("y", "Mul", {"x", "v/read"});
  std::ofstream(dir / "graph.pbtxt") << graph;
  for (auto [name, value] : {std::pair{"model.ckpt", 1.0f}, std::pair{"other", 3.0f}}) {
    Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, {2});
    for (float& f : eval::values<float>(t)) f = value;
    BundleWriter writer((dir / name).string());
    writer.add("v", t);
    writer.finish();
  }
  std::ofstream(dir / "checkpoint") << "model_checkpoint_path: \"model.ckpt-99\"\n";
  auto auto_pick = test::run("'" + test::tool("tfprod").string() + "' run . --output y --input x:float:1,2 "
                             "--out-dir a", dir);
  auto flag = test::run("'" + test::tool("tfprod").string() + "' run . --checkpoint other --output y "
                        "--input x:float:1,2 --out-dir b", dir);
  ASSERT_EQ(auto_pick.exit_code, 0) << auto_pick.output;
  ASSERT_EQ(flag.exit_code, 0) << flag.output;
  EXPECT_NE(auto_pick.output.find("model.ckpt-99"), std::string::npos) << auto_pick.output;  // the warning
  EXPECT_NE(flag.output.find("other"), std::string::npos) << flag.output;
  Tensor a = read_npy(dir / "a" / "y.npy"), b = read_npy(dir / "b" / "y.npy");
  Tensor x = eval::cast(a, tfprod::tf::DT_FLOAT), y = eval::cast(b, tfprod::tf::DT_FLOAT);
  // Same seeded x: the outputs differ by the weights, 3 / 1.
  for (std::size_t i = 0; i < 2; ++i)
    if (eval::values<float>(x)[i] != 0) {
      EXPECT_FLOAT_EQ(eval::values<float>(y)[i] / eval::values<float>(x)[i], 3.0f);
    }
}

// --- export: scalar input, control inputs, tolerance ------------------------

ExportReport export_text(const std::string& pbtxt, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, fs::path* model = nullptr, double tolerance = 0) {
  fs::path dir = test::scratch_dir();
  std::ofstream(dir / "g.pbtxt") << pbtxt;
  ExportOptions options;
  options.source = dir / "g.pbtxt";
  for (const auto& i : inputs) options.inputs.push_back(InputSpec::parse(i));
  options.outputs = outputs;
  options.tolerance = tolerance;
  if (model) *model = dir / "model.pb";
  return export_model(options, dir / "model.pb");
}

TEST(ExportGaps, ScalarPlaceholderIsAKnownShape) {
  const std::string g = "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } "
                        "attr { key: 'shape' value { shape { } } } }\n"
                        "node { name: 'c' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: "
                        "'value' value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 2 } } } }\n" +
                        node("y", "Mul", {"x", "c"});
  ExportReport r = export_text(g, {}, {"y"});
  EXPECT_EQ(r.failure.find("no known shape"), std::string::npos) << r.failure;
  ASSERT_EQ(r.inputs, std::vector<std::string>{"x"}) << joined(r.choices) << r.failure;
  EXPECT_NE(joined(r.choices).find("scalar"), std::string::npos) << joined(r.choices);
}

std::string vec(const std::string& name, int n, float v) {
  std::string vals;
  for (int i = 0; i < n; ++i) vals += " float_val: " + std::to_string(v + 0.1f * static_cast<float>(i));
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' "
         "value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: " + std::to_string(n) + " } }" + vals +
         " } } } }\n";
}

std::string conv_prefix(int channels_out = 3) {
  std::string w;
  for (int i = 0; i < 2 * channels_out; ++i) w += " float_val: " + std::to_string(0.25f * static_cast<float>(i % 5) - 0.5f);
  return shaped_placeholder("x", {1, 4, 5, 2}) +
         "node { name: 'w' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { "
         "tensor { dtype: DT_FLOAT tensor_shape { dim { size: 1 } dim { size: 1 } dim { size: 2 } dim { size: " +
         std::to_string(channels_out) + " } }" + w + " } } } }\n" +
         node("conv", "Conv2D", {"x", "w"},
              "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } "
              "} attr { key: 'padding' value { s: 'SAME' } } attr { key: 'data_format' value { s: 'NHWC' } }");
}

TEST(ExportGaps, NoControlInputReachesOpenCv) {
  const std::string bn_attrs =
      "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'U' value { type: DT_FLOAT } } attr { key: 'epsilon' "
      "value { f: 0.001 } } attr { key: 'is_training' value { b: false } } attr { key: 'data_format' value { s: 'NHWC' "
      "} }";
  const std::string g = conv_prefix() + vec("gamma", 3, 1) + vec("beta", 3, 0.1f) + vec("mean", 3, 0.2f) +
                        vec("var", 3, 1.5f) + node("init", "NoOp", {}, "") +
                        node("bn", "FusedBatchNormV3", {"conv", "gamma", "beta", "mean", "var", "^init"}, bn_attrs) +
                        node("y", "Relu", {"bn"});
  Graph before = test::parse_graph(g);
  auto issues = opencv_preflight(before);
  EXPECT_NE(preflight_text(issues).find("bn (FusedBatchNormV3): control input ^init"), std::string::npos)
      << preflight_text(issues);
  Graph after = test::apply_transforms(before, "opencv_drop_control_inputs", {"x"}, {"y"});
  for (const Node* n : after.nodes()) EXPECT_TRUE(n->control_inputs.empty()) << n->name();
  EXPECT_EQ(after.find("init"), nullptr);
  test::expect_same_outputs(before, after, {"y"}, test::random_feeds(before, {"y"}), 0);
  // In OpenCV: a control input on the Relu after a convolution.
  const std::string relu = conv_prefix() + node("init", "NoOp", {}, "") + node("y", "Relu", {"conv", "^init"});
  fs::path model;
  ExportReport r = export_text(relu, {"x"}, {"y"}, &model);
  ASSERT_TRUE(r.verified) << r.failure;
  Graph written = test::load_graph(model);
  for (const Node* n : written.nodes()) EXPECT_TRUE(n->control_inputs.empty()) << n->name();
  EXPECT_EQ(written.find("init"), nullptr);
}

std::string half_graph() {
  return "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_HALF } } attr { key: 'shape' value "
         "{ shape { dim { size: 1 } dim { size: 64 } } } } }\n"
         "node { name: 'w' op: 'Const' attr { key: 'dtype' value { type: DT_HALF } } attr { key: 'value' value { "
         "tensor { dtype: DT_HALF tensor_shape { dim { size: 64 } dim { size: 4 } } half_val: 15360 } } } }\n" +
         node("mm", "MatMul", {"x", "w"}, "attr { key: 'T' value { type: DT_HALF } }") +
         node("y", "Relu", {"mm"}, "attr { key: 'T' value { type: DT_HALF } }");
}

TEST(ExportGaps, ToleranceFollowsTheWeightsDtypeAndTheReportSaysWhich) {
  ExportReport half = export_text(half_graph(), {"x"}, {"y"});
  EXPECT_EQ(half.tolerance, kHalfTolerance);
  EXPECT_EQ(half.tolerance_why, "half weights");
  EXPECT_NE(half.text().find("half weights"), std::string::npos) << half.text();
  EXPECT_NE(half.json().find("\"tolerance_from\": \"half weights\""), std::string::npos) << half.json();
  ExportReport single = export_text(conv_prefix() + node("y", "Relu", {"conv"}), {"x"}, {"y"});
  EXPECT_EQ(single.tolerance, kFloatTolerance);
  EXPECT_EQ(single.tolerance_why, "float weights");
  ExportReport given = export_text(conv_prefix() + node("y", "Relu", {"conv"}), {"x"}, {"y"}, nullptr, 3e-3);
  EXPECT_EQ(given.tolerance, 3e-3);
  EXPECT_EQ(given.tolerance_why, "--tolerance");
}

TEST(EvalGaps, FloatPlaceholderInAHalfGraphNamesBothDtypes) {
  const std::string g = shaped_placeholder("x", {1, 4}) +
                        "node { name: 'c' op: 'Const' attr { key: 'dtype' value { type: DT_HALF } } attr { key: "
                        "'value' value { tensor { dtype: DT_HALF tensor_shape { dim { size: 4 } } half_val: 15360 } } "
                        "} }\n" +
                        node("y", "AddV2", {"x", "c"}, "attr { key: 'T' value { type: DT_HALF } }");
  Graph graph = test::parse_graph(g);
  Evaluator evaluator(graph);
  try {
    evaluator.run(test::random_feeds(graph, {"y"}), {"y"});
    ADD_FAILURE() << "a float placeholder read as half: expected a refusal";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("placeholder 'x' is DT_FLOAT"), std::string::npos) << msg;
    EXPECT_NE(msg.find("DT_HALF"), std::string::npos) << msg;
  }
}

// --- the Defun Dropout (opencv_extra's defun_dropout) ------------------------

TEST(DefunDropout, RunTreatsItAsIdentityAndSaysSo) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "opencv_extra_tf";
  Graph g = test::load_graph(dir / "defun_dropout_net.pb");
  Tensor in = test::nchw_to_nhwc(read_npy(dir / "defun_dropout_in.npy"));
  Tensor want = test::nchw_to_nhwc(read_npy(dir / "defun_dropout_out.npy"));
  Tensor flag{tfprod::tf::DT_BOOL, {}, std::string(1, '\1'), {}};  // even "training": no body to run
  Evaluator evaluator(g);
  std::vector<Tensor> got = evaluator.run({{"input", in}, {"isTraining", flag}}, {"Relu"});
  EXPECT_LT(test::scaled_diff(got[0], want), 1e-5);

  fs::path scratch = test::scratch_dir();
  write_npy(scratch / "in.npy", in);
  write_npy(scratch / "flag.npy", Tensor{tfprod::tf::DT_BOOL, {}, std::string(1, '\0'), {}});
  auto r = test::run("'" + test::tool("tfprod").string() + "' run '" + (dir / "defun_dropout_net.pb").string() +
                         "' --output Relu --feed input=in.npy --feed isTraining=flag.npy --out-dir out",
                     scratch);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("tfprod: note: node 'Dropout' (op Dropout) is a Defun with no body"), std::string::npos)
      << r.output;
}

TEST(DefunDropout, ExportLeavesNoIsTrainingInput) {
  TFPROD_REQUIRE_CORPUS();
  fs::path out = test::scratch_dir() / "dd.pb";
  ExportOptions options;
  options.source = test::corpus_dir() / "opencv_extra_tf/defun_dropout_net.pb";
  options.inputs = {InputSpec::parse("input::1,10,10,3")};
  options.outputs = {"Relu"};
  ExportReport r = export_model(options, out);
  ASSERT_TRUE(r.verified) << r.failure;
  EXPECT_EQ(r.inputs, std::vector<std::string>{"input"});
  Graph model = test::load_graph(out);
  EXPECT_EQ(model.find("isTraining"), nullptr);
  EXPECT_EQ(model.find("Dropout"), nullptr);
}

}  // namespace
}  // namespace tfprod
