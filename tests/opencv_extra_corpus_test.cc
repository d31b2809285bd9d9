// OpenCV's own TF test nets (corpus/opencv_extra_tf, MANIFEST.md): OpenCV
// 4.6 alone, fed as OpenCV's tests feed them (the NCHW blob of NAME_in.npy,
// compared with NAME_out.npy), against the same after `tfprod export`.
// Export is never worse than OpenCV alone. Then the pre-flight's verdict
// against OpenCV 4.6 actually loading and matching, over every opencv_extra
// net (raw and exported) and every users' frozen graph (cut, and after the
// export preset): the confusion table, with no false "OK".
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <regex>

#include "opencv_compat_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/presets.h"
#include "tfprod/verify.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

struct Net {
  std::string name;
  std::vector<std::string> inputs;
  std::string output;
};

// The table rows of MANIFEST.md: name and "`in1,in2` -> `output`".
std::vector<Net> manifest_nets(const fs::path& dir) {
  std::ifstream in(dir / "MANIFEST.md");
  std::string line;
  std::vector<Net> nets;
  static const std::regex row(R"(^\| ([a-z0-9_]+) \|.*\| `([^`]+)` -> `([^`]+)` \|)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    Net net{m[1], {}, m[3]};
    std::string ins = m[2];
    for (std::size_t start = 0; start <= ins.size();) {
      std::size_t comma = std::min(ins.find(',', start), ins.size());
      net.inputs.push_back(ins.substr(start, comma - start));
      start = comma + 1;
    }
    nets.push_back(std::move(net));
  }
  return nets;
}

struct Outcome {
  bool ok = false;
  std::string text;
};

// OpenCV on `model` fed the raw NAME_in.npy blob (bool placeholders unset),
// against NAME_out.npy. Output names: the output, then the layers OpenCV
// names fused or spliced outputs after (producers through Identity/BiasAdd,
// the inputs of a fused Maximum/Minimum).
Outcome run_net(const fs::path& model, const Graph& g, const fs::path& dir, const std::string& name,
                const std::vector<std::string>& inputs, const std::string& output) {
  Tensor in = read_npy(dir / (name + "_in.npy"));
  Tensor want = read_npy(dir / (name + "_out.npy"));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& i : inputs) {
    const Node* p = g.find(i);
    if (!p) continue;
    // OpenCV's tests set one blob: a training flag is left unset.
    if (!(p->attr("dtype") && p->attr("dtype")->type() == tfprod::tf::DT_BOOL)) feeds.emplace_back(i, in);
  }
  std::vector<std::string> names{output};
  if (const Node* n = g.find(output)) {
    for (const auto& i : n->inputs)
      if ((n->op == "Maximum" || n->op == "Minimum") && i.node->op != "Const") names.push_back(i.node->name());
    for (; n && !n->inputs.empty() && names.size() < 8; n = n->inputs[0].node) names.push_back(n->inputs[0].node->name());
  }
  OpenCvRun run = run_in_opencv(model, feeds, {names}, false);
  if (!run.error.empty()) return {false, "error: " + run.error.substr(0, 70)};
  const double tol = name.starts_with("fp16_") ? 2e-3 : 1e-4;  // TF's reference is half there
  const double diff = test::scaled_diff(run.outputs.at(0), want);
  std::replace(names.begin(), names.end(), std::string(), std::string("-"));
  return {diff <= tol, fmt::format("{} {:.1e}", diff <= tol ? "ok" : "MISMATCH", diff)};
}

struct Confusion {
  int true_ok = 0, false_ok = 0, true_blocked = 0, false_blocked = 0;
  std::vector<std::string> false_oks;
  void add(const std::string& what, bool preflight_ok, bool works) {
    if (preflight_ok && works) ++true_ok;
    if (preflight_ok && !works) {
      ++false_ok;
      false_oks.push_back(what);
    }
    if (!preflight_ok && !works) ++true_blocked;
    if (!preflight_ok && works) ++false_blocked;
  }
  void print(const std::string& title) const {
    std::printf("%s\n                     OpenCV works   OpenCV fails\n", title.c_str());
    std::printf("pre-flight OK        %12d   %12d (false OK)\n", true_ok, false_ok);
    std::printf("pre-flight blocks    %12d   %12d\n", false_blocked, true_blocked);
  }
};

