// Proof that a model computes what it should: run MODEL in OpenCV DNN and a
// reference graph (MODEL itself, or the original graph in inference mode) in
// tfprod's evaluator on the same inputs, and compare every output.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod {

struct VerifyOptions {
  std::vector<std::pair<std::string, Tensor>> feeds;  // empty: random inputs
  std::vector<std::string> outputs;                    // empty: the model's likely outputs
  double tolerance = 1e-4;                             // max |diff| / max(1, max |reference|)
  uint64_t seed = 1;
};

struct OutputCheck {
  std::string name;
  Shape opencv_shape, reference_shape;
  double max_abs = 0, max_rel = 0;
  bool ok = false;
};

struct VerifyReport {
  std::string opencv_error;  // import or forward failure
  std::vector<OutputCheck> outputs;
  bool ok() const;
  std::string table() const;
};

// Random inputs for every Placeholder the outputs need: standard normal
// floats (unknown dims: 1), false for bools.
std::vector<std::pair<std::string, Tensor>> random_inputs(const Graph& graph, const std::vector<std::string>& outputs,
                                                          uint64_t seed);

// The reference as it behaves at inference (a clone sharing the weights):
// the inference-mode steps of the cleanup preset (training switches
// resolved, dropout removed, batch norms on their moving statistics).
Graph inference_mode(const Graph& graph, const std::vector<std::string>& outputs);

// One output against the reference: max |diff| / max(1, max |reference|)
// within `tolerance`; not ok when the element counts differ or on NaN.
OutputCheck compare_output(const std::string& name, const Tensor& got, const Tensor& want, double tolerance);

// `reference` defaults to the model itself; a given reference is first put
// in inference mode (placeholders_to_const, resolve_switches, remove_dropout,
// batch_norm_inference). Throws Error for problems with
// the inputs (unreadable graph, a feed that names no placeholder);
// OpenCV's failures are reported, not thrown.
VerifyReport verify_model(const std::filesystem::path& model, const Graph* reference, const VerifyOptions& options);

// The same proof for a model file just written from `model` (export): the
// outputs, inputs and layout are read from `model`, not from the file, and
// the reference is evaluated before OpenCV loads the file. Both graphs are
// consumed and freed on the way, so the weights are in memory about once at
// any time (the evaluator frees each value after its last use).
VerifyReport verify_written_model(const std::filesystem::path& file, Graph model, Graph reference,
                                  const VerifyOptions& options);

}  // namespace tfprod
