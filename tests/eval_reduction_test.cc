// Reduction family: axes (negative, several, empty, duplicates), keep_dims,
// integer Mean, wrap-around, empty reductions' identities, NaN in Max/Min,
// half narrowing, ArgMax/ArgMin ties and output_type.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
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
using tfprod::tf::DT_INT64;

Tensor axes(std::vector<int64_t> v) { return tensor_i({static_cast<int64_t>(v.size())}, v); }

Tensor x23() { return tensor_f({2, 3}, {1, 2, 3, 4, 5, 6}); }

TEST(EvalReduction, SumOverAxes) {
  expect_near(run_op1("Sum", {x23(), scalar_i(0)}), {3}, {5, 7, 9});
  expect_near(run_op1("Sum", {x23(), axes({1})}), {2}, {6, 15});
  expect_near(run_op1("Sum", {x23(), scalar_i(-1, DT_INT64)}), {2}, {6, 15});
  expect_near(run_op1("Sum", {x23(), axes({0, 1})}), {}, {21});
  expect_near(run_op1("Sum", {x23(), axes({})}), {2, 3}, {1, 2, 3, 4, 5, 6});  // no axes: identity
  expect_near(run_op1("Sum", {x23(), axes({0})}, {attr_bool("keep_dims", true)}), {1, 3}, {5, 7, 9});
  expect_near(run_op1("Sum", {x23(), axes({-1})}, {attr_bool("keepdims", true)}), {2, 1}, {6, 15});
  expect_near(run_op1("Sum", {tensor_f({}, {4}), axes({})}), {}, {4});
}

TEST(EvalReduction, MiddleAndSplitAxes) {
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = static_cast<float>(i);  // x[i,j,k] = 6i + 2j + k
  auto x = tensor_f({2, 3, 2}, v);
  expect_near(run_op1("Sum", {x, scalar_i(1)}), {2, 2}, {6, 9, 24, 27});
  expect_near(run_op1("Sum", {x, axes({0, 2})}), {3}, {14, 22, 30});
  expect_near(run_op1("Max", {x, axes({2, 0})}, {attr_bool("keep_dims", true)}), {1, 3, 1}, {7, 9, 11});
}

TEST(EvalReduction, MeanProdMaxMin) {
  auto x = tensor_f({2, 3}, {1, 5, 3, -2, 0, 4});
  expect_near(run_op1("Mean", {x, scalar_i(1)}), {2}, {3, 2.0 / 3});
  expect_near(run_op1("Prod", {x, scalar_i(1)}), {2}, {15, 0});
  expect_near(run_op1("Max", {x, scalar_i(1)}), {2}, {5, 4});
  expect_near(run_op1("Min", {x, scalar_i(1)}), {2}, {1, -2});
  expect_near(run_op1("Min", {tensor_i({3}, {4, -9, 2}, DT_INT64), scalar_i(0)}), {}, {-9});
}

TEST(EvalReduction, IntegerMeanTruncatesAndSumsWrap) {
  expect_near(run_op1("Mean", {tensor_i({3}, {1, 2, 2}), scalar_i(0)}), {}, {1});    // 5 / 3
  expect_near(run_op1("Mean", {tensor_i({2}, {-1, -2}), scalar_i(0)}), {}, {-1});   // -3 / 2 truncates
  // int8 is summed in int64: 300 / 3, no overflow.
  expect_near(run_op1("Mean", {tensor_i({3}, {100, 100, 100}, tfprod::tf::DT_INT8), scalar_i(0)}), {}, {100});
  expect_near(run_op1("Sum", {tensor_i({2}, {INT32_MAX, 1}), scalar_i(0)}), {}, {INT32_MIN});
  expect_near(run_op1("Prod", {tensor_i({2}, {16, 16}, tfprod::tf::DT_UINT8), scalar_i(0)}), {}, {0});  // 256 wraps
}

