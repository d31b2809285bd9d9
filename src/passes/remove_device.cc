// remove_device: clears every node's device ("/device:GPU:0" -> ""), so the
// runtime places the graph itself.
//
//   Conv2D @/device:GPU:0   =>   Conv2D
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

void run(Graph& graph, const PassOptions&, PassContext&) {
  for (Node* n : graph.nodes()) n->device.clear();
}

}  // namespace

PassSpec remove_device() {
  return {"remove_device", "Clear the device of every node", {}, run};
}

}  // namespace tfprod::passes
