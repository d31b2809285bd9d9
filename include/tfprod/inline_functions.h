// Function inlining: TF2 graphs keep their computation in the GraphDef's
// function library, called through PartitionedCall / StatefulPartitionedCall.
// inline_function_calls() puts the called bodies into the graph itself, so
// that freezing, the evaluator, the passes and OpenCV see plain ops.
//
//   x -> call = StatefulPartitionedCall[f=F](x, w) -> y = Relu(call:0)
//   F(a, b) { m = MatMul(a, b); ret out = "m:product:0" }
//       =>
//   x -> call/m = MatMul(x, w) -> y = Relu(call/m)
//
// Body nodes are named "<call>/<body name>"; function argument k reads the
// call's input k; "node:out_arg:idx" references become output ports (the
// output-arg layout of multi-output ops comes from a table; other ops are
// taken to have one output arg, and references naming two different output
// args of an op outside the table fail naming the op); consumers of call:i
// read the tensor the function returns as output i. The call's control
// inputs reach every inlined node that reads nothing from inside the body
// (through a NoOp "<call>/input_control_node"). When the call is named in
// `keep` or something depends on it by a control edge, it stays as an
// IdentityN of the returned tensors (and the control_ret nodes) under its
// name. Calls inside inlined bodies are inlined in turn.
//
// If / StatelessIf whose predicate is a constant (a Const, through Identity
// nodes, or the default of a PlaceholderWithDefault) become the inlined
// branch the predicate selects; an If on a computed predicate is left as it
// is. Functions stay in the library (prune_function_library drops the unused).
//
// Preconditions: arguments are single tensors (no list args), body
// attributes hold no placeholders ("$T"). Throws Error naming the graph's
// source, the node and the function.
#pragma once

#include <set>
#include <string>

#include "tfprod/graph.h"

namespace tfprod {

struct InlineReport {
  int calls = 0;       // PartitionedCall / StatefulPartitionedCall bodies inlined
  int ifs = 0;         // If / StatelessIf resolved on a constant predicate
  std::vector<std::string> notes;  // e.g. an If resolved on a PlaceholderWithDefault's default
};

void inline_function_calls(Graph& graph, const std::set<std::string>& keep, InlineReport* report = nullptr);

// Removes from the graph's library every function no node (and no kept
// function) refers to through a func attr. Returns how many were removed.
int prune_function_library(Graph& graph);

}  // namespace tfprod
