// Helpers for transform tests: readable graphs in, readable graphs out, and
// the numeric check (same outputs before and after on random inputs).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::test {

// A GraphDef in protobuf text format -> Graph.
Graph parse_graph(const std::string& pbtxt);

// One line per node, in graph order: "name = Op(in0, in1:1, ^ctrl)".
// Const nodes show their dtype and shape: "w = Const[DT_FLOAT [3,3]]()".
std::string graph_text(const Graph& graph);

// Runs a transform string on a copy of `graph` and returns the result.
// Throws what the pipeline throws.
Graph apply_transforms(const Graph& graph, const std::string& transforms, const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs);

// Random inputs (seeded, standard normal floats; ints in [0, 4); bools false)
// for every Placeholder the outputs need. Placeholder shapes must be fully
// known unless given in `shapes` (name -> shape).
std::vector<std::pair<std::string, Tensor>> random_feeds(const Graph& graph, const std::vector<std::string>& outputs,
                                                         uint64_t seed = 1,
                                                         const std::map<std::string, Shape>& shapes = {});

// Evaluates `outputs` on both graphs with the same feeds and expects equal
// values within `tol` relative to the output magnitude.
void expect_same_outputs(const Graph& before, const Graph& after, const std::vector<std::string>& outputs,
                         const std::vector<std::pair<std::string, Tensor>>& feeds, double tol = 1e-5);

}  // namespace tfprod::test
