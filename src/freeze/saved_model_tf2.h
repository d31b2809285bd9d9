// A TF2 SavedModel as one flat graph for one signature: what
// open_model_source() gives freeze, export and inspect.
#pragma once

#include <filesystem>
#include <string>

#include "tfprod/model_source.h"

namespace tfprod {

// True when the meta graph is TF2's: an object graph, or function calls.
bool is_tf2_meta_graph(const tfprod::tf::MetaGraphDef& meta);

// Rewrites src.meta.graph_def for the signature `key` of a TF2 SavedModel in
// `dir`:
//   1. the signature's input Placeholders are renamed to the input keys
//      (serving_default_conv2d_input -> conv2d_input), and an Identity named
//      after each output key reads the returned tensor (dense_1 <-
//      StatefulPartitionedCall:0);
//   2. the graph is pruned to what those outputs need (the saver's calls go),
//      the function calls are inlined (include/tfprod/inline_functions.h),
//      and the library loses the functions nothing calls any more;
//   3. control edges that only order reads and updates of variables (from
//      NoOp, kept calls, ReadVariableOp, Assign*VariableOp) are dropped and
//      the graph pruned again: a frozen model holds no state, so Keras'
//      training-mode moving-average updates leave with them.
// Sets signature_inputs/outputs ("conv2d_input:0", "dense_1:0") and notes.
// Throws Error "<dir>: node 'N' (Op): reason" for what cannot be made
// static: a While loop, an If on a computed predicate, a lookup table; and
// for a missing signature (listing those present).
void flatten_tf2_signature(ModelSource& src, const std::filesystem::path& dir, const std::string& key);

}  // namespace tfprod
