// `tfprod verify MODEL [--reference GRAPH] [--feed NAME=FILE.npy]...
// [--input NAME[:DTYPE][:SHAPE]]...`: load MODEL in OpenCV DNN, run it, run
// tfprod's evaluator on GRAPH (or MODEL) on the same inputs, compare every
// output. An .onnx MODEL is checked by ONNX's checker first and run by
// OpenCV's ONNX importer against --reference GRAPH. Exit 3 when OpenCV cannot
// run the model or an output differs.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"
#include "tfprod/onnx.h"
#include "tfprod/verify.h"

namespace tfprod::cli {

namespace {

struct Args {
  std::string model, reference;
  std::vector<std::string> inputs, feeds, outputs;
  bool random = false;
  double tolerance = 1e-4;
  uint64_t seed = 1;
};

// An .onnx model: ONNX's checker, then OpenCV's ONNX importer against the
// evaluator on --reference (a TF graph), which an ONNX model needs as its truth.
int verify_onnx_file(const Args& args, VerifyOptions options, const InputFlags& inputs) {
  const std::string problem = onnx_check_file(args.model);  // external data found beside it
  if (!problem.empty()) {
    std::fprintf(stderr, "tfprod: verify: %s: ONNX's checker refuses the model: %s\n", args.model.c_str(),
                 problem.c_str());
    return static_cast<int>(kExitCheckFailed);
  }
  std::printf("ONNX checker (full, with shape inference): passed\n");
  if (args.reference.empty()) throw UsageError("verify: an .onnx model needs --reference GRAPH (the TF graph it computes)");
  ModelFile f = load_model_file(args.reference);
  const Graph reference = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), args.reference);
  options.feeds = inputs.random.empty() ? inputs.feeds : feeds_for(reference, inputs, args.seed);
  VerifyReport report = verify_onnx_model(args.model, reference, options);
  std::fputs(report.table().c_str(), stdout);
  if (!report.ok()) {
    std::fprintf(stderr, "tfprod: verify: %s\n", report.opencv_error.empty() ? "outputs differ" : "OpenCV could not run the model");
    return static_cast<int>(kExitCheckFailed);
  }
  std::printf("verified: OpenCV's outputs equal the reference within %.1e\n", args.tolerance);
  return static_cast<int>(kExitOk);
}

}  // namespace

void add_verify_command(CLI::App& app, std::function<int()>* action) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("verify", "Run a model in OpenCV DNN and check it against tfprod's evaluator");
  cmd->add_option("model", args->model, "Frozen GraphDef, or .onnx model (with --reference), to verify")->required();
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
      if (std::filesystem::path(args->model).extension() == ".onnx") return verify_onnx_file(*args, options, inputs);
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
