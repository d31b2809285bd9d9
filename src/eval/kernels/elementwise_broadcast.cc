// Broadcast planning: the output shape of several operands, with adjacent
// dims that broadcast alike merged into one.
#include "eval/kernels/elementwise_broadcast.h"

#include <algorithm>

namespace tfprod::eval {

namespace {

std::string incompatible(const std::vector<Shape>& shapes) {
  std::string s = "shapes ";
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    if (k > 0) s += k + 1 == shapes.size() ? " and " : ", ";
    s += shape_string(shapes[k]);
  }
  return s + " cannot be broadcast";
}

}  // namespace

std::optional<std::string> plan_broadcast(const std::vector<Shape>& shapes, Broadcast* b) {
  std::size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  const std::size_t n_ops = shapes.size();
  // Operand dims right-aligned against the output rank.
  auto dim = [&](std::size_t k, std::size_t d) -> int64_t {
    const std::size_t pad = rank - shapes[k].size();
    return d < pad ? 1 : shapes[k][d - pad];
  };
  b->out_shape.assign(rank, 1);
  for (std::size_t d = 0; d < rank; ++d) {
    int64_t out = 1;
    for (std::size_t k = 0; k < n_ops; ++k) {
      const int64_t v = dim(k, d);
      if (v == 1) continue;
      if (out != 1 && out != v) return incompatible(shapes);
      out = v;
    }
    b->out_shape[d] = out;
  }
  b->out_size = num_elements(b->out_shape);

  // Merge runs of dims (size-1 output dims dropped) whose operands are all
  // either full or repeated in the same way.
  b->dims.clear();
  std::vector<std::vector<bool>> full;  // per merged dim, per operand
  for (std::size_t d = 0; d < rank; ++d) {
    if (b->out_shape[d] == 1) continue;
    std::vector<bool> f(n_ops);
    for (std::size_t k = 0; k < n_ops; ++k) f[k] = dim(k, d) != 1;
    if (!full.empty() && full.back() == f) {
      b->dims.back() *= b->out_shape[d];
    } else {
      b->dims.push_back(b->out_shape[d]);
      full.push_back(std::move(f));
    }
  }
  if (b->dims.empty()) {  // every dim is 1: a single element
    b->dims.push_back(1);
    full.push_back(std::vector<bool>(n_ops, true));
  }
  b->strides.assign(n_ops, Shape(b->dims.size(), 0));
  for (std::size_t k = 0; k < n_ops; ++k) {
    int64_t step = 1;
    for (std::size_t d = b->dims.size(); d-- > 0;) {
      if (!full[d][k]) continue;
      b->strides[k][d] = step;
      step *= b->dims[d];
    }
  }
  return std::nullopt;
}

}  // namespace tfprod::eval
