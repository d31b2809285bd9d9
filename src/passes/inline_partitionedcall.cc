// inline_partitionedcall: replaces each PartitionedCall /
// StatefulPartitionedCall whose function `f` is in the graph's library by the
// function's body (and each If on a constant predicate by its branch), so
// that tools without function support see plain ops. The inlining itself is
// tfprod::inline_function_calls (include/tfprod/inline_functions.h), shared
// with the TF2 SavedModel loader; the graph's inputs and outputs that name a
// call keep it as an IdentityN under its name.
#include <set>

#include "passes/passes.h"
#include "tfprod/inline_functions.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext& context) {
  const IoRefs io(context.inputs, context.outputs);
  const std::set<std::string> required(io.protected_names().begin(), io.protected_names().end());
  InlineReport report;
  inline_function_calls(graph, required, &report);
  return report.calls > 0 || report.ifs > 0;
}

}  // namespace

PassSpec inline_partitionedcall() {
  return {"inline_partitionedcall",
          "Inline the library functions that PartitionedCall / StatefulPartitionedCall nodes call", {}, run};
}

}  // namespace tfprod::passes
