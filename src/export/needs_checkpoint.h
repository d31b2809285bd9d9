// Whether an export without a checkpoint can go on: the model (the outputs,
// cut at the inputs) must read no variable.
#pragma once

#include <string>
#include <vector>

#include "tfprod/graph.h"

namespace tfprod {

// Throws Error naming `source` and the first variable (VariableV2, VarHandleOp,
// or a DT_RESOURCE placeholder a TF2 function captured) the outputs read, not
// looking past the inputs (the cut removes what is above them).
void refuse_variables_without_checkpoint(const Graph& graph, const std::vector<std::string>& inputs,
                                         const std::vector<std::string>& outputs, const std::string& source);

}  // namespace tfprod
