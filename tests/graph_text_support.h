// GraphDef text builders the transform tests share: one node, a shaped
// float Placeholder, and counting the nodes of one op.
#pragma once

#include <string>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::test {

// " dim { size: 2 } dim { size: 3 }"
inline std::string dims(const Shape& s) {
  std::string out;
  for (int64_t d : s) out += " dim { size: " + std::to_string(d) + " }";
  return out;
}

// node { name op input... } with `attrs` (text format; default T=float).
// (Double-quoted: tests edit the text by searching for "\"name\"".)
inline std::string node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& attrs = "attr { key: \"T\" value { type: DT_FLOAT } }") {
  std::string out = "node { name: \"" + name + "\" op: \"" + op + "\"";
  for (const auto& i : inputs) out += " input: \"" + i + "\"";
  return out + " " + attrs + " }\n";
}

// A float Placeholder of shape `s`.
inline std::string shaped_placeholder(const std::string& name, const Shape& s) {
  return "node { name: '" + name + "' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } " +
         "attr { key: 'shape' value { shape {" + dims(s) + " } } } }\n";
}

inline int count_op(const Graph& graph, const std::string& op) {
  int k = 0;
  for (const Node* n : graph.nodes()) k += n->op == op;
  return k;
}

}  // namespace tfprod::test
