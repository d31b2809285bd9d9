// Freezing: graph + checkpoint -> a graph where every variable the outputs
// need is a Const holding the checkpoint's value (same dtype, same bytes),
// pruned to exactly the ancestors of the outputs. What TF's freeze_graph and
// convert_variables_to_constants do, without a session, and partitioned
// variables included.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tfprod/checkpoint.h"
#include "tfprod/graph.h"

namespace tfprod::tf {
class SaverDef;
}

namespace tfprod {

struct FreezeOptions {
  std::vector<std::string> outputs;  // node names ("name" or "name:0" accepted)
  bool clear_devices = true;
  std::vector<std::string> allow;  // only these variables (empty: all)
  std::vector<std::string> deny;   // never these variables
  // Variables stored (whole, little-endian) with at least this many bytes are
  // not read into memory: their Const gets an empty tensor_content and an
  // entry in FreezeReport::streamed, for save_graphdef_streaming to copy from
  // the checkpoint. 0: read every value.
  uint64_t stream_threshold = 0;
  // Called after each variable: checkpoint bytes frozen so far, and in all.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// A frozen Const whose value bytes are still in the checkpoint's data file.
struct StreamedTensor {
  std::string node;
  StoredBytes bytes;
};

struct FreezeReport {
  std::size_t nodes_before = 0;
  std::size_t nodes_after = 0;
  std::vector<std::string> frozen;     // variable nodes now Const
  std::vector<std::string> kept;       // variables left alone (allow/deny lists)
  uint64_t bytes_frozen = 0;
  std::vector<std::string> notes;      // things to tell the user
  std::vector<StreamedTensor> streamed;  // see FreezeOptions::stream_threshold
};

// `graph` is consumed. Throws Error naming the checkpoint or graph file and
// the node or tensor: an unknown output (with close names), a variable the
// checkpoint lacks, a dtype or shape that disagrees, a resource variable used
// by an op that cannot be frozen.
Graph freeze(Graph graph, const CheckpointReader& checkpoint, const FreezeOptions& options,
             FreezeReport* report = nullptr);

// Checks `outputs` name nodes of `graph`; throws Error with suggestions.
void check_outputs_exist(const Graph& graph, const std::vector<std::string>& outputs);

// Nodes that look like model outputs: sinks that are not constants,
// placeholders, savers, optimizer, summary, initializer or input-pipeline
// plumbing. Used to guess outputs and to help the user choose.
std::vector<std::string> candidate_outputs(const Graph& graph);

}  // namespace tfprod
