// The pass pipelines tfprod runs by name, defined here once: the inference
// cleanup (training graph -> inference graph), the OpenCV preset (inference
// graph -> what OpenCV 4.6's importer reads) and the export preset (both,
// then producers before consumers). tfprod export, the verifier's reference,
// optimize_for_inference and the corpus tests all read them from here.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace tfprod {

struct PresetStep {
  const char* transform;  // a registered transform's name
  const char* why;        // one line, for reports
  bool ignore_errors = false;
  // The step changes what the graph computes from training to inference
  // behaviour (switches, dropout, batch statistics, training flags); the
  // other steps keep its outputs. The verifier runs these on its reference.
  bool inference_mode = false;
};

enum class Preset {
  kInferenceCleanup,  // placeholders_to_const ... fold_constants
  kOpenCv,            // opencv_float_weights ... opencv_strip_attrs
  kExport,            // inference cleanup, OpenCV, sort_by_execution_order
  kOnnxExport,        // inference cleanup, float weights, direct weights, folded shapes, sort
};

std::span<const PresetStep> preset_steps(Preset preset);

// Each step as a transform call: "fold_constants(ignore_errors=true)".
std::vector<std::string> preset_calls(Preset preset);

// The preset as a transform string ("a b(ignore_errors=true) c"), for
// parse_transforms and the command lines that take one.
std::string preset_transforms(Preset preset);

}  // namespace tfprod
