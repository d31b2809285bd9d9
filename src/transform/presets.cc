// The named pass pipelines (see tfprod/presets.h).
#include "tfprod/presets.h"

#include <string_view>

#include <iterator>
#include <vector>

namespace tfprod {

namespace {

const PresetStep kInferenceCleanup[] = {
    {"placeholders_to_const", "training flags with defaults become constants", false, true},
    {"resolve_switches", "training switches take their inference branch", false, true},
    {"remove_dropout", "dropout is the identity at inference", false, true},
    {"batch_norm_inference", "batch norms use their moving statistics", false, true},
    {"remove_training_nodes", "Identity, CheckNumerics and training-only nodes go", false, false},
    {"fold_constants", "constant subgraphs are computed once", true, false},
};

// opencv_unpack_to_split is not here: on the corpus' static RNNs (tf2onnx
// gru, lstm) OpenCV 4.6 still fails past the Unpack (MatMul weights that
// are not Consts, a Permute), so the pre-flight's "Unpack" stays the named
// blocker. Run it by hand (tfprod transform) where it helps.
const PresetStep kOpenCv[] = {
    {"opencv_drop_control_inputs", "OpenCV counts a control input as an input", false, false},
    {"opencv_div_to_realdiv", "OpenCV knows RealDiv, not Div", false, false},
    {"opencv_unary_ops", "OpenCV has no lone Neg or Rsqrt", false, false},
    {"opencv_explicit_broadcast", "OpenCV adds and multiplies tensors of one shape", false, false},
    {"opencv_tile_to_concat", "OpenCV has no Tile", false, false},
    {"opencv_reduce_axes", "OpenCV reduces over spatial or channel axes only", false, false},
    {"opencv_float_weights", "OpenCV computes in float32", false, false},
    {"opencv_const_weights", "OpenCV wants weights as direct constants", false, false},
    {"opencv_expand_splats", "OpenCV reads a constant's values only in full", false, false},
    {"opencv_fold_shapes", "OpenCV cannot compute shapes at run time", false, false},
    {"opencv_reshape_layout", "OpenCV reads 4-D tensors as NCHW", false, false},
    {"opencv_strip_attrs", "attributes OpenCV 4.6's protos lack", false, false},
};

const PresetStep kSort = {"sort_by_execution_order", "producers before consumers", false, false};
const PresetStep kPatternOrder = {"opencv_pattern_order", "Consts where OpenCV's fusions look for them", false, false};

std::vector<PresetStep> make_export() {
  std::vector<PresetStep> steps(std::begin(kInferenceCleanup), std::end(kInferenceCleanup));
  steps.insert(steps.end(), std::begin(kOpenCv), std::end(kOpenCv));
  steps.push_back(kSort);
  steps.push_back(kPatternOrder);
  return steps;
}

// ONNX export: the OpenCV passes that keep what the graph computes and help
// any runtime (float weights, weights as direct constants, shapes folded);
// not the layout and attribute ones, which are for OpenCV's TF importer.
std::vector<PresetStep> make_onnx_export() {
  std::vector<PresetStep> steps(std::begin(kInferenceCleanup), std::end(kInferenceCleanup));
  for (const PresetStep& s : kOpenCv) {
    const std::string_view name = s.transform;
    if (name == "opencv_float_weights" || name == "opencv_const_weights" || name == "opencv_fold_shapes")
      steps.push_back(s);
  }
  steps.push_back(kSort);
  return steps;
}

}  // namespace

std::span<const PresetStep> preset_steps(Preset preset) {
  switch (preset) {
    case Preset::kInferenceCleanup:
      return kInferenceCleanup;
    case Preset::kOpenCv:
      return kOpenCv;
    case Preset::kOnnxExport: {
      static const std::vector<PresetStep> onnx_steps = make_onnx_export();
      return onnx_steps;
    }
    case Preset::kExport:
      break;
  }
  static const std::vector<PresetStep> export_steps = make_export();
  return export_steps;
}

std::vector<std::string> preset_calls(Preset preset) {
  std::vector<std::string> out;
  for (const PresetStep& step : preset_steps(preset))
    out.push_back(std::string(step.transform) + (step.ignore_errors ? "(ignore_errors=true)" : ""));
  return out;
}

std::string preset_transforms(Preset preset) {
  std::string out;
  for (const std::string& call : preset_calls(preset)) out += (out.empty() ? "" : " ") + call;
  return out;
}

}  // namespace tfprod
