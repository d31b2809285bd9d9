// The one table from op name to kernel: every family registers here, in
// this explicit list (no static self-registration).
#include "eval/kernel.h"

#include <algorithm>

#include "tfprod/eval.h"

namespace tfprod::eval {

const KernelTable& kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    register_control(t);
    register_elementwise(t);
    register_unary(t);
    register_reduction(t);
    register_shape(t);
    register_array(t);
    register_nn(t);
    register_image(t);
    register_recurrent(t);
    return t;
  }();
  return table;
}

const KernelDef* find_kernel(std::string_view op) {
  const auto& t = kernel_table();
  auto it = t.find(std::string(op));
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace tfprod::eval

namespace tfprod {

bool has_kernel(const std::string& op) { return eval::find_kernel(op) != nullptr; }

std::vector<std::string> kernel_ops() {
  std::vector<std::string> ops;
  for (const auto& [name, def] : eval::kernel_table()) ops.push_back(name);
  std::sort(ops.begin(), ops.end());
  return ops;
}

}  // namespace tfprod
