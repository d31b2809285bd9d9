// tfprod: from what TensorFlow training leaves behind to a production model.
#include <CLI/CLI.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/version.h"

int main(int argc, char** argv) {
  CLI::App app{"tfprod: turn TensorFlow training output into a production model, without TensorFlow"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tfprod ") + tfprod::kVersion);
  std::function<int()> action;
  tfprod::cli::add_export_command(app, &action);
  tfprod::cli::add_freeze_command(app, &action);
  tfprod::cli::add_example_command(app, &action);
  tfprod::cli::add_inspect_command(app, &action);
  tfprod::cli::add_run_command(app, &action);
  tfprod::cli::add_transform_command(app, &action);
  tfprod::cli::add_summarize_command(app, &action);
  tfprod::cli::add_verify_command(app, &action);
  tfprod::cli::add_classify_command(app, &action);
  tfprod::cli::add_preflight_command(app, &action);
  tfprod::cli::add_view_command(app, &action);
  tfprod::cli::add_metrics_command(app, &action);
  tfprod::cli::add_report_command(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tfprod::cli::guarded("tfprod", action);
}
