// remove_device: clears every node's device ("/device:GPU:0" -> ""), so the
// runtime places the graph itself.
//
//   Conv2D @/device:GPU:0   =>   Conv2D
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    changed |= !n->device.empty();
    n->device.clear();
  }
  return changed;
}

}  // namespace

PassSpec remove_device() {
  return {"remove_device", "Clear the device of every node", {}, run};
}

}  // namespace tfprod::passes
