// Pre-flight check for OpenCV 4.6's TensorFlow importer: every node it will
// not import (an op it does not know, weights that are not a direct Const, a
// type its protos lack), with a hint at the transform that fixes it.
#pragma once

#include <string>
#include <vector>

#include "tfprod/graph.h"

namespace tfprod {

struct PreflightIssue {
  std::string node, op, hint;
};

// Issues in graph order; empty when OpenCV should import the graph.
std::vector<PreflightIssue> opencv_preflight(const Graph& graph);

// One line per issue: "node (Op): hint".
std::string preflight_text(const std::vector<PreflightIssue>& issues);

}  // namespace tfprod
