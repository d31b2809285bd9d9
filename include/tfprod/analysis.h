// What a training graph is made of, for the commands that guess on the
// user's behalf (inspect, export, view): which nodes only matter for training
// and why, which tensors are the model's inputs (placeholders, or an input
// pipeline to cut) and outputs, each with the reason it was chosen.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod {

// What a node is for. Everything but kModel is dropped on the way to an
// inference graph.
enum class Role {
  kModel,
  kInputPipeline,  // datasets, iterators, queues, readers, decoders, parsers
  kLoss,
  kGradients,
  kOptimizer,      // Apply* ops, optimizer slots and scopes, learning rate
  kSaver,
  kSummary,
  kInitializer,    // Assign / initializers / report_uninitialized_*
  kMetrics,
  kGlobalStep,
  kDropout,        // random masks of dropout layers
  kTrainingSwitch, // bool placeholders (is_training, keras_learning_phase) and their Switch / Merge
};

// "input pipeline", "optimizer", ... ("model" for kModel).
const char* role_name(Role role);

// The role of every node of `graph` (absent: kModel).
std::unordered_map<const Node*, Role> training_roles(const Graph& graph);

// Ops where an input pipeline hands its tensors to the model, and the dtype
// and shape the op declares for output `port` (queue shapes come from the
// queue; batched dequeues and parsers get a leading unknown dim).
bool is_pipeline_cut_point(const std::string& op);
struct DeclaredTensor {
  std::optional<DataType> dtype;
  std::optional<Shape> shape;  // -1: unknown dim
};
DeclaredTensor declared_output(const Node& node, int port);

struct IoCandidate {
  std::string name;    // tensor: "node" or "node:port"
  std::string reason;  // why it was chosen (or rejected)
  DeclaredTensor declared;
  bool cut = false;    // an input pipeline to cut, not a placeholder
};

struct IoGuess {
  std::vector<IoCandidate> inputs;    // what the outputs read, labels excluded
  std::vector<IoCandidate> outputs;   // likely outputs
  std::vector<IoCandidate> rejected;  // output candidates set aside, with why
  std::vector<std::string> labels;    // tensors found to be labels
};

// Guesses the model's inputs and outputs. With `outputs` given, only the
// inputs are guessed (those the outputs read). Outputs: sinks that are not
// training plumbing, read some input, read no label (a tensor the loss takes
// as its labels), and are not the ArgMax of what a Softmax output reads.
IoGuess guess_io(const Graph& graph, const std::vector<std::string>& outputs = {});

}  // namespace tfprod
