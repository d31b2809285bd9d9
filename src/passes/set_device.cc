// set_device: puts every node on one device.
//
//   Conv2D @""  , MatMul @/cpu:0   =>   both @/gpu:0                  (device=/gpu:0)
//                                  =>   Conv2D @/gpu:0, MatMul @/cpu:0 (... if_default=true)
//
// Options: device (default "": the same as remove_device), if_default
// (default false: only nodes without a device get one).
#include "passes/passes.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  const std::string device = options.get_string("device");
  const bool if_default = options.get_bool("if_default", false);
  bool changed = false;
  for (Node* n : graph.nodes())
    if ((!if_default || n->device.empty()) && n->device != device) {
      n->device = device;
      changed = true;
    }
  return changed;
}

}  // namespace

PassSpec set_device() {
  return {"set_device",
          "Set the device of every node (or only of nodes without one)",
          {{"device", OptionType::kString, "the device, e.g. /device:CPU:0"},
           {"if_default", OptionType::kBool, "only set it on nodes that have no device (default false)"}},
          run};
}

}  // namespace tfprod::passes
