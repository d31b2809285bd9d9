// `tfprod export PATH -o model.pb`: the whole job in one command (see
// include/tfprod/export.h). Progress goes to stderr, the report to stdout,
// --report writes it as JSON. No model is written when anything fails: exit 3
// when verification ran and found the model wrong, 1 for any other failure.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <optional>
#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/error.h"
#include "tfprod/events.h"
#include "tfprod/export.h"
#include "tfprod/file_util.h"

namespace tfprod::cli {

namespace {

// Verification ran to its end (OpenCV refused the model, or an output
// differs) rather than stopping at an error of its own.
bool verification_found_it_wrong(const ExportReport& report) {
  return !report.verification.opencv_error.empty() || !report.verification.outputs.empty();
}

}  // namespace

void add_export_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string path, output, checkpoint, report, signature = "serving_default", format;
    std::vector<std::string> inputs, outputs, tags, inputs_as_nchw, outputs_as_nchw;
    int opset = kOnnxDefaultOpset;
    double tolerance = 0;
    bool no_verify = false, quiet = false, external_data = false, dynamic_batch = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Training output -> a verified model OpenCV DNN loads: freeze, cut, clean up, fold, make OpenCV-ready, verify");
  cmd->add_option("path", args->path,
                  "Training directory, graph file (+ --checkpoint), .meta, checkpoint prefix, SavedModel or frozen graph")
      ->required();
  cmd->add_option("-o,--out", args->output, "Model to write: .pb (.pbtxt for text) a TF GraphDef, .onnx ONNX")->required();
  cmd->add_option("--format", args->format, "pb or onnx (default: from -o's extension)");
  cmd->add_option("--opset", args->opset, "ONNX opset, 11..17")->capture_default_str();
  cmd->add_option("--inputs-as-nchw", args->inputs_as_nchw, "ONNX: these 4-D inputs are NCHW (repeatable or a,b)");
  cmd->add_option("--outputs-as-nchw", args->outputs_as_nchw, "ONNX: these 4-D outputs are NCHW (repeatable or a,b)");
  cmd->add_flag("--external-data", args->external_data,
                "ONNX: weights to MODEL.onnx.data (automatic when the model would pass protobuf's 2 GiB limit)");
  cmd->add_flag("--dynamic-batch", args->dynamic_batch,
                "ONNX: a symbolic batch dim N (ONNX Runtime takes any batch; verification uses the declared one)");
  cmd->add_option("--input", args->inputs,
                  "Model input NAME[:DTYPE][:SHAPE], e.g. IteratorGetNext:float:1,20,20,1 (repeatable; default: the "
                  "signature's, else guessed)");
  cmd->add_option("--output", args->outputs, "Model output node (repeatable; default: the signature's, else guessed)");
  cmd->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint prefix or directory (default: found beside the graph), or latest, best (lowest eval "
                  "loss), best:METRIC, step:N");
  cmd->add_option("--report", args->report, "Also write the report as JSON to this file");
  add_tags_option(cmd, args->tags);
  cmd->add_option("--signature", args->signature, "SavedModel signature")->capture_default_str();
  cmd->add_option("--tolerance", args->tolerance, "Largest relative difference verification accepts (default: 1e-4 for float weights, 1e-2 for half)");
  cmd->add_flag("--no-verify", args->no_verify, "Write the model without proving it in OpenCV");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines");
  cmd->callback([=] {
    *action = [=] {
      ExportOptions options;
      options.source = args->path;
      // best / best:METRIC / step:N: chosen by the eval metrics of the training directory.
      std::optional<events::CheckpointChoice> chosen;
      if (events::is_checkpoint_selector(args->checkpoint)) {
        chosen = events::choose_checkpoint(args->path, args->checkpoint);
        options.source_options.checkpoint = chosen->prefix;
      } else if (!args->checkpoint.empty()) {
        options.source_options.checkpoint = args->checkpoint;
      }
      options.source_options.tags = parse_tags(args->tags);
      options.source_options.signature = args->signature;
      for (const auto& i : args->inputs) options.inputs.push_back(parse_input_flag(i));
      options.outputs = split_list(args->outputs);
      options.tolerance = args->tolerance;
      options.verify = !args->no_verify;
      if (!args->format.empty()) options.format = parse_model_format(args->format);
      options.onnx.opset = args->opset;
      options.onnx.inputs_as_nchw = split_list(args->inputs_as_nchw);
      options.onnx.outputs_as_nchw = split_list(args->outputs_as_nchw);
      options.onnx.external_data = args->external_data;
      options.onnx.dynamic_batch = args->dynamic_batch;
      const bool onnx = model_format_for(args->output, options.format) == ModelFormat::kOnnx;
      if (!onnx && (args->opset != kOnnxDefaultOpset || !args->inputs_as_nchw.empty() || !args->outputs_as_nchw.empty() ||
                    args->external_data || args->dynamic_batch))
        fail("--opset, --inputs-as-nchw, --outputs-as-nchw, --external-data and --dynamic-batch are for ONNX output "
             "(-o MODEL.onnx or --format onnx)");
      if (!args->quiet) {
        options.on_step = [](const std::string& s) { std::fprintf(stderr, "tfprod export: %s\n", s.c_str()); };
        // Large checkpoints: a line per tenth of the bytes frozen.
        auto last = std::make_shared<int>(0);
        options.on_freeze_progress = [last](uint64_t done, uint64_t total) {
          if (total < (uint64_t{64} << 20)) return;
          const int tenth = static_cast<int>(done * 10 / total);
          if (tenth <= *last) return;
          *last = tenth;
          std::fprintf(stderr, "tfprod export: frozen %d%% (%s of %s)\n", tenth * 10, human_bytes(done).c_str(),
                       human_bytes(total).c_str());
        };
      }
      ExportReport report = export_model(options, args->output);
      if (chosen)
        report.choices.insert(report.choices.begin(), fmt::format("checkpoint: {} (--checkpoint {}: {})", chosen->prefix,
                                                                  args->checkpoint, chosen->reason));
      std::fputs(report.text().c_str(), stdout);
      if (!args->report.empty()) write_file_atomically(args->report, report.json());
      if (!report.failure.empty()) {
        std::string message = fmt::format("{}: not written: {}", args->output, report.failure);
        std::replace(message.begin(), message.end(), '\n', ' ');
        std::fprintf(stderr, "tfprod: error: %s\n", message.c_str());
        return static_cast<int>(verification_found_it_wrong(report) ? kExitCheckFailed : kExitError);
      }
      std::printf("wrote %s in %.2f s\n", args->output.c_str(), report.seconds);
      return 0;
    };
  });
}

}  // namespace tfprod::cli
