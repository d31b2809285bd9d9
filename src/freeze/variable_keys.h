// Which checkpoint key (and, for a partitioned variable, which slice of it)
// holds each variable's value. Three sources, most authoritative first:
//   1. the graph's own restore ops (RestoreV2 / RestoreSlice / Restore): the
//      tensor_names and shape_and_slices they assign to each variable;
//   2. a TF2 object-graph checkpoint: `_CHECKPOINTABLE_OBJECT_GRAPH` maps a
//      variable's full_name to its object-path key;
//   3. the variable's own name (VarHandleOp: its shared_name).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/graph.h"

namespace tfprod {

struct VariableKey {
  std::string key;
  // Set for one part of a partitioned variable: the full shape and the part's
  // extents ("10 20 0,5:-" in TF's shape_and_slices notation).
  std::optional<Shape> full_shape;
  std::vector<SliceExtent> extents;
  std::string origin;  // "restore op save/RestoreV2", "object graph", "variable name"
};

class VariableKeys {
 public:
  VariableKeys(const Graph& graph, const CheckpointReader& checkpoint);
  VariableKey lookup(const Node& variable) const;

 private:
  std::unordered_map<std::string, VariableKey> from_restore_ops_;
  std::unordered_map<std::string, std::string> from_object_graph_;
};

// Parses TF's "full shape + slice" spec: "10 20 0,5:-". Empty spec -> nullopt.
// Throws Error on malformed text.
std::optional<std::pair<Shape, std::vector<SliceExtent>>> parse_shape_and_slice(const std::string& spec);

}  // namespace tfprod
