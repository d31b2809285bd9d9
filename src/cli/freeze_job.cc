// The freeze job behind `tfprod freeze` and the drop-in freeze_graph.
#include "cli/freeze_job.h"

#include <chrono>
#include <cstdio>

#include "cli/cli_util.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/graph_stream_writer.h"

namespace tfprod::cli {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kStreamThreshold = uint64_t{1} << 20;

void note(const FreezeJob& job, const std::string& text) {
  std::fprintf(stderr, "%s: %s\n", job.program, text.c_str());
}

// Refuses an output that would overwrite one of the inputs.
void check_output_is_not_input(const FreezeJob& job, const ModelSource& src) {
  std::vector<fs::path> inputs = {src.graph_path};
  if (src.checkpoint) {
    fs::path prefix = src.checkpoint->prefix;
    fs::path dir = prefix.parent_path().empty() ? fs::path(".") : prefix.parent_path();
    std::error_code ec;
    // Compare file names: "./model.ckpt.index" does not start with "model.ckpt".
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind(prefix.filename().string(), 0) == 0) inputs.push_back(e.path());
    inputs.push_back(dir / "checkpoint");
  }
  for (const auto& in : inputs)
    if (same_file(job.output, in)) fail("{}: output path is one of the inputs; refusing to overwrite it", job.output.string());
}

std::vector<std::string> choose_outputs(const FreezeJob& job, const ModelSource& src, const Graph& graph) {
  if (!job.freeze.outputs.empty()) return job.freeze.outputs;
  if (!job.guess_outputs) fail("no output nodes given ({})", job.outputs_flag);
  if (!src.signature_outputs.empty()) {
    std::vector<std::string> outs;
    for (const auto& t : src.signature_outputs) outs.push_back(std::string(node_of(t)));
    note(job, fmt::format("outputs from the signature: {}", fmt::join(outs, ", ")));
    return outs;
  }
  // Without a signature a guess could silently freeze the loss instead of the
  // model: list what looks like an output and let the user choose.
  auto candidates = candidate_outputs(graph);
  if (candidates.empty())
    fail("{}: no signature names the outputs; pass {} NAME", src.graph_path.string(), job.outputs_flag);
  fail("{}: no signature names the outputs; pass {} NAME (nodes that look like outputs: {})", src.graph_path.string(),
       job.outputs_flag, fmt::join(candidates, ", "));
}

}  // namespace

int run_freeze_job(const FreezeJob& job) {
  auto start = std::chrono::steady_clock::now();
  ModelSource src = open_model_source(job.input, job.source);
  for (const auto& n : src.notes) note(job, n);
  if (!src.checkpoint)
    fail("{}: no checkpoint found; pass one with {} (a prefix such as model.ckpt-20000)", job.input.string(),
         job.checkpoint_flag);
  check_output_is_not_input(job, src);

  auto reader = open_checkpoint(*src.checkpoint);
  Graph graph = Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());
  FreezeOptions options = job.freeze;
  options.outputs = choose_outputs(job, src, graph);

  // Binary output copies large weights straight from the checkpoint.
  if (!job.text) options.stream_threshold = kStreamThreshold;
  FreezeReport report;
  Graph frozen = freeze(std::move(graph), *reader, options, &report);
  for (const auto& n : report.notes) note(job, n);
  if (job.text)
    save_graphdef(std::move(frozen).release_graphdef(), job.output, true);
  else
    save_graphdef_streaming(std::move(frozen).release_graphdef(), report.streamed, job.output);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  note(job, fmt::format("froze {} variables ({}) from {}; {} -> {} nodes; wrote {} in {:.2f} s",
                        report.frozen.size(), human_bytes(report.bytes_frozen), src.checkpoint->prefix,
                        report.nodes_before, report.nodes_after, job.output.string(), seconds));
  if (!report.kept.empty())
    note(job, fmt::format("left as variables (allow/deny lists): {}", fmt::join(report.kept, ", ")));
  return 0;
}

}  // namespace tfprod::cli