bool has_nchw(const Graph& g) {
  for (const Node* n : g.nodes())
    if (const auto* f = n->attr("data_format"); f && f->s() == "NCHW") return true;
  return false;
}

struct ExtraResult {
  Confusion confusion;
  int nets = 0, alone_ok = 0, ours_ok = 0, worse = 0, better = 0;
};

// Every opencv_extra net, OpenCV alone and after export, once per process
// (both tests below read it; ctest runs each in its own process).
const ExtraResult& measure_extra() {
  static std::optional<ExtraResult> cached;
  if (cached) return *cached;
  cached.emplace();
  ExtraResult& result = *cached;
  Confusion& extra = result.confusion;
  const fs::path dir = test::corpus_dir() / "opencv_extra_tf";
  const std::vector<Net> nets = manifest_nets(dir);
  result.nets = static_cast<int>(nets.size());
  const fs::path scratch = test::scratch_dir();
  int alone_ok = 0, ours_ok = 0, worse = 0, better = 0;
  std::printf("(fed the raw blob of NAME_in.npy, as OpenCV's tests do; nets with a .pbtxt run without it)\n");
  std::printf("%-24s %-30s %-30s %s\n", "net", "OpenCV 4.6 alone", "after tfprod export", "pre-flight raw/exported");
  for (const Net& net : nets) {
    const fs::path pb = dir / (net.name + "_net.pb");
    Graph raw = test::load_graph(pb);
    Outcome alone = run_net(pb, raw, dir, net.name, net.inputs, net.output);
    const bool raw_preflight_ok = opencv_preflight(raw).empty();
    extra.add(net.name + " (raw)", raw_preflight_ok, alone.ok);

    // Export: the non-flag inputs at the blob's shape (NHWC unless the net is NCHW).
    Tensor in = read_npy(dir / (net.name + "_in.npy"));
    const Shape shape = has_nchw(raw) ? in.shape : test::nchw_to_nhwc(in).shape;
    std::string shape_text;
    for (int64_t d : shape) shape_text += (shape_text.empty() ? "" : ",") + std::to_string(d);
    ExportOptions options;
    options.source = pb;
    options.outputs = {net.output};
    for (const auto& i : net.inputs)
      if (const Node* p = raw.find(i); p && !(p->attr("dtype") && p->attr("dtype")->type() == tfprod::tf::DT_BOOL))
        options.inputs.push_back(InputSpec::parse(i + "::" + shape_text));
    const fs::path out = scratch / (net.name + ".pb");
    Outcome ours;
    std::string exported_preflight = "-";
    try {
      ExportReport report = export_model(options, out);
      if (report.verified) {
        Graph model = test::load_graph(out);
        ours = run_net(out, model, dir, net.name, report.inputs, net.output);
        const bool ok = opencv_preflight(model).empty();
        exported_preflight = ok ? "OK" : "blocks";
        extra.add(net.name + " (exported)", ok, ours.ok);
      } else {
        ours = {false, "refused: " + report.failure.substr(0, 60)};
        // The model was not written: judge the pre-flight on it unwritten.
        exported_preflight = report.opencv_blockers.empty() ? "OK" : "blocks";
        extra.add(net.name + " (exported, refused)", report.opencv_blockers.empty(), false);
      }
    } catch (const Error& e) {
      ours = {false, std::string("refused: ") + std::string(e.what()).substr(0, 60)};
    }
    alone_ok += alone.ok;
    ours_ok += ours.ok;
    worse += alone.ok && !ours.ok;
    better += !alone.ok && ours.ok;
    EXPECT_TRUE(!alone.ok || ours.ok) << net.name << ": export is worse than OpenCV alone: " << ours.text;
    std::replace(ours.text.begin(), ours.text.end(), '\n', ' ');
    std::replace(alone.text.begin(), alone.text.end(), '\n', ' ');
    std::printf("%-24s %-30s %-30s %s/%s\n", net.name.c_str(), alone.text.substr(0, 30).c_str(),
                ours.text.substr(0, 30).c_str(), raw_preflight_ok ? "OK" : "blocks", exported_preflight.c_str());
  }
  std::printf("OpenCV 4.6 alone runs %d of %zu correctly; after tfprod export %d; worse %d, better %d\n", alone_ok,
              nets.size(), ours_ok, worse, better);
  result.alone_ok = alone_ok;
  result.ours_ok = ours_ok;
  result.worse = worse;
  result.better = better;
  return result;
}

