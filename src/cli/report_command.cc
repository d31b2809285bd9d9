// `tfprod report DIR -o report.html`: one self-contained page for a training
// run: curves, checkpoints with eval metrics, the graph with the cut, the
// export verdict (tfprod/training_report.h does the work).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/training_report.h"

namespace tfprod::cli {

void add_report_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string dir, out, checkpoint;
    std::vector<std::string> inputs, outputs;
    bool no_verify = false, log_scale = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page for a training run: curves, checkpoints with eval metrics, graph, export verdict");
  cmd->add_option("dir", args->dir, "Training directory")->required();
  cmd->add_option("-o,--out", args->out, "Page to write (.html)")->required();
  cmd->add_option("--checkpoint", args->checkpoint, "Checkpoint to export: latest (default), best, best:METRIC, step:N, or a prefix");
  cmd->add_option("--input", args->inputs, "Model input NAME[:DTYPE][:SHAPE] for the export (repeatable)");
  cmd->add_option("--output", args->outputs, "Model output node for the export and the graph (repeatable)");
  cmd->add_flag("--no-verify", args->no_verify, "Export without proving the model in OpenCV");
  cmd->add_flag("--log", args->log_scale, "Curves start on a logarithmic value axis");
  cmd->callback([=] {
    *action = [=] {
      std::error_code ec;
      if (!std::filesystem::is_directory(args->dir, ec)) fail("{}: not a directory", args->dir);
      TrainingReportOptions options;
      options.checkpoint = args->checkpoint;
      options.log_scale = args->log_scale;
      options.export_options.verify = !args->no_verify;
      for (const auto& i : args->inputs) options.export_options.inputs.push_back(parse_input_flag(i));
      options.export_options.outputs = split_list(args->outputs);
      write_file_atomically(args->out, training_report_html(args->dir, options));
      std::printf("wrote %s\n", args->out.c_str());
      return 0;
    };
  });
}

}  // namespace tfprod::cli