TEST(EvalReduction, EmptyReductionsGiveIdentities) {
  auto e = tensor_f({0, 3}, {});
  expect_near(run_op1("Sum", {e, scalar_i(0)}), {3}, {0, 0, 0});
  expect_near(run_op1("Prod", {e, scalar_i(0)}), {3}, {1, 1, 1});
  for (double v : to_doubles(run_op1("Mean", {e, scalar_i(0)}))) EXPECT_TRUE(std::isnan(v));
  for (double v : to_doubles(run_op1("Max", {e, scalar_i(0)}))) EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  for (double v : to_doubles(run_op1("Min", {e, scalar_i(0)}))) EXPECT_EQ(v, std::numeric_limits<double>::infinity());
  auto ei = tensor_i({0, 2}, {});
  expect_near(run_op1("Mean", {ei, scalar_i(0)}), {2}, {0, 0});
  expect_near(run_op1("Max", {ei, scalar_i(0)}), {2}, {INT32_MIN, INT32_MIN});
  auto eb = tensor_b({2, 0}, {});
  expect_near(run_op1("All", {eb, scalar_i(1)}), {2}, {1, 1});
  expect_near(run_op1("Any", {eb, scalar_i(1)}), {2}, {0, 0});
  EXPECT_EQ(run_op1("Sum", {e, scalar_i(1)}).shape, (Shape{0}));  // nothing left to hold
}

TEST(EvalReduction, MaxMinPropagateNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = tensor_f({2, 3}, {1, nan, 3, 4, 5, 6});
  auto mx = to_doubles(run_op1("Max", {x, scalar_i(1)}));
  EXPECT_TRUE(std::isnan(mx[0]));
  EXPECT_EQ(mx[1], 6);
  auto mn = to_doubles(run_op1("Min", {x, scalar_i(1)}));
  EXPECT_TRUE(std::isnan(mn[0]));
  EXPECT_EQ(mn[1], 4);
}

TEST(EvalReduction, AllAny) {
  auto b = tensor_b({2, 2}, {true, false, true, true});
  Tensor all = run_op1("All", {b, scalar_i(1)});
  EXPECT_EQ(all.dtype, DT_BOOL);
  expect_near(all, {2}, {0, 1});
  expect_near(run_op1("Any", {b, scalar_i(1)}), {2}, {1, 1});
  expect_near(run_op1("Any", {tensor_b({2}, {false, false}), scalar_i(0)}), {}, {0});
  expect_near(run_op1("All", {b, axes({0, 1})}, {attr_bool("keep_dims", true)}), {1, 1}, {0});
}

TEST(EvalReduction, AxisErrors) {
  std::string e = error_of([] { run_op1("Sum", {x23(), axes({0, -2})}); });
  EXPECT_NE(e.find("node 'op' (op Sum): Invalid reduction arguments: Axes contains duplicate dimension: 0"),
            std::string::npos)
      << e;
  e = error_of([] { run_op1("Max", {x23(), scalar_i(2)}); });
  EXPECT_NE(e.find("Invalid reduction dimension (2 for input with 2 dimension(s))"), std::string::npos) << e;
}

TEST(EvalReduction, HalfInHalfOut) {
  Tensor s = run_op1("Sum", {tensor_f({3}, {1, 2, 3.5f}, DT_HALF), scalar_i(0)});
  EXPECT_EQ(s.dtype, DT_HALF);
  expect_near(s, {}, {6.5}, 0);
  Tensor m = run_op1("Mean", {tensor_f({2, 2}, {1, 2, 3, 4}, tfprod::tf::DT_BFLOAT16), scalar_i(0)});
  EXPECT_EQ(m.dtype, tfprod::tf::DT_BFLOAT16);
  expect_near(m, {2}, {2, 3}, 0);
}

TEST(EvalReduction, ArgMaxArgMinFirstOnTies) {
  auto x = tensor_f({2, 3}, {1, 5, 5, 7, 0, 7});
  Tensor a = run_op1("ArgMax", {x, scalar_i(1)});
  EXPECT_EQ(a.dtype, DT_INT64);  // default output_type
  expect_near(a, {2}, {1, 0});
  expect_near(run_op1("ArgMin", {x, scalar_i(-1)}), {2}, {0, 1});
  expect_near(run_op1("ArgMax", {x, scalar_i(0)}), {3}, {1, 0, 1});
  Tensor a32 = run_op1("ArgMin", {x, scalar_i(0)}, {attr_type("output_type", DT_INT32)});
  EXPECT_EQ(a32.dtype, DT_INT32);
  expect_near(a32, {3}, {0, 1, 0});
  expect_near(run_op1("ArgMax", {tensor_i({4}, {2, 9, 9, 1}), scalar_i(0)}), {}, {1});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_near(run_op1("ArgMax", {tensor_f({3}, {nan, 1, 2}), scalar_i(0)}), {}, {2});  // NaN never wins
  std::string e = error_of([] { run_op1("ArgMax", {tensor_f({2, 0}, {}), scalar_i(1)}); });
  EXPECT_NE(e.find("Reduction axis 1 is empty in shape [2,0]"), std::string::npos) << e;
}

}  // namespace
}  // namespace tfprod
