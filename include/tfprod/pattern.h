// A small structural matcher for rewrites, in the spirit of grappler's
// pattern utilities: a pattern is a tree of labelled op patterns rooted at
// the node a rewrite starts from, each following the data inputs of its
// parent. Every pattern node says whether the rewrite keeps or removes the
// node it matches, and the matcher refuses a match in which a node to be
// removed is protected or is read by a node outside the match: a fusion
// never silently drops a value someone else still reads.
//
//   OpPattern conv{"conv", {"Conv2D"}, {
//       {"pad", {"MirrorPad"}, {{"x", {}}, {"pads", {}}}, Status::kRemove},
//       {"filter", {}}}};
//   if (auto m = match_pattern(*node, conv, io.protected_names())) ... m->at("pad") ...
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tfprod/graph.h"

namespace tfprod {

struct OpPattern {
  enum class Status { kKeep, kRemove };

  std::string label;
  std::vector<std::string> ops;  // alternatives; empty matches any op
  // Data inputs, in order. Empty: the node's inputs are not looked at (a
  // leaf). Otherwise the node must have exactly this many data inputs.
  std::vector<OpPattern> inputs;
  Status status = Status::kKeep;
  // Extra condition on the node (attrs, say); empty accepts any.
  std::function<bool(const Node&)> when;
  // The output of this node the parent must read; -1 for any.
  int port = -1;
};

struct PatternMatch {
  std::map<std::string, Node*, std::less<>> nodes;  // label -> node
  std::vector<Node*> removed;                       // nodes matched as kRemove, root first
  std::vector<Use> edges;                           // the matched edges into kRemove nodes (reader, input)

  Node* at(std::string_view label) const;  // throws Error on an unknown label
};

// Matches `pattern` with `root` as its root. A label used twice must match
// the same node. Refused (nullopt) when a kRemove node other than the root
// is protected or read through any edge the match does not follow (a
// control edge, an edge from outside), or when the root is kRemove and
// protected.
std::optional<PatternMatch> match_pattern(Node& root, const OpPattern& pattern,
                                          const std::unordered_set<std::string>& protected_names);

// Every match in the graph, roots in graph order; matches overlapping an
// earlier one's removed nodes are skipped. Matches found before any rewrite:
// a caller that rewrites as it goes should re-match instead.
std::vector<PatternMatch> match_all(const Graph& graph, const OpPattern& pattern,
                                    const std::unordered_set<std::string>& protected_names);

}  // namespace tfprod
