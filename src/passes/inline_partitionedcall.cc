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

void run(Graph& graph, const PassOptions&, PassContext& context) {
  std::set<std::string> required;
  for (const auto& s : context.inputs) required.insert(TensorRef::parse(s).node);
  for (const auto& s : context.outputs) required.insert(TensorRef::parse(s).node);
  inline_function_calls(graph, required);
}

}  // namespace

PassSpec inline_partitionedcall() {
  return {"inline_partitionedcall",
          "Inline the library functions that PartitionedCall / StatefulPartitionedCall nodes call", {}, run};
}

}  // namespace tfprod::passes
