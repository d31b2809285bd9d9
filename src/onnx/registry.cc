// The TF op -> ONNX handler table (see registry.h).
#include "onnx/registry.h"

namespace tfprod::onnx_export {

namespace {

const HandlerTable& table() {
  static const HandlerTable t = [] {
    HandlerTable t;
    register_array(t);
    register_elementwise(t);
    register_matmul(t);
    register_nn(t);
    register_recurrent(t);
    register_reduction(t);
    return t;
  }();
  return t;
}

}  // namespace

const Handler* find_handler(const std::string& op) {
  auto it = table().find(op);
  return it == table().end() ? nullptr : &it->second;
}

std::vector<std::string> handled_ops() {
  std::vector<std::string> ops;
  for (const auto& [op, h] : table()) ops.push_back(op);
  return ops;
}

}  // namespace tfprod::onnx_export
