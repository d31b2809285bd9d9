// `tfprod verify MODEL [--reference GRAPH] [--input NAME=FILE.npy]... [--random]`:
// load MODEL in OpenCV DNN, run it, run tfprod's evaluator on GRAPH (or
// MODEL) on the same inputs, compare every output; exit 1 on a mismatch.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"
#include "tfprod/verify.h"

namespace tfprod::cli {

void add_verify_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string model, reference;
    std::vector<std::string> inputs, outputs;
    bool random = false;
    double tolerance = 1e-4;
    uint64_t seed = 1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("verify", "Run a model in OpenCV DNN and check it against tfprod's evaluator");
  cmd->add_option("model", args->model, "Frozen GraphDef to verify")->required();
  cmd->add_option("--reference", args->reference, "Graph whose outputs are the truth (default: the model)");
  cmd->add_option("--input", args->inputs, "NAME=FILE.npy in TF's layout (repeatable)");
  cmd->add_option("--output", args->outputs, "Output to compare (repeatable; default: the likely outputs)");
  cmd->add_flag("--random", args->random, "Random inputs (the default without --input)");
  cmd->add_option("--tolerance", args->tolerance, "Max |diff| relative to the output's magnitude")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for random inputs")->capture_default_str();
  cmd->callback([=] {
    *action = [=] {
      VerifyOptions options;
      options.outputs = split_list(args->outputs);
      options.tolerance = args->tolerance;
      options.seed = args->seed;
      for (const auto& spec : args->inputs) {
        auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) fail("--input '{}': expected NAME=FILE.npy", spec);
        options.feeds.emplace_back(spec.substr(0, eq), read_npy(spec.substr(eq + 1)));
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
        return 1;
      }
      std::printf("verified: OpenCV's outputs equal the reference within %.1e\n", args->tolerance);
      return 0;
    };
  });
}

}  // namespace tfprod::cli