TEST(OpenCvExtraCorpus, ExportIsNeverWorseThanOpenCvAlone) {
  TFPROD_REQUIRE_CORPUS();
  const ExtraResult& r = measure_extra();
  ASSERT_GE(r.nets, 39) << "MANIFEST.md rows not found";
  EXPECT_EQ(r.worse, 0);
  EXPECT_GE(r.ours_ok, r.alone_ok);
}

struct UserCase {
  std::string path, input, type, shape, output;
};

TEST(OpenCvExtraCorpus, PreflightHasNoFalseOk) {
  TFPROD_REQUIRE_CORPUS();
  const Confusion& extra = measure_extra().confusion;
  // Users' frozen graphs: cut at their input (raw), and after the export preset.
  const std::vector<UserCase> cases = {
      {"anpr_estimator/frozen_cut_graph.pb", "IteratorGetNext", "", "1,20,20,1", "softmax_tensor"},
      {"anpr_estimator/frozen_cut_graph_opt.pb", "IteratorGetNext", "half", "1,20,20,1", "softmax_tensor"},
      {"keras_tf1_lenet_saver_and_frozen/frozen_model.pb", "input_tensor_input", "", "1,28,28,1", "output_tensor/Softmax"},
      {"tf2onnx_regression_3formats/graphdef/frozen.pb", "X", "", "1,1", "pred"},
      {"tf2onnx_frozen_graphs/ae0/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/fc-layers/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/gru/frozen.pb", "X", "", "1,784", "output"},
      {"tf2onnx_frozen_graphs/lstm/frozen.pb", "X", "", "1,784", "output"},
      {"frozen_bn_cond_captcha/frozen_model.pb", "input_holder", "", "1,40,120,1", "digits_prediction"},
      {"tflearn_and_gate/frozen_model.pb", "input/X", "", "1,2", "output/Sigmoid"},
  };
  Confusion users;
  const fs::path scratch = test::scratch_dir();
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    Graph original = test::load_graph(test::corpus_dir() / c.path);
    const std::string strip =
        "strip_unused_nodes(shape=\"" + c.shape + "\"" + (c.type.empty() ? "" : ", type=" + c.type) + ")";
    Graph cut = test::apply_transforms(original, strip, {c.input}, {c.output});
    Graph exported = test::apply_transforms(cut, preset_transforms(Preset::kExport), {c.input}, {c.output});
    for (auto [label, graph] : {std::pair<std::string, const Graph*>{"raw", &cut}, {"exported", &exported}}) {
      const fs::path file = scratch / ("g" + std::to_string(i++) + ".pb");
      test::save_graph(*graph, file);
      VerifyOptions options;
      options.outputs = {c.output};
      bool works = false;
      try {
        works = verify_model(file, &cut, options).ok();
      } catch (const Error&) {
        works = false;
      }
      const bool ok = opencv_preflight(*graph).empty();
      users.add(c.path + " (" + label + ")", ok, works);
      std::printf("%-52s %-9s pre-flight %-7s OpenCV %s\n", c.path.c_str(), label.c_str(), ok ? "OK" : "blocks",
                  works ? "works" : "fails");
    }
  }
  extra.print("opencv_extra nets (raw and exported):");
  users.print("users' frozen graphs (cut, and after the export preset):");
  EXPECT_EQ(extra.false_ok, 0) << ::testing::PrintToString(extra.false_oks);
  EXPECT_EQ(users.false_ok, 0) << ::testing::PrintToString(users.false_oks);
}

}  // namespace
}  // namespace tfprod
