// TensorFlow tensor references as they appear in NodeDef inputs and on the
// command line: "node", "node:1", "^node". Parsed here and nowhere else.
#pragma once

#include <string>
#include <string_view>

namespace tfprod {

struct TensorRef {
  std::string node;
  int index = 0;         // output port; 0 for a control reference
  bool control = false;  // "^node"

  // Throws Error on an empty name or a malformed port ("a:", "a:x", "a:-1").
  static TensorRef parse(std::string_view text);
  // "node" for port 0, "node:N" otherwise, "^node" for control.
  std::string str() const;

  bool operator==(const TensorRef&) const = default;
};

// The node part of a reference ("a:1" -> "a", "^a" -> "a"), without validation.
std::string_view node_of(std::string_view text);

}  // namespace tfprod
