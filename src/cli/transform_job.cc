// The transform job behind `tfprod transform` and the drop-ins transform_graph
// and optimize_for_inference.
#include "cli/transform_job.h"

#include <cstdio>

#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"
#include "tfprod/transform.h"

namespace tfprod::cli {

namespace fs = std::filesystem;

int run_transform_job(const TransformJob& job) {
  // Everything is checked before any work: the pipeline, then the names.
  std::vector<PipelineStep> steps = build_pipeline(parse_transforms(job.transforms));
  if (job.out_graph.empty()) fail("no output graph given ({})", job.out_flag);
  if (same_file(job.in_graph, job.out_graph))
    fail("{}: output path is the input graph; refusing to overwrite it", job.out_graph.string());
  ModelFile file = load_model_file(job.in_graph);
  Graph graph = Graph::from_graphdef(std::move(*file.model.mutable_meta_graphs(0)->mutable_graph_def()),
                                     job.in_graph.string());
  for (const auto& name : job.inputs)
    if (!graph.find(TensorRef::parse(name).node))
      fail("{}: input '{}' is not in the graph ({})", job.in_graph.string(), name, job.inputs_flag);
  for (const auto& name : job.outputs)
    if (!graph.find(TensorRef::parse(name).node))
      fail("{}: output '{}' is not in the graph ({})", job.in_graph.string(), name, job.outputs_flag);

  PassContext context{job.inputs, job.outputs, {}};
  PipelineOptions options;
  int step = 0;
  if (!job.dump_after.empty()) {
    fs::create_directories(job.dump_after);
    options.after_step = [&](const std::string& name, const Graph& g) {
      save_graphdef(g.to_graphdef(), job.dump_after / fmt::format("{:02}_{}.pbtxt", ++step, name), true);
    };
  }
  auto results = run_pipeline(graph, steps, context, options);
  for (const auto& w : context.warnings) std::fprintf(stderr, "%s: warning: %s\n", job.program, w.c_str());
  for (const auto& r : results)
    std::fprintf(stderr, "%s: %-28s %s %zu -> %zu nodes\n", job.program, r.name.c_str(), r.ok ? "ok     " : "skipped",
                 r.nodes_before, r.nodes_after);
  save_graphdef(std::move(graph).release_graphdef(), job.out_graph, job.output_as_text);
  std::fprintf(stderr, "%s: wrote %s\n", job.program, job.out_graph.string().c_str());
  return 0;
}

}  // namespace tfprod::cli
