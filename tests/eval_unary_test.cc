// Unary family: activations, math functions, rounding, predicates, *Like ops,
// integer variants and half narrowing.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tfprod/tensor_values.h"
#include "eval_test_support.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

using namespace tfprod::test;
using tfprod::tf::DT_BOOL;
using tfprod::tf::DT_HALF;
using tfprod::tf::DT_INT32;

const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

TEST(EvalUnary, ReluFamily) {
  expect_near(run_op1("Relu", {tensor_f({3}, {-1, 0, 2})}), {3}, {0, 0, 2});
  expect_near(run_op1("Relu", {tensor_i({2}, {-4, 4})}), {2}, {0, 4});
  expect_near(run_op1("Relu6", {tensor_f({3}, {-1, 3, 7})}), {3}, {0, 3, 6});
  expect_near(run_op1("Elu", {tensor_f({2}, {-1, 2})}), {2}, {std::exp(-1.0) - 1, 2});
  expect_near(run_op1("Selu", {tensor_f({2}, {-1, 2})}), {2},
              {1.0507009873554805 * 1.6732632423543772 * (std::exp(-1.0) - 1), 1.0507009873554805 * 2});
  expect_near(run_op1("LeakyRelu", {tensor_f({2}, {-2, 3})}), {2}, {-0.4, 3});  // default alpha 0.2
  expect_near(run_op1("LeakyRelu", {tensor_f({2}, {-2, 3})}, {attr_float("alpha", 0.1f)}), {2}, {-0.2, 3});
}

