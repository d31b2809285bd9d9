// summarize_graph's report: possible inputs and outputs, variables,
// parameter counts, control edges, op histogram; optionally every node.
#pragma once

#include <string>

#include "tfprod/graph.h"

namespace tfprod::cli {

std::string summarize(const Graph& graph, const std::string& path, bool print_structure);

}  // namespace tfprod::cli
