// round_weights: rounds large float constants to num_steps (default 256)
// evenly spaced levels, still as float: the file compresses much better
// (zip, gzip) and the graph needs no new ops.
//
//   w = Const[float 3x3x64x64]   =>   w = Const[float 3x3x64x64], at most num_steps distinct values
//
// Like TF: Consts with fewer than 16 elements are left alone; with
// width = (max - min) / num_steps, each value v becomes the centre of its
// bucket, min + width * (floor((v - min) / width) + 0.5), so it moves by at
// most width / 2. Unlike TF, the top value stays in the last bucket (TF puts
// it half a bucket above max) and max is the real maximum even when every
// value is negative (TF starts from FLT_MIN). A constant tensor is given a
// non-empty range as TF does (min + 1 around 0, else 2*min or 2*max).
#include <algorithm>
#include <cmath>
#include <limits>

#include "tfprod/tensor_values.h"
#include "passes/float_weights.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  const int64_t num_steps = options.get_int("num_steps", 256);
  if (num_steps < 1) fail("num_steps must be at least 1, got {}", num_steps);
  bool changed = false;
  for (Node* n : graph.nodes()) {
    std::optional<Tensor> found = large_float_const(*n, 16);
    if (!found) continue;
    Tensor& w = *found;

    auto vals = eval::values<float>(w);
    float min = std::numeric_limits<float>::max(), max = std::numeric_limits<float>::lowest();
    for (float v : vals) min = std::min(min, v), max = std::max(max, v);
    if (min == max) {
      if (std::abs(min) < 0.000001f) max = min + 1.0f;
      else if (min > 0) max = 2.0f * min;
      else min = 2.0f * max;
    }
    const float width = (max - min) / static_cast<float>(num_steps);
    for (float& v : vals) {
      const int64_t bucket = std::clamp<int64_t>(static_cast<int64_t>(std::floor((v - min) / width)), 0, num_steps - 1);
      v = min + width * (static_cast<float>(bucket) + 0.5f);
    }
    tensor_to_proto(std::move(w), n->set_attr("value").mutable_tensor());
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec round_weights() {
  return {"round_weights",
          "Round large float Consts to num_steps levels (still float; compresses better)",
          {{"num_steps", OptionType::kInt, "number of levels between min and max (default 256)"}},
          run};
}

}  // namespace tfprod::passes
