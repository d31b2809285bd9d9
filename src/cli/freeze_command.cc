// `tfprod freeze PATH`: the friendly front end. PATH may be a training
// directory, a SavedModel directory, a graph file, a .meta or a checkpoint
// prefix; outputs come from --output, the signature, or a lone candidate.
#include <CLI/CLI.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/freeze_job.h"
#include "tfprod/events.h"

#include <cstdio>

namespace tfprod::cli {

void add_freeze_command(CLI::App& app, std::function<int()>* action) {
  auto job = std::make_shared<FreezeJob>();
  auto outputs = std::make_shared<std::vector<std::string>>();
  auto tags = std::make_shared<std::vector<std::string>>();
  auto allow = std::make_shared<std::vector<std::string>>();
  auto deny = std::make_shared<std::vector<std::string>>();
  auto keep_devices = std::make_shared<bool>(false);
  auto graph = std::make_shared<std::string>();
  auto checkpoint = std::make_shared<std::string>();

  CLI::App* cmd = app.add_subcommand("freeze", "Merge a graph and a checkpoint into a frozen GraphDef");
  cmd->add_option("path", job->input,
                  "Training directory, SavedModel directory, graph file (.pb/.pbtxt/.meta) or checkpoint prefix")
      ->required();
  cmd->add_option("-o,--out", job->output, "Output GraphDef (default frozen_graph.pb)");
  cmd->add_option("--output", *outputs, "Output node name(s); repeat or separate with commas");
  cmd->add_option("--checkpoint", *checkpoint, "Checkpoint prefix or directory (default: found from PATH), or best, best:METRIC, step:N, latest");
  cmd->add_option("--graph", *graph, "Graph file to use instead of the one found in PATH");
  add_tags_option(cmd, *tags);
  cmd->add_option("--signature", job->source.signature, "SavedModel signature")->capture_default_str();
  cmd->add_option("--variables", *allow, "Freeze only these variables (comma-separated)");
  cmd->add_option("--exclude-variables", *deny, "Never freeze these variables (comma-separated)");
  cmd->add_flag("--keep-devices", *keep_devices, "Keep device placements (cleared by default)");
  cmd->add_flag("--text", job->text, "Write text format instead of binary");

  cmd->callback([=] {
    *action = [=] {
      FreezeJob j = *job;
      if (j.output.empty()) j.output = "frozen_graph.pb";
      j.freeze.outputs = split_list(*outputs);
      j.freeze.allow = split_list(*allow);
      j.freeze.deny = split_list(*deny);
      j.freeze.clear_devices = !*keep_devices;
      j.source.tags = parse_tags(*tags);
      if (!graph->empty()) j.source.graph = *graph;
      if (events::is_checkpoint_selector(*checkpoint)) {
        // best / best:METRIC / step:N: chosen by the training directory's eval metrics.
        const events::CheckpointChoice c = events::choose_checkpoint(j.input, *checkpoint);
        std::fprintf(stderr, "tfprod freeze: checkpoint %s (--checkpoint %s: %s)\n", c.prefix.c_str(),
                     checkpoint->c_str(), c.reason.c_str());
        j.source.checkpoint = c.prefix;
      } else if (!checkpoint->empty()) {
        j.source.checkpoint = *checkpoint;
      }
      if (j.output.extension() == ".pbtxt") j.text = true;
      return run_freeze_job(j);
    };
  });
}

}  // namespace tfprod::cli