TEST(EvalUnary, SmoothActivations) {
  expect_near(run_op1("Sigmoid", {tensor_f({3}, {0, 2, -100})}), {3}, {0.5, 0.8807970779778823, 0});
  expect_near(run_op1("Tanh", {tensor_f({1}, {0.5f})}), {1}, {0.46211715726000974});
  expect_near(run_op1("Softplus", {tensor_f({4}, {-20, 0, 1, 20})}), {4},
              {2.061153622438558e-09, 0.6931471805599453, 1.3132616875182228, 20}, 1e-6);
  expect_near(run_op1("Softsign", {tensor_f({2}, {-3, 1})}), {2}, {-0.75, 0.5});
  expect_near(run_op1("Softplus", {tensor_d({1}, {40})}), {1}, {40}, 1e-12);
  // Half uses half's own threshold (log(2^-10) + 2 = -4.93): x = 5 passes through
  // (float math would give log(e^5 + 1) = 5.0067, i.e. 5.0078 in half).
  Tensor h = run_op1("Softplus", {tensor_f({1}, {5}, DT_HALF)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {1}, {5}, 0);
}

TEST(EvalUnary, MathFunctions) {
  expect_near(run_op1("Sqrt", {tensor_f({2}, {4, 2})}), {2}, {2, 1.4142135623730951});
  expect_near(run_op1("Rsqrt", {tensor_f({1}, {4})}), {1}, {0.5});
  expect_near(run_op1("Square", {tensor_i({2}, {-3, 5})}), {2}, {9, 25});
  expect_near(run_op1("Exp", {tensor_d({1}, {1})}), {1}, {2.718281828459045}, 1e-12);
  expect_near(run_op1("Log", {tensor_f({1}, {static_cast<float>(M_E)})}), {1}, {1});
  expect_near(run_op1("Log1p", {tensor_d({1}, {1e-10})}), {1}, {1e-10}, 1e-20);
  expect_near(run_op1("Reciprocal", {tensor_f({1}, {4})}), {1}, {0.25});
  expect_near(run_op1("Inv", {tensor_f({1}, {-8})}), {1}, {-0.125});
  expect_near(run_op1("Erf", {tensor_f({1}, {0.5f})}), {1}, {0.5204998778130465});
  expect_near(run_op1("Sin", {tensor_d({1}, {M_PI / 2})}), {1}, {1}, 1e-12);
  expect_near(run_op1("Cos", {tensor_f({1}, {0})}), {1}, {1});
  std::string what;
  try {
    run_op1("Sqrt", {tensor_i({1}, {4})});
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_NE(what.find("dtype DT_INT32 is not supported"), std::string::npos) << what;
}

TEST(EvalUnary, AbsNegSign) {
  expect_near(run_op1("Abs", {tensor_f({2}, {-1.5f, 2})}), {2}, {1.5, 2});
  expect_near(run_op1("Abs", {tensor_i({2}, {-5, INT32_MIN})}), {2}, {5, INT32_MIN});  // wraps like TF
  expect_near(run_op1("Neg", {tensor_i({2}, {3, -4}, tfprod::tf::DT_INT64)}), {2}, {-3, 4});
  expect_near(run_op1("Sign", {tensor_i({3}, {-7, 0, 9})}), {3}, {-1, 0, 1});
  auto s = to_doubles(run_op1("Sign", {tensor_f({4}, {-2, 0, 3, kNan})}));
  EXPECT_EQ(s[0], -1);
  EXPECT_EQ(s[1], 0);
  EXPECT_EQ(s[2], 1);
  EXPECT_TRUE(std::isnan(s[3]));
}

TEST(EvalUnary, RoundingIsHalfToEven) {
  auto x = tensor_f({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.6f, -2.4f});
  expect_near(run_op1("Round", {x}), {7}, {0, 2, 2, 0, -2, 3, -2});
  expect_near(run_op1("Rint", {x}), {7}, {0, 2, 2, 0, -2, 3, -2});
  expect_near(run_op1("Floor", {tensor_f({2}, {-1.5f, 1.5f})}), {2}, {-2, 1});
  expect_near(run_op1("Ceil", {tensor_f({2}, {-1.5f, 1.5f})}), {2}, {-1, 2});
  expect_near(run_op1("Round", {tensor_i({2}, {-3, 3})}), {2}, {-3, 3});  // identity on ints
}

TEST(EvalUnary, PredicatesAndLogicalNot) {
  auto x = tensor_f({4}, {1, kNan, kInf, -kInf});
  Tensor n = run_op1("IsNan", {x});
  EXPECT_EQ(n.dtype, DT_BOOL);
  expect_near(n, {4}, {0, 1, 0, 0});
  expect_near(run_op1("IsInf", {x}), {4}, {0, 0, 1, 1});
  expect_near(run_op1("IsFinite", {x}), {4}, {1, 0, 0, 0});
  expect_near(run_op1("IsNan", {tensor_f({2}, {kNan, 1}, DT_HALF)}), {2}, {1, 0});
  expect_near(run_op1("LogicalNot", {tensor_b({2}, {true, false})}), {2}, {0, 1});
}

TEST(EvalUnary, ZerosLikeOnesLike) {
  Tensor z = run_op1("ZerosLike", {tensor_i({2, 1}, {5, 6})});
  EXPECT_EQ(z.dtype, DT_INT32);
  expect_near(z, {2, 1}, {0, 0});
  Tensor o = run_op1("OnesLike", {tensor_f({2}, {3, 4}, DT_HALF)});
  EXPECT_EQ(o.dtype, DT_HALF);
  expect_near(o, {2}, {1, 1}, 0);
  Tensor b = run_op1("OnesLike", {tensor_b({1}, {false})});
  EXPECT_EQ(b.dtype, DT_BOOL);
  expect_near(b, {1}, {1});
}

TEST(EvalUnary, HalfInHalfOut) {
  Tensor e = run_op1("Exp", {tensor_f({1}, {1}, DT_HALF)});
  EXPECT_EQ(e.dtype, DT_HALF);
  expect_near(e, {1}, {2.71875}, 0);  // e rounded to half
  Tensor r = run_op1("Relu", {tensor_f({2}, {-1, 0.1f}, tfprod::tf::DT_BFLOAT16)});
  EXPECT_EQ(r.dtype, tfprod::tf::DT_BFLOAT16);
  expect_near(r, {2}, {0, 0.10009765625}, 0);  // 0.1 in bfloat16
}

}  // namespace
}  // namespace tfprod
