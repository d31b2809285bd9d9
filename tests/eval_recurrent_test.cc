// BlockLSTM: one hand-computed step, gate order i, ci, f, o, outputs
// i, cs, f, o, ci, co, h. (The corpus lstm net checks it against TF.)
#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

TEST(EvalRecurrent, BlockLstmOneStep) {
  // input 1, cell 1: w rows [x; h], columns [i, ci, f, o].
  Tensor w = tensor_f({2, 4}, {0.5f, -1.0f, 0.25f, 2.0f, 0.1f, 0.2f, 0.3f, 0.4f});
  Tensor b = tensor_f({4}, {0.0f, 0.5f, -0.5f, 0.1f});
  Tensor zero = tensor_f({1}, {0});
  auto out = run_op("BlockLSTM",
                    {scalar_i(1, tfprod::tf::DT_INT64), tensor_f({1, 1, 1}, {2.0f}), tensor_f({1, 1}, {0.5f}),
                     tensor_f({1, 1}, {-1.0f}), w, zero, zero, zero, b},
                    {attr_float("forget_bias", 1.0f), attr_float("cell_clip", -1.0f), attr_bool("use_peephole", false)}, 7);
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  const double gi = 2 * 0.5 + -1 * 0.1 + 0, gci = 2 * -1.0 + -1 * 0.2 + 0.5, gf = 2 * 0.25 + -1 * 0.3 - 0.5,
               go = 2 * 2.0 + -1 * 0.4 + 0.1;
  const double i = sig(gi), ci = std::tanh(gci), f = sig(gf + 1.0), cs = ci * i + 0.5 * f, o = sig(go),
               co = std::tanh(cs), h = co * o;
  const double want[7] = {i, cs, f, o, ci, co, h};
  for (int k = 0; k < 7; ++k) expect_near(out[k], {1, 1, 1}, {want[k]}, 1e-6);
}

}  // namespace
}  // namespace tfprod
