// The named pipelines: what each holds, in order, and that every step is a
// registered transform.
#include <gtest/gtest.h>

#include "tfprod/presets.h"
#include "tfprod/transform.h"

namespace tfprod {
namespace {

TEST(Presets, ExportIsTheCleanupThenOpenCvThenSorted) {
  EXPECT_EQ(preset_transforms(Preset::kInferenceCleanup),
            "placeholders_to_const resolve_switches remove_dropout batch_norm_inference remove_training_nodes "
            "fold_constants(ignore_errors=true)");
  EXPECT_EQ(preset_transforms(Preset::kOpenCv),
            "opencv_drop_control_inputs opencv_div_to_realdiv opencv_unary_ops opencv_explicit_broadcast opencv_tile_to_concat opencv_reduce_axes "
            "opencv_float_weights opencv_const_weights opencv_expand_splats opencv_fold_shapes opencv_reshape_layout "
            "opencv_strip_attrs");
  EXPECT_EQ(preset_transforms(Preset::kExport), preset_transforms(Preset::kInferenceCleanup) + " " +
                                                    preset_transforms(Preset::kOpenCv) +
                                                    " sort_by_execution_order opencv_pattern_order");
  // ONNX: the OpenCV passes that keep what the graph computes, not the TF importer's layout and attribute ones.
  EXPECT_EQ(preset_transforms(Preset::kOnnxExport),
            preset_transforms(Preset::kInferenceCleanup) +
                " opencv_float_weights opencv_const_weights opencv_fold_shapes sort_by_execution_order");
}

TEST(Presets, InferenceModeStepsAreTheOnesThatChangeWhatTheGraphComputes) {
  std::vector<std::string> mode;
  for (const auto& s : preset_steps(Preset::kInferenceCleanup))
    if (s.inference_mode) mode.push_back(s.transform);
  EXPECT_EQ(mode, (std::vector<std::string>{"placeholders_to_const", "resolve_switches", "remove_dropout",
                                            "batch_norm_inference"}));
}

TEST(Presets, EveryStepIsRegisteredAndExplained) {
  for (Preset p : {Preset::kInferenceCleanup, Preset::kOpenCv, Preset::kExport, Preset::kOnnxExport}) {
    for (const auto& s : preset_steps(p)) {
      EXPECT_NE(find_pass(s.transform), nullptr) << s.transform;
      EXPECT_NE(std::string(s.why), "") << s.transform;
    }
    EXPECT_NO_THROW(build_pipeline(parse_transforms(preset_transforms(p))));
  }
}

}  // namespace
}  // namespace tfprod
