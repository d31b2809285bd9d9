// What the graph-import fuzz targets do with a model file that parsed.
#pragma once

#include "tfprod/graph.h"
#include "tfprod/model_file.h"
#include "tfprod/transform.h"

namespace tfprod::fuzz {

inline void exercise_graph(Graph& graph) {
  validate(graph);
  graph.topological_order();
  (void)graph.to_graphdef();
  // TF2 call graphs: inlining follows the function library (depth limits).
  const PassSpec* inline_calls = find_pass("inline_partitionedcall");
  PassContext context;
  inline_calls->run(graph, PassOptions(*inline_calls, {}), context);
  validate(graph);
}

inline void exercise_model(const ModelFile& file) {
  (void)select_meta_graph(file, {});
  for (const auto& meta : file.model.meta_graphs()) {
    Graph graph = Graph::from_graphdef(meta.graph_def(), file.path.string());
    exercise_graph(graph);
  }
}

}  // namespace tfprod::fuzz
