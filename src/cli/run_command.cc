// `tfprod run MODEL --feed NAME=FILE.npy ... --output NAME ... --out-dir DIR`:
// evaluates a graph with tfprod's reference kernels and writes one
// DIR/<NAME with '/' replaced by '_'>.npy per output, in TF's own layout.
// MODEL is any graph file or directory tfprod reads; a model with variables
// and a checkpoint is frozen in memory first. An input named by
// --input NAME[:DTYPE][:SHAPE] instead of fed gets seeded random values.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/tensor_values.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/freeze.h"
#include "tfprod/model_source.h"
#include "tfprod/npy.h"

namespace tfprod::cli {

namespace fs = std::filesystem;

namespace {

struct RunJob {
  std::string model;
  std::vector<std::string> feeds;   // NAME=FILE.npy
  std::vector<std::string> inputs;  // NAME[:DTYPE][:SHAPE] (old spelling: NAME=FILE.npy)
  std::vector<std::string> outputs;
  std::string out_dir = ".";
  std::string checkpoint;
  std::vector<std::string> tags;
  std::string signature = "serving_default";
  uint64_t seed = 87654321;
};

bool has_variables(const Graph& g) {
  for (const Node* n : g.nodes())
    if (n->op == "VariableV2" || n->op == "Variable" || n->op == "VarHandleOp") return true;
  return false;
}

int run(const RunJob& job) {
  const InputFlags inputs = read_input_flags("run", job.inputs, job.feeds);
  SourceOptions options;
  if (!job.checkpoint.empty()) options.checkpoint = job.checkpoint;
  options.tags = parse_tags(job.tags);
  options.signature = job.signature;
  ModelSource src = open_model_source(job.model, options);
  Graph graph = Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());

  std::vector<std::string> outputs = split_list(job.outputs);
  if (outputs.empty()) outputs = src.signature_outputs;
  if (outputs.empty())
    fail("{}: no --output given and no signature names one (nodes that look like outputs: {})", job.model,
         fmt::join(candidate_outputs(graph), ", "));

  if (src.checkpoint && has_variables(graph)) {
    auto reader = open_checkpoint(*src.checkpoint);
    FreezeOptions fo;
    for (const auto& o : outputs) fo.outputs.push_back(std::string(node_of(o)));
    graph = freeze(std::move(graph), *reader, fo);
    for (const auto& note : src.checkpoint->notes) std::fprintf(stderr, "tfprod: note: %s\n", note.c_str());
    std::fprintf(stderr, "tfprod: froze variables from %s\n", src.checkpoint->prefix.c_str());
  }

  std::vector<std::pair<std::string, Tensor>> feeds;
  for (auto& [name, given] : feeds_for(graph, inputs, job.seed)) {
    Tensor value = std::move(given);
    const Node* node = graph.find(TensorRef::parse(name).node);
    if (!node) fail("{}: no node '{}' to feed", src.graph_path.string(), name);
    if (const auto* dtype = node->attr("dtype"); dtype && node->op.rfind("Placeholder", 0) == 0 &&
                                                 dtype->type() != value.dtype) {
      std::fprintf(stderr, "tfprod: casting %s from %s to %s for placeholder '%s'\n", name.c_str(),
                   dtype_name(value.dtype).c_str(), dtype_name(dtype->type()).c_str(), name.c_str());
      value = eval::cast(value, dtype->type());
    }
    feeds.emplace_back(name, std::move(value));
  }

  bool dropout_defined = false;
  for (const auto& f : graph.rest().library().function()) dropout_defined |= f.signature().name() == "Dropout";
  for (const Node* n : graph.nodes())
    if (n->op == "Dropout" && !dropout_defined)
      std::fprintf(stderr, "tfprod: note: node '%s' (op Dropout) is a Defun with no body in the graph: run as the "
                   "identity on its first input (inference, as OpenCV does)\n", n->name().c_str());
  auto start = std::chrono::steady_clock::now();
  Evaluator evaluator(graph, {.seed = job.seed});
  std::vector<Tensor> results = evaluator.run(feeds, outputs);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  fs::create_directories(job.out_dir);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::string file = outputs[i];
    std::replace(file.begin(), file.end(), '/', '_');
    fs::path path = fs::path(job.out_dir) / (file + ".npy");
    write_npy(path, results[i]);
    std::printf("%s: %s %s -> %s\n", outputs[i].c_str(), dtype_name(results[i].dtype).c_str(),
                shape_string(results[i].shape).c_str(), path.string().c_str());
  }
  std::fprintf(stderr, "tfprod: evaluated in %.2f ms%s\n", ms,
               evaluator.used_random() ? " (random ops ran: outputs are seeded, not TensorFlow's)" : "");
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>* action) {
  auto job = std::make_shared<RunJob>();
  CLI::App* cmd = app.add_subcommand("run", "Evaluate a graph with tfprod's reference kernels");
  cmd->add_option("model", job->model, "Graph file, SavedModel or training directory")->required();
  cmd->add_option("--feed", job->feeds, "NAME=FILE.npy: values for an input, in TF's layout (repeatable)");
  cmd->add_option("--input", job->inputs,
                  "Input NAME[:DTYPE][:SHAPE] given seeded random values (repeatable; NAME=FILE.npy is read as "
                  "--feed, deprecated)");
  cmd->add_option("--output", job->outputs, "Tensor to compute (repeatable or comma-separated)");
  cmd->add_option("--out-dir", job->out_dir, "Directory for the output .npy files")->capture_default_str();
  cmd->add_option("--checkpoint", job->checkpoint, "Checkpoint for a graph with variables");
  cmd->add_option("--seed", job->seed, "Seed for random ops and random inputs")->capture_default_str();
  add_tags_option(cmd, job->tags);
  cmd->add_option("--signature", job->signature, "SavedModel signature")->capture_default_str();
  cmd->callback([=] { *action = [=] { return run(*job); }; });
}

}  // namespace tfprod::cli
