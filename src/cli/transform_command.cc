// `tfprod transform GRAPH -o OUT --inputs .. --outputs .. --transforms '...'`:
// TF's graph transforms (the flag names --inputs/--outputs/--transforms are
// transform_graph's); `--list` lists them.
#include <CLI/CLI.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/transform_job.h"
#include "tfprod/transform.h"

namespace tfprod::cli {

void add_transform_command(CLI::App& app, std::function<int()>* action) {
  auto job = std::make_shared<TransformJob>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto outputs = std::make_shared<std::vector<std::string>>();
  auto list = std::make_shared<bool>(false);
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto dump = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("transform", "Apply graph transforms (TF's transform_graph syntax)");
  cmd->add_option("graph", *in, "Input graph file (required unless --list)");
  cmd->add_option("-o,--out", *out, "Output graph file, .pbtxt for text (required unless --list)");
  cmd->add_option("--inputs", *inputs, "Input names (repeat or comma-separate)");
  cmd->add_option("--outputs", *outputs, "Output names (repeat or comma-separate)");
  cmd->add_option("--transforms", job->transforms, "Transform string");
  cmd->add_option("--dump-after", *dump, "Write the graph after each step (text) into this directory");
  cmd->add_flag("--list", *list, "List the known transforms and their parameters");
  cmd->callback([=] {
    *action = [=] {
      if (*list) {
        for (const auto& p : pass_registry()) {
          std::printf("%-28s %s\n", p.name.c_str(), p.summary.c_str());
          for (const auto& o : p.options) std::printf("    %-24s %s\n", o.name.c_str(), o.help.c_str());
        }
        return 0;
      }
      if (in->empty()) usage_fail("transform: GRAPH is required (or --list)");
      if (out->empty()) usage_fail("transform: -o/--out is required (the graph to write)");
      TransformJob j = *job;
      j.in_graph = *in;
      j.out_graph = *out;
      j.inputs = split_list(*inputs);
      j.outputs = split_list(*outputs);
      j.dump_after = *dump;
      j.output_as_text = j.out_graph.extension() == ".pbtxt";
      return run_transform_job(j);
    };
  });
}

}  // namespace tfprod::cli
