#include "tfprod/tensor_name.h"

#include <charconv>

#include "tfprod/error.h"

namespace tfprod {

TensorRef TensorRef::parse(std::string_view text) {
  TensorRef ref;
  std::string_view s = text;
  if (!s.empty() && s.front() == '^') {
    ref.control = true;
    s.remove_prefix(1);
  }
  auto colon = s.rfind(':');
  if (colon != std::string_view::npos && !ref.control) {
    std::string_view port = s.substr(colon + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0)
      fail("malformed tensor name '{}': the part after ':' must be an output index", text);
    ref.index = value;
    s = s.substr(0, colon);
  }
  if (s.empty()) fail("malformed tensor name '{}': empty node name", text);
  ref.node = std::string(s);
  return ref;
}

std::string TensorRef::str() const {
  if (control) return "^" + node;
  if (index == 0) return node;
  return node + ":" + std::to_string(index);
}

std::string_view node_of(std::string_view text) {
  if (!text.empty() && text.front() == '^') text.remove_prefix(1);
  auto colon = text.rfind(':');
  return colon == std::string_view::npos ? text : text.substr(0, colon);
}

}  // namespace tfprod
