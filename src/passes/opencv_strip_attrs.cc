// opencv_strip_attrs: OpenCV 4.6 parses graphs with its own bundled copy of
// TF's protos, whose types.proto stops at DT_HALF (19): a DT_RESOURCE (20),
// DT_VARIANT or DT_UINT32 anywhere makes a text graph unparsable and a
// binary one misread. Attributes OpenCV never reads go too.
//
//   node { op: "Conv2D" attr { _output_shapes } attr { T: DT_FLOAT }      node { op: "Conv2D" attr { T: DT_FLOAT } }
//          attr { Tout: [DT_FLOAT, DT_RESOURCE] } experimental_debug_info } =>
//
// Removed: attrs whose name starts with '_' (_output_shapes, _class...),
// attrs holding a type OpenCV's enum lacks (also inside list(type) and
// tensors), and every node's experimental_debug_info / experimental_type;
// the graph's function library and debug info when no node calls a function.
// Nothing that changes the computation is touched.
#include <algorithm>
#include <unordered_set>
#include <utility>

#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

// In OpenCV 4.6's types.proto: DT_INVALID..DT_HALF and their _REF forms.
bool known_to_opencv(int t) { return (t >= 0 && t <= 19) || (t >= 101 && t <= 119); }

bool unknown_type_inside(const tfprod::tf::AttrValue& v) {
  if (v.has_type()) return !known_to_opencv(v.type());
  if (v.has_tensor()) return !known_to_opencv(v.tensor().dtype());
  if (v.has_list()) {
    for (int t : v.list().type())
      if (!known_to_opencv(t)) return true;
    for (const auto& t : v.list().tensor())
      if (!known_to_opencv(t.dtype())) return true;
  }
  return false;
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  std::unordered_set<std::string> functions;
  for (const auto& f : graph.rest().library().function()) functions.insert(f.signature().name());
  bool calls = false, changed = false;
  for (Node* n : graph.nodes()) {
    auto doomed = [](const tfprod::tf::AttrEntry& a) { return a.key().starts_with("_") || unknown_type_inside(a.value()); };
    // Written only when something goes: writing gives a node its own copy of
    // attributes it shares with the pipeline's snapshot.
    const auto& shared = std::as_const(*n).attrs();
    if (std::any_of(shared.begin(), shared.end(), doomed)) {
      auto& attrs = n->attrs();
      for (int i = attrs.size() - 1; i >= 0; --i)
        if (doomed(attrs[i])) attrs.DeleteSubrange(i, 1);
      changed = true;
    }
    changed |= n->rest().has_experimental_debug_info() || n->rest().has_experimental_type();
    n->rest().clear_experimental_debug_info();
    n->rest().clear_experimental_type();
    if (functions.count(n->op)) calls = true;
  }
  if (!calls) {
    changed |= graph.rest().has_library() || graph.rest().has_debug_info();
    graph.rest().clear_library();
    graph.rest().clear_debug_info();
  }
  return changed;
}

}  // namespace

PassSpec opencv_strip_attrs() {
  return {"opencv_strip_attrs", "Drop attrs OpenCV 4.6's protos cannot hold (types past DT_HALF, _output_shapes, debug info)",
          {}, run};
}

}  // namespace tfprod::passes
