// `tfprod inspect`: the facts about whatever training left behind (a
// training directory, a graph file, a checkpoint prefix or file, a
// SavedModel, a frozen graph), collected once for the text and JSON views:
// what it is, its checkpoints and variables, its ops, the likely inputs and
// outputs with reasons, the training-only parts, and whether OpenCV 4.6 would
// import it before and after tfprod's export passes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/analysis.h"
#include "tfprod/export.h"
#include "tfprod/model_source.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/tensor.h"

namespace tfprod {

struct InspectOptions {
  SourceOptions source_options;
  std::vector<std::string> outputs;  // given outputs (guess_io, prepare_export); empty: guessed
  std::vector<InputSpec> inputs;     // for prepare_export (dtype and shape of an input it cannot tell)
  bool opencv_verdict = true;        // run prepare_export (freezes the model in memory)
};

struct CheckpointFacts {
  std::string prefix;
  std::string format;            // "V2 bundle", "V1 TensorSlice file", "missing"
  std::optional<int64_t> step;   // from the name, else the global_step tensor
  uint64_t bytes_on_disk = 0;    // .index + .data-* (V2), the file or its shards (V1)
  bool used = false;             // the one whose variables are listed (the latest)
  std::string error;             // why a listed checkpoint could not be read
  std::map<std::string, double> eval_metrics;  // logged by an eval run (eval/, eval_*/) at its step
  std::string eval_run;                        // that run ("" when none)
};

enum class VariableKind { kModel, kOptimizerSlot, kTrainingState };
const char* variable_kind_name(VariableKind kind);  // "model", "optimizer slot", "training state"

struct VariableFacts {
  std::string name;
  DataType dtype = tfprod::tf::DT_INVALID;
  Shape shape;
  int64_t parameters = 0;  // elements
  uint64_t bytes = 0;
  VariableKind kind = VariableKind::kModel;
  bool partitioned = false;
  std::string source;  // "checkpoint", "graph" (a variable without checkpoint), "Const" (frozen weights)
};

struct VariableTotals {
  std::size_t count = 0;
  int64_t parameters = 0;
  uint64_t bytes = 0;
};

// Nodes of one training-only role.
struct TrainingPart {
  Role role = Role::kModel;
  std::size_t nodes = 0;
  std::vector<std::string> examples;  // a few node names (name scopes first)
};

struct OpenCvVerdict {
  bool checked = false;  // false: no graph, or the check was turned off
  std::string error;     // prepare_export refused (e.g. an ambiguous guess): why
  std::size_t reference_nodes = 0, model_nodes = 0;
  std::vector<PreflightIssue> before;  // after TF's own tools (frozen and cut)
  std::vector<PreflightIssue> after;   // after tfprod export's passes
  std::vector<std::string> inputs, outputs;  // what prepare_export used
};

struct SignatureFacts {
  std::string key;
  std::vector<std::pair<std::string, std::string>> inputs, outputs;  // key, tensor
};

struct ModelFacts {
  std::string path;
  std::string kind;          // "training directory", "checkpoint", "graph file", "SavedModel (TF1)", ...
  std::string graph_format;  // "text GraphDef", ... (empty without a graph)
  std::string graph_path;
  std::string tf_version;    // meta_info_def's, when written
  int producer = 0;          // GraphDef versions.producer
  std::vector<std::string> notes;

  bool has_graph = false;
  std::size_t nodes = 0, functions = 0;
  std::vector<std::pair<std::string, std::size_t>> ops;  // op histogram, most frequent first
  std::vector<SignatureFacts> signatures;

  std::vector<CheckpointFacts> checkpoints;  // every one found beside the used one
  std::string checkpoint_format;             // of the used checkpoint ("" when none)
  std::size_t checkpoint_tensors = 0;
  std::vector<VariableFacts> variables;      // model variables, slots and training state
  VariableTotals model, slots, state;

  IoGuess io;
  std::string io_source;  // "guessed", "given (--output)", "signature serving_default"
  std::vector<TrainingPart> training;  // roles other than kModel, with nodes
  OpenCvVerdict opencv;
};

// Throws Error naming the path when it is no model, graph or checkpoint.
ModelFacts inspect_model(const std::filesystem::path& path, const InspectOptions& options = {});

// The facts as `tfprod inspect` prints them: text for people, one JSON
// object (indented, ending in a newline) for scripts.
std::string inspect_text(const ModelFacts& facts);
std::string inspect_json(const ModelFacts& facts);

}  // namespace tfprod
