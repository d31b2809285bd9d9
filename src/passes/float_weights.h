// What the weight-compressing passes (quantize_weights, round_weights)
// share: picking the float Consts large enough to be worth it.
#pragma once

#include <cstdint>
#include <optional>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/error.h"
#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::passes {

// The value of a float Const with at least `minimum` elements; nullopt for
// any other node. Throws Error on a Const without dtype or value.
inline std::optional<Tensor> large_float_const(const Node& n, int64_t minimum) {
  if (n.op != "Const") return std::nullopt;
  const auto* dtype = n.attr("dtype");
  const auto* value = n.attr("value");
  if (!dtype || !value || !value->has_tensor()) fail("Const '{}' has no dtype or value", n.name());
  if (dtype->type() != tfprod::tf::DT_FLOAT) return std::nullopt;
  Tensor w = tensor_from_proto(value->tensor(), n.name());
  if (w.num_elements() < minimum) return std::nullopt;
  return w;
}

}  // namespace tfprod::passes
