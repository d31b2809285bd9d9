// The parts of inspect_model in their own files: checkpoints and variables
// (checkpoints.cc), the OpenCV verdict (verdict.cc).
#pragma once

#include <filesystem>
#include <unordered_map>

#include "tfprod/checkpoint.h"
#include "tfprod/graph.h"
#include "tfprod/inspect.h"

namespace tfprod::inspect_detail {

// Every checkpoint of the directory holding `used` (from its `checkpoint`
// state file, else its .index files), `used` among them and marked.
std::vector<CheckpointFacts> list_checkpoints(const ResolvedCheckpoint& used);

// The checkpoint's tensors as variables, sorted into model variables,
// optimizer slots and training state (by the graph's roles when `graph` is
// given, else by TF's names). Fills facts.variables and the totals.
void collect_checkpoint_variables(ModelFacts& facts, const ResolvedCheckpoint& checkpoint, const Graph* graph,
                                  const std::unordered_map<const Node*, Role>& roles);

// No checkpoint: the graph's variable nodes (dtype and shape from their
// attrs), or, in a frozen graph, its Const weights (more than one element).
void collect_graph_variables(ModelFacts& facts, const Graph& graph,
                             const std::unordered_map<const Node*, Role>& roles);

// prepare_export on `source` (no verification), then the OpenCV pre-flight
// check on its reference and on its model. An Error of prepare_export (an
// ambiguous guess, an input without a shape) becomes the verdict's error;
// then a `frozen` graph (the source, when it has no variables) is checked
// as it is for the verdict's `before`.
OpenCvVerdict opencv_verdict(const std::filesystem::path& source, const InspectOptions& options,
                             const Graph* frozen);

}  // namespace tfprod::inspect_detail
