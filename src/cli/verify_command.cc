// `tfprod verify MODEL [--reference GRAPH] [--feed NAME=FILE.npy]...
// [--input NAME[:DTYPE][:SHAPE]]...`: load MODEL in OpenCV DNN, run it, run
// tfprod's evaluator on GRAPH (or MODEL) on the same inputs, compare every
// output. Exit 3 when OpenCV cannot run the model or an output differs.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "tfprod/verify.h"

namespace tfprod::cli {

void add_verify_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string model, reference;
    std::vector<std::string> inputs, feeds, outputs;
    bool random = false;
    double tolerance = 1e-4;
    uint64_t seed = 1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("verify", "Run a model in OpenCV DNN and check it against tfprod's evaluator");
  cmd->add_option("model", args->model, "Frozen GraphDef to verify")->required();
  cmd->add_option("--reference", args->reference, "Graph whose outputs are the truth (default: the model)");
  cmd->add_option("--feed", args->feeds, "NAME=FILE.npy: values for an input, in TF's layout (repeatable)");
  cmd->add_option("--input", args->inputs,
                  "Input NAME[:DTYPE][:SHAPE] given random values, e.g. X:float:1,28,28,1 (repeatable; "
                  "NAME=FILE.npy is read as --feed, deprecated)");
  cmd->add_option("--output", args->outputs, "Output to compare (repeatable; default: the likely outputs)");
  cmd->add_flag("--random", args->random, "Random inputs (the default without --feed or --input)");
  cmd->add_option("--tolerance", args->tolerance, "Max |diff| relative to the output's magnitude")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for random inputs")->capture_default_str();
  cmd->callback([=] {
    *action = [=] {
      VerifyOptions options;
      options.outputs = split_list(args->outputs);
      options.tolerance = args->tolerance;
      options.seed = args->seed;
      const InputFlags inputs = read_input_flags("verify", args->inputs, args->feeds);
      if (!inputs.random.empty()) {
        ModelFile f = load_model_file(args->model);
        const Graph model = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), args->model);
        options.feeds = feeds_for(model, inputs, args->seed);
      } else {
        options.feeds = inputs.feeds;
      }
      std::optional<Graph> reference;
      if (!args->reference.empty()) {
        ModelFile f = load_model_file(args->reference);
        reference = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), args->reference);
      }
      VerifyReport report = verify_model(args->model, reference ? &*reference : nullptr, options);
      std::fputs(report.table().c_str(), stdout);
      if (!report.ok()) {
        std::fprintf(stderr, "tfprod: verify: %s\n",
                     report.opencv_error.empty() ? "outputs differ" : "OpenCV could not run the model");
        return static_cast<int>(kExitCheckFailed);
      }
      std::printf("verified: OpenCV's outputs equal the reference within %.1e\n", args->tolerance);
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace tfprod::cli
