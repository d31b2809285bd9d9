// What the conv fusions (fuse_pad_and_conv, fuse_resize_and_conv,
// fuse_resize_pad_and_conv) check before fusing.
#pragma once

#include <unordered_map>
#include <vector>

#include "tfprod/graph.h"

namespace tfprod::passes {

// A Conv2D the fused ops can express: NHWC, no dilation, SAME or VALID, its
// input read from output 0.
inline bool plain_nhwc_conv(const Node* conv) {
  if (conv->op != "Conv2D" || conv->inputs.size() != 2 || conv->inputs[0].index != 0) return false;
  if (const auto* f = conv->attr("data_format"); f && f->s() != "NHWC") return false;
  if (const auto* d = conv->attr("dilations"))
    for (int64_t v : d->list().i())
      if (v != 1) return false;
  const auto* p = conv->attr("padding");
  return p && (p->s() == "SAME" || p->s() == "VALID");
}

// True when `reader` is the only node reading `n`.
inline bool sole_reader(const std::unordered_map<const Node*, std::vector<Use>>& uses, const Node* n, const Node* reader) {
  auto it = uses.find(n);
  if (it == uses.end()) return false;
  for (const auto& u : it->second)
    if (u.node != reader) return false;
  return true;
}

}  // namespace tfprod::passes
