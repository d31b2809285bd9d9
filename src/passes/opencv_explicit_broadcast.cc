// opencv_explicit_broadcast: OpenCV 4.6's element-wise layers take two
// computed tensors of one shape (Add and Sub also [N,H,W,C] with [N,1,1,C]);
// TF stretches size-1 dims. Where both operands have static shapes of one
// rank, each operand smaller than the result is tiled to it first:
//
//   y = Sub(a [1,4,5,3], m [1,4,5,1])   =>   y/broadcast_1 = Tile(m, Const[1,1,1,3])
//                                            y = Sub(a, y/broadcast_1)
//
// opencv_tile_to_concat (next in the export preset) writes each Tile as
// ConcatV2 of copies. Values are unchanged (copies only). Left alone: the
// forms OpenCV runs as they are (l2_normalize's x * Rsqrt(...) included), operands of different ranks, tiles of more
// than 64 copies (a Concat that large costs more than it is worth), and 4-D
// operands no convolution or pooling precedes: there OpenCV does not know
// the layout is NHWC and concatenates along the wrong axis (measured: x -
// mean(x, axis=3) on a placeholder fails in OpenCV 4.6 once tiled).
#include <algorithm>
#include <set>

#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/rewrite.h"

namespace tfprod::passes {

namespace {

constexpr int64_t kMaxCopies = 64;

bool candidate(const Node& n) {
  static const std::set<std::string> ops = {"Add", "AddV2", "Sub", "Mul", "RealDiv"};
  if (!ops.count(n.op) || n.inputs.size() != 2 || !n.attr("T")) return false;
  for (const auto& in : n.inputs) {
    if (in.node->op == "Const") return false;
    // x * Rsqrt(...) of tf.nn.l2_normalize: OpenCV fuses it, broadcast and all.
    if (n.op == "Mul" && in.node->op == "Rsqrt" && part_of_l2_normalize(*in.node)) return false;
  }
  return true;
}

// Tile multiples that stretch `from` to `to` (empty when `from` does not broadcast to it).
std::vector<int32_t> multiples(const Shape& from, const Shape& to) {
  std::vector<int32_t> m;
  int64_t copies = 1;
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (from[i] != to[i] && from[i] != 1) return {};
    m.push_back(static_cast<int32_t>(from[i] == to[i] ? 1 : to[i]));
    copies *= m.back();
    if (copies > kMaxCopies) return {};
  }
  return m;
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  std::vector<Node*> nodes;
  std::vector<Endpoint> operands;
  for (Node* n : graph.nodes())
    if (candidate(*n)) {
      nodes.push_back(n);
      operands.push_back(n->inputs[0]);
      operands.push_back(n->inputs[1]);
    }
  if (nodes.empty()) return false;
  auto shapes = static_shapes(graph, operands);
  if (!shapes) return false;
  const std::unordered_set<const Node*> known = nhwc_layout_known(graph);
  bool changed = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Node& n = *nodes[i];
    const Shape& a = (*shapes)[2 * i];
    const Shape& b = (*shapes)[2 * i + 1];
    if (a == b || a.size() != b.size() || opencv_broadcasts(n.op, a, b)) continue;
    Shape result(a.size());
    for (std::size_t d = 0; d < a.size(); ++d) result[d] = a[d] == 1 ? b[d] : a[d];
    const std::vector<int32_t> ma = multiples(a, result), mb = multiples(b, result);
    if (ma.empty() || mb.empty()) continue;
    if (a.size() == 4 && !(known.count(n.inputs[0].node) && known.count(n.inputs[1].node))) continue;
    const DataType dtype = n.attr("T")->type();
    for (std::size_t k = 0; k < 2; ++k) {
      const std::vector<int32_t>& m = k == 0 ? ma : mb;
      if (std::all_of(m.begin(), m.end(), [](int32_t x) { return x == 1; })) continue;
      const std::string base = unique_name(graph, n.name() + "/broadcast_" + std::to_string(k));
      Node& mult = add_const(graph, base + "/multiples", int32_tensor(m));
      Node& tile = graph.add_node(base, "Tile");
      tile.set_attr("T").set_type(dtype);
      tile.set_attr("Tmultiples").set_type(tfprod::tf::DT_INT32);
      graph.add_input(tile, n.inputs[k]);
      graph.add_input(tile, {&mult, 0});
      graph.set_input(n, k, {&tile, 0});
    }
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec opencv_explicit_broadcast() {
  return {"opencv_explicit_broadcast",
          "Tile the operand an element-wise op on two computed tensors broadcasts, where OpenCV 4.6 needs equal shapes",
          {},
          run};
}

}  // namespace tfprod::passes
