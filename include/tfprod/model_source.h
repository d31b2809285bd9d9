// What the user points tfprod at, resolved to one graph and one checkpoint:
// a training directory (Estimator or Saver output), a graph file (.pb,
// .pbtxt) plus a checkpoint, a .meta (its checkpoint is found beside it), a
// checkpoint prefix (its .meta is the graph), or a SavedModel directory. A
// TF2 SavedModel becomes one flat graph for the chosen signature: its
// functions inlined, inputs and outputs named after the signature's keys
// (src/freeze/saved_model_tf2.h).
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tfprod/tf/protobuf/meta_graph.pb.h"
#include "tfprod/checkpoint.h"
#include "tfprod/model_file.h"

namespace tfprod {

struct SourceOptions {
  std::optional<std::filesystem::path> graph;       // overrides the graph found
  std::optional<std::filesystem::path> checkpoint;  // prefix or directory
  std::set<std::string> tags = {"serve"};           // SavedModel meta graph
  std::string signature = "serving_default";        // SavedModel signature
};

struct ModelSource {
  std::string kind;  // "training directory", "SavedModel (TF1)", "SavedModel (TF2)", "graph file", ...
  std::filesystem::path graph_path;
  ModelFileKind graph_kind = ModelFileKind::kGraphDefBinary;
  tfprod::tf::MetaGraphDef meta;                  // graph_def, saver_def, signatures
  std::optional<ResolvedCheckpoint> checkpoint;   // none for a frozen graph
  std::vector<std::string> signature_inputs;      // tensor names, when a signature is known
  std::vector<std::string> signature_outputs;
  std::vector<std::string> notes;

  std::string describe() const;
};

// Throws Error naming the path and what is missing or ambiguous, or (TF2)
// the node that cannot be made static and why.
ModelSource open_model_source(const std::filesystem::path& path, const SourceOptions& options = {});

}  // namespace tfprod
