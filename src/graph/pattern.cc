// The structural matcher (include/tfprod/pattern.h).
#include "tfprod/pattern.h"

#include <algorithm>

#include "tfprod/error.h"

namespace tfprod {

Node* PatternMatch::at(std::string_view label) const {
  auto it = nodes.find(label);
  if (it == nodes.end()) fail("pattern match has no node labelled '{}'", label);
  return it->second;
}

namespace {

bool bind(Node& node, const OpPattern& p, PatternMatch& m) {
  if (!p.ops.empty() && std::find(p.ops.begin(), p.ops.end(), node.op) == p.ops.end()) return false;
  if (p.when && !p.when(node)) return false;
  if (auto it = m.nodes.find(p.label); it != m.nodes.end()) {
    if (it->second != &node) return false;
  } else {
    m.nodes.emplace(p.label, &node);
    if (p.status == OpPattern::Status::kRemove) m.removed.push_back(&node);
  }
  if (p.inputs.empty()) return true;
  if (node.inputs.size() != p.inputs.size()) return false;
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    const Endpoint in = node.inputs[i];
    if (p.inputs[i].port >= 0 && in.index != p.inputs[i].port) return false;
    if (p.inputs[i].status == OpPattern::Status::kRemove) m.edges.push_back({&node, static_cast<int>(i)});
    if (!bind(*in.node, p.inputs[i], m)) return false;
  }
  return true;
}

}  // namespace

std::optional<PatternMatch> match_pattern(Node& root, const OpPattern& pattern,
                                          const std::unordered_set<std::string>& protected_names) {
  PatternMatch m;
  if (!bind(root, pattern, m)) return std::nullopt;
  for (Node* n : m.removed) {
    if (protected_names.count(n->name())) return std::nullopt;
    if (n == &root) continue;  // the rewrite replaces the root's readers
    for (const Use& u : n->uses())
      if (std::find(m.edges.begin(), m.edges.end(), u) == m.edges.end()) return std::nullopt;
  }
  return m;
}

std::vector<PatternMatch> match_all(const Graph& graph, const OpPattern& pattern,
                                    const std::unordered_set<std::string>& protected_names) {
  std::vector<PatternMatch> out;
  std::unordered_set<const Node*> taken;
  for (Node* n : graph.nodes()) {
    auto m = match_pattern(*n, pattern, protected_names);
    if (!m) continue;
    if (std::any_of(m->nodes.begin(), m->nodes.end(), [&](const auto& e) { return taken.count(e.second) > 0; }))
      continue;
    for (Node* r : m->removed) taken.insert(r);
    taken.insert(n);
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace tfprod
