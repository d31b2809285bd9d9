// optimize_for_inference: a drop-in for TensorFlow's tool, same flags. It runs
// TF's passes in TF's order:
//   bool PlaceholderWithDefault named keras_learning_phase (and
//   --placeholder_to_const_names) -> Const; strip_unused_nodes; remove
//   Identity and CheckNumerics; fold batch norms into convolutions; fuse
//   resize / mirror-pad into convolutions
// then, unless --tf_behaviour, tfprod's inference cleanup, which TF never
// did: training switches resolved, dropout removed, training-mode batch
// norms to inference mode, constants folded.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/transform_job.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"
#include "tfprod/version.h"

namespace {

// The part of the pipeline that only runs the transforms this build has.
std::string existing(const std::vector<std::string>& calls) {
  std::string out;
  for (const auto& c : calls) {
    std::string name = c.substr(0, c.find('('));
    if (tfprod::find_pass(name)) out += c + " ";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"optimize_for_inference (tfprod): TF's inference optimisations, then tfprod's inference cleanup"};
  app.set_version_flag("--version", std::string("optimize_for_inference (tfprod) ") + tfprod::kVersion);
  std::string input, output, frozen = "true", input_names, output_names, toco = "false", to_const;
  int placeholder_type_enum = 1;
  bool tf_behaviour = false;
  app.add_option("--input", input, "Input GraphDef")->required();
  app.add_option("--output", output, "Output GraphDef")->required();
  app.add_option("--frozen_graph", frozen, "Whether the input is a binary frozen graph (format is detected)")
      ->expected(0, 1)->default_str("true");
  app.add_option("--input_names", input_names, "Comma-separated input node names")->required();
  app.add_option("--output_names", output_names, "Comma-separated output node names")->required();
  app.add_option("--placeholder_type_enum", placeholder_type_enum, "DataType enum of the new placeholders (1: float)")
      ->capture_default_str();
  app.add_option("--toco_compatible", toco, "Accepted (TF Lite converter compatibility)")->expected(0, 1)->default_str("false");
  app.add_option("--placeholder_to_const_names", to_const, "Comma-separated bool PlaceholderWithDefault names to make Const");
  app.add_flag("--tf_behaviour", tf_behaviour, "Run TF's passes only, exactly as TensorFlow does (dropout stays)");
  try {
    std::vector<char*> args = tfprod::cli::without_empty_values(argc, argv);
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tfprod::cli::guarded("optimize_for_inference", [&] {
    auto dtype = tfprod::parse_dtype(std::to_string(placeholder_type_enum));
    if (!dtype) tfprod::cli::usage_fail("--placeholder_type_enum {} is not a DataType", placeholder_type_enum);
    (void)tfprod::cli::parse_bool("frozen_graph", frozen);
    if (tfprod::cli::parse_bool("toco_compatible", toco))
      std::fprintf(stderr, "optimize_for_inference: --toco_compatible has no effect here\n");
    tfprod::cli::TransformJob job;
    job.program = "optimize_for_inference";
    job.out_flag = "--output";
    job.inputs_flag = "--input_names";
    job.outputs_flag = "--output_names";
    job.in_graph = input;
    job.out_graph = output;
    job.inputs = tfprod::cli::split_list(input_names);
    job.outputs = tfprod::cli::split_list(output_names);
    std::string to_const_names = "keras_learning_phase";
    for (const auto& n : tfprod::cli::split_list(to_const)) to_const_names += "," + n;
    std::string type = tfprod::dtype_name(*dtype).substr(3);
    job.transforms = existing({"placeholders_to_const(names=\"" + to_const_names + "\")",
                               "strip_unused_nodes(type=" + type + ")", "remove_nodes(op=Identity, op=CheckNumerics)",
                               "fold_old_batch_norms", "fuse_resize_pad_and_conv", "fuse_resize_and_conv",
                               "fuse_pad_and_conv"});
    if (!tf_behaviour) {
      auto cleanup = tfprod::preset_calls(tfprod::Preset::kInferenceCleanup);
      std::erase(cleanup, "placeholders_to_const");  // ran first, with the names given
      cleanup.push_back("sort_by_execution_order");
      job.transforms += existing(cleanup);
    }
    return tfprod::cli::run_transform_job(job);
  });
}
