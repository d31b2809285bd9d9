// What the conv fusions (fuse_pad_and_conv, fuse_resize_and_conv,
// fuse_resize_pad_and_conv) share: the patterns they match and the one loop
// that applies a fusion to every match.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/dtype.h"
#include "tfprod/graph.h"
#include "tfprod/pattern.h"

namespace tfprod::passes {

// A Conv2D the fused ops can express: NHWC, no dilation, SAME or VALID, its
// input read from output 0.
inline bool plain_nhwc_conv(const Node& conv) {
  if (conv.op != "Conv2D" || conv.inputs.size() != 2 || conv.inputs[0].index != 0) return false;
  if (const auto* f = conv.attr("data_format"); f && f->s() != "NHWC") return false;
  if (const auto* d = conv.attr("dilations"))
    for (int64_t v : d->list().i())
      if (v != 1) return false;
  const auto* p = conv.attr("padding");
  return p && (p->s() == "SAME" || p->s() == "VALID");
}

inline DataType type_attr(const Node& n) { return n.attr("T") ? n.attr("T")->type() : tfprod::tf::DT_FLOAT; }

// Conv2D(input, filter), the Conv2D kept (it becomes the fused node).
inline OpPattern plain_conv_reading(OpPattern input) {
  return {"conv", {"Conv2D"}, {std::move(input), {"filter", {}}}, OpPattern::Status::kKeep, plain_nhwc_conv};
}
// MirrorPad(input, paddings), removed by the fusion.
inline OpPattern mirror_pad_of(OpPattern input) {
  return {"pad", {"MirrorPad"}, {std::move(input), {"paddings", {}}}, OpPattern::Status::kRemove};
}
// ResizeBilinear(x, size) without half-pixel centers, removed by the fusion.
inline OpPattern resize_bilinear(int port = -1) {
  return {"resize",
          {"ResizeBilinear"},
          {{"x", {}}, {"size", {}}},
          OpPattern::Status::kRemove,
          [](const Node& n) { return !(n.attr("half_pixel_centers") && n.attr("half_pixel_centers")->b()); },
          port};
}

// Runs `fuse` on every Conv2D that matches `pattern` (nodes named in
// `outputs` are never removed); `fuse` rewires the conv and returns false to
// leave a match alone. The matched nodes the fusion removes are then
// removed. Returns whether anything was fused.
inline bool fuse_convs(Graph& graph, const OpPattern& pattern, const std::unordered_set<std::string>& outputs,
                       const std::function<bool(Graph&, const PatternMatch&)>& fuse) {
  std::vector<Node*> convs;
  for (Node* n : graph.nodes())
    if (n->op == "Conv2D") convs.push_back(n);  // never removed here
  bool changed = false;
  for (Node* conv : convs) {
    auto m = match_pattern(*conv, pattern, outputs);
    if (!m || !fuse(graph, *m)) continue;
    graph.remove_nodes([&](const Node& n) { return std::find(m->removed.begin(), m->removed.end(), &n) != m->removed.end(); });
    changed = true;
  }
  return changed;
}

// The attrs of FusedResizeAndPadConv2D made from `conv` and `resize` (and
// the MirrorPad `pad`, whose mode it takes, when there is one).
inline std::vector<std::pair<std::string, tfprod::tf::AttrValue>> resize_conv_attrs(const Node& conv,
                                                                                    const Node& resize,
                                                                                    const Node* pad) {
  tfprod::tf::AttrValue t, align, mode, strides;
  t.set_type(type_attr(conv));
  align.set_b(resize.attr("align_corners") && resize.attr("align_corners")->b());
  mode.set_s("REFLECT");
  if (const auto* a = pad ? pad->attr("mode") : nullptr) mode = *a;
  if (const auto* a = conv.attr("strides")) strides = *a;
  return {{"T", t}, {"resize_align_corners", align}, {"mode", mode}, {"strides", strides}, {"padding", *conv.attr("padding")}};
}

// Turns the matched conv into `op` reading `inputs`, taking over the control
// inputs of the nodes it absorbs; its attrs are replaced by `attrs`.
inline void become_fused(Graph& graph, Node& conv, const std::string& op, std::vector<Endpoint> inputs,
                         const std::vector<Node*>& absorbed,
                         const std::vector<std::pair<std::string, tfprod::tf::AttrValue>>& attrs) {
  conv.op = op;
  graph.set_inputs(conv, std::move(inputs));
  for (const Node* a : absorbed)
    for (Node* c : a->control_inputs) graph.add_control_input(conv, c);
  conv.attrs().Clear();
  for (const auto& [key, value] : attrs) conv.set_attr(key) = value;
}

}  // namespace tfprod::passes
