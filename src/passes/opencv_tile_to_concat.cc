// opencv_tile_to_concat: OpenCV 4.6's TF importer has no Tile. Tile with
// constant multiples is a concatenation of copies along each tiled axis
// (axes in order, as Tile lays them out), which OpenCV runs (it maps a
// 4-D ConcatV2 axis from NHWC to its NCHW layout itself).
//
//   y = Tile(x, Const[1,2,1,3])   =>   y/concat_1 = ConcatV2(x, x, axis=1)
//                                      y = ConcatV2(y/concat_1 x3, axis=3)
//
// All multiples 1: y = Identity(x). A multiple of 0 (an empty result) or
// multiples that are not a Const are left alone. The last ConcatV2 keeps the
// Tile's name. Values are unchanged (copies only).
#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/tensor_values.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->op != "Tile" || n->inputs.size() != 2) continue;
    auto multiples_const = const_tensor(*n->inputs[1].node);
    if (!multiples_const) continue;
    const std::vector<int64_t> multiples = eval::as_ints(*multiples_const);
    if (std::any_of(multiples.begin(), multiples.end(), [](int64_t m) { return m < 1; })) continue;
    const auto* t = n->attr("T");
    if (!t) continue;
    const auto dtype = t->type();
    Node* multiples_node = n->inputs[1].node;
    Endpoint current = n->inputs[0];
    std::vector<std::size_t> tiled;
    for (std::size_t a = 0; a < multiples.size(); ++a)
      if (multiples[a] > 1) tiled.push_back(a);
    auto make_concat = [&](Node& c, std::size_t axis) {
      const std::string axis_name = unique_name(graph, n->name() + "/axis_" + std::to_string(axis));
      Node& ax = add_scalar_int_const(graph, axis_name, static_cast<int32_t>(axis));
      std::vector<Endpoint> inputs(static_cast<std::size_t>(multiples[axis]), current);
      inputs.push_back({&ax, 0});
      graph.set_inputs(c, inputs);
      c.attrs().Clear();
      c.set_attr("N").set_i(multiples[axis]);
      c.set_attr("T").set_type(dtype);
      c.set_attr("Tidx").set_type(tfprod::tf::DT_INT32);
      c.op = "ConcatV2";
      current = {&c, 0};
    };
    if (tiled.empty()) {
      graph.set_inputs(*n, {current});
      n->attrs().Clear();
      n->set_attr("T").set_type(dtype);
      n->op = "Identity";
    }
    for (std::size_t i = 0; i < tiled.size(); ++i) {
      const bool last = i + 1 == tiled.size();
      Node& c = last ? *n : graph.add_node(unique_name(graph, n->name() + "/concat_" + std::to_string(tiled[i])),
                                           "ConcatV2");
      make_concat(c, tiled[i]);
    }
    erase_dead(graph, {multiples_node}, {});
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec opencv_tile_to_concat() {
  return {"opencv_tile_to_concat", "Tile with constant multiples -> ConcatV2 of copies (OpenCV 4.6 has no Tile)", {},
          run};
}

}  // namespace tfprod::passes
