// MatMul and BatchMatMul: ONNX MatMul has no transpose flags, so a
// transposed constant operand is stored transposed and any other gets a
// Transpose of its last two dims.
#include "onnx/registry.h"

namespace tfprod::onnx_export {

namespace {

std::string operand(const Node& n, Builder& b, std::size_t i, bool transposed) {
  if (!transposed) return b.in(n, i);
  const std::size_t rank = b.info(n, i).shape.size();
  if (rank < 2) unsupported(n, "a transposed operand of rank below 2");
  std::vector<int64_t> perm(rank);
  for (std::size_t k = 0; k < rank; ++k) perm[k] = static_cast<int64_t>(k);
  std::swap(perm[rank - 1], perm[rank - 2]);
  if (const Tensor* c = b.constant(n, i)) return b.initializer(n.name() + "/onnx/transposed", permute_tensor(*c, perm));
  return b.transpose(b.in(n, i), perm, n.name() + "/onnx/transposed");
}

void matmul(const Node& n, Builder& b) {
  const bool batch = n.op != "MatMul";
  const bool ta = tf_bool(n, batch ? "adj_x" : "transpose_a"), tb = tf_bool(n, batch ? "adj_y" : "transpose_b");
  const std::string a = operand(n, b, 0, ta), c = operand(n, b, 1, tb);
  b.add("MatMul", {a, c}, {b.out(n)});
}

}  // namespace

void register_matmul(HandlerTable& t) {
  t["MatMul"] = t["BatchMatMul"] = t["BatchMatMulV2"] = t["BatchMatMulV3"] = &matmul;
}

}  // namespace tfprod::onnx_export
