// What the ONNX export tests share: small TF graphs built in code, and the
// proof that an ONNX model computes what the TF graph does, in OpenCV 4.6's
// ONNX importer and in ONNX Runtime (npm onnxruntime-node, run by node on
// tests/js/run_onnx.js; skipped with a message where it is not installed).
#pragma once

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "example/graph_builder.h"
#include "tfprod/graph.h"
#include "tfprod/onnx.h"
#include "tfprod/tensor.h"

namespace tfprod::test {

// A TF graph under construction: float ops, random weights.
struct TfGraph {
  tfprod::tf::GraphDef def;
  GraphBuilder b{&def};
  std::mt19937 rng{7};

  void placeholder(const std::string& name, const Shape& shape);
  void weights(const std::string& name, const Shape& shape, float scale = 0.5f, bool positive = false);
  void ints(const std::string& name, const std::vector<int32_t>& v) { b.const_ints(name, v); }
  void ints(const std::string& name, const std::vector<int32_t>& v, const Shape& shape);
  // An op with T=float (unless `typed` is false) and string/int attrs set after.
  tfprod::tf::NodeDef& op(const std::string& name, const std::string& op, std::initializer_list<std::string> inputs,
                          bool typed = true);
  Graph graph() const { return Graph::from_graphdef(def, "test"); }
};

// Whether ONNX Runtime can be run (node and tests/js/node_modules).
bool have_onnxruntime();

// ONNX Runtime's outputs for `model` on float `feeds`, by output name; an
// error message in `error` when it fails.
std::map<std::string, Tensor> run_onnxruntime(const std::string& model_path,
                                              const std::vector<std::pair<std::string, Tensor>>& feeds,
                                              std::string* error);

// Whether OpenCV 5.0 (WASM, npm @opencvjs/web, run by node on
// tests/js/run_opencv5.mjs) can be run.
bool have_opencv5();

// OpenCV 5.0's outputs for the .onnx model (or, `tensorflow`, the TF
// GraphDef) on float feeds: 2-D or [1, C, H, W] (NCHW) inputs only.
std::map<std::string, Tensor> run_opencv5(const std::string& model_path, bool tensorflow,
                                          const std::vector<std::pair<std::string, Tensor>>& feeds,
                                          const std::vector<std::string>& outputs, std::string* error);

// max |a - b| / max(1, max |b|); infinity when the sizes differ.
double relative_diff(const Tensor& got, const Tensor& want);

// Converts `graph`, checks it with ONNX's checker, writes it, and compares
// OpenCV 4.6 (and ONNX Runtime where installed) with the evaluator on random
// inputs. `opencv` false: OpenCV 4.6 lacks an op (ONNX Runtime only).
struct RuntimeCheck {
  OnnxModel model;
  double opencv_diff = -1, ort_diff = -1;  // -1: not run
  std::string error;
};
RuntimeCheck check_onnx(const Graph& graph, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const OnnxOptions& options = {}, bool opencv = true);

}  // namespace tfprod::test
