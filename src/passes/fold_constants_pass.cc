// fold_constants as a transform (the folding itself is fold_constants.cc).
#include "passes/passes.h"
#include "tfprod/fold_constants.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext& context) {
  FoldOptions fold;
  fold.max_output_bytes = static_cast<uint64_t>(options.get_int("max_constant_size_in_bytes", 64 << 20));
  fold.fold_shapes = options.get_bool("fold_shapes", true);
  const IoRefs io(context.inputs, context.outputs);
  for (const auto& o : io.outputs()) fold.keep.push_back(o.node);
  for (const auto& i : io.inputs()) fold.keep.push_back(i.node);
  FoldReport report = fold_constants(graph, fold);
  for (auto& w : report.warnings) context.warnings.push_back("fold_constants: " + w);
  bool changed = !report.folded.empty() || !report.removed.empty();
  if (options.get_bool("clear_output_shapes", true))
    for (Node* n : graph.nodes()) changed |= n->remove_attr("_output_shapes");
  return changed;
}

}  // namespace

PassSpec fold_constants() {
  return {"fold_constants",
          "Evaluate nodes whose inputs are all constant and replace them by Consts (never random or stateful ops)",
          {{"clear_output_shapes", OptionType::kBool, "drop _output_shapes attrs (default true)"},
           {"max_constant_size_in_bytes", OptionType::kInt, "do not materialise larger outputs (default 64 MiB)"},
           {"fold_shapes", OptionType::kBool,
            "replace Shape/Size/Rank of tensors whose shape is fully known (default true)"}},
          run};
}

}  // namespace tfprod::passes
