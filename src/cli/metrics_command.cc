// `tfprod metrics DIR`: the scalars of every run under DIR (events files), as
// a table, --json, or --csv; --tag GLOB filters tags, --plot draws the curves.
// The reading is src/events (tfprod/events.h).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/error.h"
#include "tfprod/events.h"
#include "tfprod/file_util.h"

namespace tfprod::cli {

namespace {

struct MetricsArgs {
  std::string dir, plot, out;
  std::vector<std::string> tags;
  bool json = false, csv = false, log_scale = false;
};

int metrics(const MetricsArgs& args) {
  events::ReadOptions options;
  if (!args.tags.empty()) {
    const std::vector<std::string> globs = split_list(args.tags);
    options.keep_tag = [globs](std::string_view tag) {
      for (const auto& g : globs)
        if (events::glob_match(g, tag)) return true;
      return false;
    };
  }
  const std::vector<events::Run> runs = events::read_runs(args.dir, options);
  std::string text = args.json ? events::metrics_json(runs) : args.csv ? events::metrics_csv(runs) : events::metrics_table(runs);
  if (args.out.empty()) std::fputs(text.c_str(), stdout);
  else write_file_atomically(args.out, text);
  if (!args.plot.empty()) {
    events::PlotOptions po;
    po.log_scale = args.log_scale;
    write_file_atomically(args.plot, events::metrics_svg(runs, po));
  }
  int errors = 0;
  for (const auto& run : runs) {
    // The table already shows them; the machine formats get them on stderr.
    if (args.json || args.csv || !args.out.empty())
      for (const auto& w : run.warnings) std::fprintf(stderr, "tfprod: warning: %s\n", w.c_str());
    for (const auto& e : run.errors) {
      std::fprintf(stderr, "tfprod: error: %s\n", e.c_str());
      ++errors;
    }
  }
  return errors ? kExitError : kExitOk;
}

}  // namespace

void add_metrics_command(CLI::App& app, std::function<int()>* action) {
  auto args = std::make_shared<MetricsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "Training metrics from events files: per run and tag, points, steps, first/last/min/max");
  cmd->add_option("dir", args->dir, "Training or log directory (every folder holding events files is a run), or one events file")
      ->required();
  auto* json = cmd->add_flag("--json", args->json,
                             "Write {\"runs\": [{\"run\", \"tags\": {TAG: {steps, values, wall_times}}}]}");
  cmd->add_flag("--csv", args->csv, "Write run,tag,step,wall_time,value rows")->excludes(json);
  cmd->add_option("--tag", args->tags, "Only tags matching this glob (repeatable, or comma-separated)");
  cmd->add_option("-o,--out", args->out, "Write the table/JSON/CSV to this file instead of stdout");
  cmd->add_option("--plot", args->plot, "Also draw the curves into this SVG file (one chart per tag)");
  cmd->add_flag("--log", args->log_scale, "Plot with a logarithmic value axis");
  cmd->callback([=] { *action = [=] { return metrics(*args); }; });
}

}  // namespace tfprod::cli
