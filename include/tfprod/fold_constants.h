// fold_constants: evaluates every node whose inputs are all constant with the
// reference kernels and replaces it by a Const. Policy: nothing stateful or
// random is folded; an output over `max_output_bytes` is not materialised; a
// node without a kernel, or whose kernel fails, is kept with a warning.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tfprod/graph.h"

namespace tfprod {

struct FoldOptions {
  uint64_t max_output_bytes = uint64_t{64} << 20;
  std::vector<std::string> keep;  // nodes never removed (the graph's inputs and outputs)
  // When every placeholder the graph reads has a fully known shape, Shape,
  // ShapeN, Size and Rank of non-constant tensors become Consts too (with a
  // control edge from the tensor's node, as TF does): their values are found
  // by one evaluation on zero inputs.
  bool fold_shapes = false;
};

struct FoldReport {
  std::vector<std::string> folded;    // nodes replaced by (or now feeding only) constants
  std::vector<std::string> removed;   // constant nodes left without consumers and removed
  std::vector<std::string> warnings;  // kept nodes and why
};

// Rewrites `graph` in place; on an error it leaves the graph as it was.
FoldReport fold_constants(Graph& graph, const FoldOptions& options = {});

}  // namespace tfprod
