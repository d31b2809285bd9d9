// The opencv_extra nets of the shared corpus exported to ONNX and checked
// against TensorFlow's own outputs (NAME_out.npy for NAME_in.npy) in OpenCV
// 4.6's ONNX importer and in ONNX Runtime. Their 4-D arrays are stored NCHW,
// so NHWC nets are exported with --inputs-as-nchw / --outputs-as-nchw and
// take and give the arrays as stored. Prints one row per net; every net that does not
// match is listed with its reason.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "onnx_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/tensor_values.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

struct NetSpec {
  std::vector<std::string> inputs;
  std::string output;
};

// "| name | files | in | out | `a,b` -> `out` | ..." rows of the MANIFEST table.
std::map<std::string, NetSpec> manifest_specs(const fs::path& manifest) {
  std::map<std::string, NetSpec> out;
  std::ifstream in(manifest);
  std::regex row(R"(^\| (\w+) \|.*\| `([^`]*)` -> `([^`]*)` \|)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    NetSpec spec;
    std::stringstream names(m[2].str());
    for (std::string n; std::getline(names, n, ',');) spec.inputs.push_back(n);
    spec.output = m[3].str();
    out[m[1].str()] = spec;
  }
  return out;
}

double error_to(const Tensor& got, const Tensor& want) {
  if (got.num_elements() != want.num_elements()) return INFINITY;
  Tensor g = eval::cast(got, tfprod::tf::DT_FLOAT), w = eval::to_float32(want);
  double err = 0, magnitude = 1;
  auto gv = eval::values<float>(g), wv = eval::values<float>(w);
  for (float v : wv) magnitude = std::max(magnitude, std::fabs(static_cast<double>(v)));
  for (std::size_t i = 0; i < gv.size(); ++i) {
    const double d = std::fabs(static_cast<double>(gv[i]) - wv[i]);
    if (std::isnan(d)) return INFINITY;
    err = std::max(err, d);
  }
  return err / magnitude;
}

TEST(OnnxExtraCorpus, OpenCvExtraNetsMatchTensorFlowInBothRuntimes) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "opencv_extra_tf";
  auto specs = manifest_specs(dir / "MANIFEST.md");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    if (f.size() > 7 && f.substr(f.size() - 7) == "_net.pb") names.push_back(f.substr(0, f.size() - 7));
  }
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 39u);
  const bool ort = test::have_onnxruntime();
  const fs::path scratch = test::scratch_dir();
  int matched = 0;
  std::vector<std::string> failures;
  std::printf("%-26s %5s %10s %12s %12s\n", "net", "nodes", "Transposes", "OpenCV 4.6", "ORT 1.30");
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    auto fail_with = [&](const std::string& why) {
      failures.push_back(name + ": " + why.substr(0, 160));
      std::printf("%-26s not matched: %s\n", name.c_str(), why.substr(0, 100).c_str());
    };
    if (!specs.count(name) || !fs::exists(dir / (name + "_in.npy")) || !fs::exists(dir / (name + "_out.npy"))) {
      fail_with("no NAME_in.npy / NAME_out.npy pair or MANIFEST row");
      continue;
    }
    const NetSpec& spec = specs[name];
    Tensor x = read_npy(dir / (name + "_in.npy"));
    const Tensor want = read_npy(dir / (name + "_out.npy"));
    bool nchw_graph = false;
    {
      ModelFile file = load_model_file(dir / (name + "_net.pb"));
      for (const auto& n : file.model.meta_graphs(0).graph_def().node())
        for (const auto& a : n.attr())
          if (a.key() == "data_format" && a.value().s() == "NCHW") nchw_graph = true;
    }
    const std::string input = spec.inputs.back();  // flags (isTraining) come first
    ExportOptions options;
    options.source = dir / (name + "_net.pb");
    options.format = ModelFormat::kOnnx;
    Shape nhwc = x.shape;
    const bool image = x.shape.size() == 4 && !nchw_graph;
    if (image) nhwc = {x.shape[0], x.shape[2], x.shape[3], x.shape[1]};
    std::string shape_text;
    for (std::size_t i = 0; i < nhwc.size(); ++i) shape_text += (i ? "," : "") + std::to_string(nhwc[i]);
    options.inputs.push_back(InputSpec::parse(input + "::" + shape_text));
    options.outputs = {spec.output};
    if (image) options.onnx.inputs_as_nchw = {input};
    if (want.shape.size() == 4 && !nchw_graph) options.onnx.outputs_as_nchw = {spec.output};
    const fs::path out = scratch / (name + ".onnx");
    ExportReport report;
    try {
      report = export_model(options, out);
    } catch (const Error& e) {
      fail_with(e.what());
      continue;
    }
    if (!report.failure.empty()) {
      fail_with(report.failure);
      continue;
    }
    // 4-D outputs of NHWC nets are NCHW, as stored: the arrays compare as they are.
    auto stored = [](const Tensor& t) { return t; };
    const Tensor feed = eval::cast(x, tfprod::tf::DT_FLOAT);
    const std::string in_name = onnx_name(report.inputs.at(0)), out_name = onnx_name(report.outputs.at(0));
    OpenCvRun cv = run_onnx_in_opencv(out, {{in_name, feed}}, {out_name});
    if (!cv.error.empty()) {
      fail_with("OpenCV: " + cv.error);
      continue;
    }
    const double tol = name.rfind("fp16", 0) == 0 ? 5e-3 : 1e-4;
    const double cv_err = error_to(stored(cv.outputs[0]), want);
    double ort_err = -1;
    if (ort) {
      std::string error;
      auto got = test::run_onnxruntime(out.string(), {{in_name, feed}}, &error);
      if (!error.empty() || !got.count(out_name)) {
        fail_with("ONNX Runtime: " + error);
        continue;
      }
      ort_err = error_to(stored(got[out_name]), want);
    }
    const bool ok = cv_err <= tol && ort_err <= tol;
    std::printf("%-26s %5zu %10zu %12.1e %12s%s\n", name.c_str(), report.onnx_nodes, report.onnx_transposes, cv_err,
                ort ? fmt::format("{:.1e}", ort_err).c_str() : "skipped", ok ? "" : "  MISMATCH");
    if (ok)
      ++matched;
    else
      failures.push_back(fmt::format("{}: differs from TF's output (OpenCV {:.1e}, ORT {:.1e})", name, cv_err, ort_err));
  }
  std::printf("%d of %zu match TF's outputs in OpenCV 4.6%s; not matched:\n", matched, names.size(),
              ort ? " and ONNX Runtime" : "");
  for (const auto& f : failures) std::printf("  %s\n", f.c_str());
  // Measured: 35 (see the list printed above for the others and why).
  EXPECT_GE(matched, 35);
}

}  // namespace
}  // namespace tfprod
