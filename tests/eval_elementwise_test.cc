// Element-wise binary family: broadcasting (scalars, size-1 dims, rank
// mismatch, empty tensors, errors), TF's integer semantics, NaN handling,
// half/bfloat16 narrowing, Select/SelectV2, AddN, ClipByValue.
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

TEST(EvalElementwise, ScalarOperandOnEitherSide) {
  expect_near(run_op1("Add", {tensor_f({}, {10}), tensor_f({2, 2}, {1, 2, 3, 4})}), {2, 2}, {11, 12, 13, 14});
  expect_near(run_op1("Sub", {tensor_f({2, 2}, {1, 2, 3, 4}), tensor_f({}, {1})}), {2, 2}, {0, 1, 2, 3});
  expect_near(run_op1("Sub", {tensor_f({}, {10}), tensor_f({3}, {1, 2, 3})}), {3}, {9, 8, 7});
  expect_near(run_op1("Mul", {tensor_f({}, {3}), tensor_f({}, {4})}), {}, {12});
}

TEST(EvalElementwise, SizeOneDimsAndRankMismatch) {
  expect_near(run_op1("Mul", {tensor_f({2, 1}, {1, 2}), tensor_f({1, 3}, {10, 20, 30})}), {2, 3},
              {10, 20, 30, 20, 40, 60});
  expect_near(run_op1("AddV2", {tensor_f({3}, {1, 2, 3}), tensor_f({2, 3}, {0, 10, 20, 30, 40, 50})}), {2, 3},
              {1, 12, 23, 31, 42, 53});
  // out[i,j,k] = a[i,0,k] + b[i,j,0]
  expect_near(run_op1("Add", {tensor_f({2, 1, 3}, {1, 2, 3, 4, 5, 6}), tensor_f({2, 2, 1}, {10, 20, 30, 40})}),
              {2, 2, 3}, {11, 12, 13, 21, 22, 23, 34, 35, 36, 44, 45, 46});
}

// Many shape pairs against a naive index computation.
TEST(EvalElementwise, BroadcastMatchesNaiveIndexing) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 1, 4, 1, 2}, {5, 1}}, {{2, 3, 4}, {4}},     {{2, 3, 4}, {3, 1}}, {{1, 1, 5}, {2, 3, 1}},
      {{4, 1}, {1, 1, 1, 6}},       {{2, 1, 3, 1}, {2, 1, 1, 4}}, {{7}, {7}},          {{1}, {2, 2}}};
  for (const auto& [sa, sb] : cases) {
    std::vector<float> va(static_cast<std::size_t>(num_elements(sa))), vb(static_cast<std::size_t>(num_elements(sb)));
    for (std::size_t i = 0; i < va.size(); ++i) va[i] = static_cast<float>(i);
    for (std::size_t i = 0; i < vb.size(); ++i) vb[i] = static_cast<float>(1000 * (i + 1));
    Tensor got = run_op1("Add", {tensor_f(sa, va), tensor_f(sb, vb)});
    const std::size_t rank = std::max(sa.size(), sb.size());
    Shape pa(rank - sa.size(), 1), pb(rank - sb.size(), 1), out(rank);
    pa.insert(pa.end(), sa.begin(), sa.end());
    pb.insert(pb.end(), sb.begin(), sb.end());
    for (std::size_t d = 0; d < rank; ++d) out[d] = std::max(pa[d], pb[d]);
    std::vector<double> want(static_cast<std::size_t>(num_elements(out)));
    for (std::size_t flat = 0; flat < want.size(); ++flat) {
      int64_t rest = static_cast<int64_t>(flat), ia = 0, ib = 0, ma = 1, mb = 1;
      for (std::size_t d = rank; d-- > 0;) {
        const int64_t idx = rest % out[d];
        rest /= out[d];
        ia += (pa[d] == 1 ? 0 : idx) * ma;
        ib += (pb[d] == 1 ? 0 : idx) * mb;
        ma *= pa[d];
        mb *= pb[d];
      }
      want[flat] = va[static_cast<std::size_t>(ia)] + vb[static_cast<std::size_t>(ib)];
    }
    SCOPED_TRACE(shape_string(sa) + " + " + shape_string(sb));
    expect_near(got, out, want, 0);
  }
}

TEST(EvalElementwise, EmptyTensorsBroadcastToEmpty) {
  EXPECT_EQ(run_op1("Add", {tensor_f({0, 3}, {}), tensor_f({3}, {1, 2, 3})}).shape, (Shape{0, 3}));
  EXPECT_EQ(run_op1("Mul", {tensor_f({2, 0}, {}), tensor_f({2, 1}, {1, 2})}).shape, (Shape{2, 0}));
  EXPECT_EQ(run_op1("Greater", {tensor_f({0}, {}), tensor_f({}, {1})}).shape, (Shape{0}));
  // No divisor check when nothing is computed.
  EXPECT_EQ(run_op1("FloorDiv", {tensor_i({0}, {}), tensor_i({1}, {0})}).shape, (Shape{0}));
}

TEST(EvalElementwise, IncompatibleShapesFailClearly) {
  std::string e = error_of([] { run_op1("Add", {tensor_f({2, 3}, {1, 2, 3, 4, 5, 6}), tensor_f({4}, {1, 2, 3, 4})}); });
  EXPECT_NE(e.find("node 'op' (op Add): shapes [2,3] and [4] cannot be broadcast"), std::string::npos) << e;
  e = error_of([] { run_op1("Add", {tensor_f({2, 0}, {}), tensor_f({2, 3}, {1, 2, 3, 4, 5, 6})}); });
  EXPECT_NE(e.find("shapes [2,0] and [2,3] cannot be broadcast"), std::string::npos) << e;
  e = error_of([] { run_op1("Add", {tensor_f({2}, {1, 2}), tensor_i({2}, {1, 2})}); });
  EXPECT_NE(e.find("different dtypes"), std::string::npos) << e;
}

TEST(EvalElementwise, IntegerDivisionSemantics) {
  auto x = tensor_i({4}, {7, -7, 7, -7});
  auto y = tensor_i({4}, {2, 2, -2, -2});
  expect_near(run_op1("FloorDiv", {x, y}), {4}, {3, -4, -4, 3});
  expect_near(run_op1("FloorMod", {x, y}), {4}, {1, 1, -1, -1});
  expect_near(run_op1("TruncateDiv", {x, y}), {4}, {3, -3, -3, 3});
  expect_near(run_op1("Div", {x, y}), {4}, {3, -3, -3, 3});  // TF1 Div truncates integers
  expect_near(run_op1("TruncateMod", {x, y}), {4}, {1, -1, 1, -1});
  expect_near(run_op1("FloorDiv", {tensor_i({2}, {6, -6}), tensor_i({}, {3})}), {2}, {2, -2});  // exact
  // MIN / -1 wraps instead of trapping.
  expect_near(run_op1("FloorDiv", {tensor_i({1}, {INT32_MIN}), tensor_i({1}, {-1})}), {1}, {INT32_MIN});
  expect_near(run_op1("FloorMod", {tensor_i({1}, {INT32_MIN}), tensor_i({1}, {-1})}), {1}, {0});
  std::string e = error_of([] { run_op1("FloorDiv", {tensor_i({2}, {1, 2}), tensor_i({2}, {1, 0})}); });
  EXPECT_NE(e.find("Integer division by zero"), std::string::npos) << e;
  e = error_of([] { run_op1("Div", {tensor_i({1}, {1}), tensor_i({}, {0})}); });
  EXPECT_NE(e.find("Integer division by zero"), std::string::npos) << e;
}

TEST(EvalElementwise, FloatDivisionSemantics) {
  expect_near(run_op1("FloorDiv", {tensor_f({2}, {7.5f, -7.5f}), tensor_f({}, {2})}), {2}, {3, -4});
  expect_near(run_op1("FloorMod", {tensor_f({3}, {7.5f, -7.5f, 5}), tensor_f({3}, {2, 2, -3})}), {3}, {1.5, 0.5, -1});
  expect_near(run_op1("RealDiv", {tensor_f({2}, {1, -3}), tensor_f({2}, {4, 2})}), {2}, {0.25, -1.5});
  expect_near(run_op1("Div", {tensor_f({1}, {1}), tensor_f({1}, {8})}), {1}, {0.125});
  expect_near(run_op1("DivNoNan", {tensor_f({2}, {1, 2}), tensor_f({2}, {0, 4})}), {2}, {0, 0.5});
  Tensor inf = run_op1("RealDiv", {tensor_f({1}, {1}), tensor_f({1}, {0})});
  EXPECT_TRUE(std::isinf(to_doubles(inf)[0]));
}

TEST(EvalElementwise, IntegerOverflowWraps) {
  expect_near(run_op1("Add", {tensor_i({1}, {INT32_MAX}), tensor_i({1}, {1})}), {1}, {INT32_MIN});
  expect_near(run_op1("Mul", {tensor_i({1}, {100}, tfprod::tf::DT_INT8), tensor_i({1}, {3}, tfprod::tf::DT_INT8)}), {1},
              {44});  // 300 mod 256
  expect_near(run_op1("Sub", {tensor_i({1}, {0}, tfprod::tf::DT_UINT8), tensor_i({1}, {1}, tfprod::tf::DT_UINT8)}), {1},
              {255});
}

TEST(EvalElementwise, PowMaxMinSquaredDifference) {
  expect_near(run_op1("Pow", {tensor_f({2}, {2, 4}), tensor_f({2}, {3, 0.5f})}), {2}, {8, 2});
  expect_near(run_op1("Pow", {tensor_i({3}, {2, -3, 5}, tfprod::tf::DT_INT64), tensor_i({3}, {10, 3, 0}, tfprod::tf::DT_INT64)}),
              {3}, {1024, -27, 1});
  std::string e = error_of([] { run_op1("Pow", {tensor_i({1}, {2}), tensor_i({1}, {-1})}); });
  EXPECT_NE(e.find("Integers to negative integer powers are not allowed"), std::string::npos) << e;
  expect_near(run_op1("Maximum", {tensor_f({2}, {1, 5}), tensor_f({2}, {3, 2})}), {2}, {3, 5});
  expect_near(run_op1("Minimum", {tensor_i({2}, {1, 5}), tensor_i({}, {3})}), {2}, {1, 3});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const char* op : {"Maximum", "Minimum"}) {
    auto v = to_doubles(run_op1(op, {tensor_f({2}, {nan, 1}), tensor_f({2}, {0, nan})}));
    EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1])) << op << " propagates NaN";
  }
  expect_near(run_op1("SquaredDifference", {tensor_f({2}, {1, 5}), tensor_f({2}, {4, 2})}), {2}, {9, 9});
  expect_near(run_op1("SquaredDifference", {tensor_i({1}, {-3}), tensor_i({1}, {4})}), {1}, {49});
}

TEST(EvalElementwise, ComparisonsGiveBool) {
  auto x = tensor_f({3}, {1, 2, 3});
  auto two = tensor_f({}, {2});
  Tensor g = run_op1("Greater", {x, two});
  EXPECT_EQ(g.dtype, DT_BOOL);
  expect_near(g, {3}, {0, 0, 1});
  expect_near(run_op1("GreaterEqual", {x, two}), {3}, {0, 1, 1});
  expect_near(run_op1("Less", {x, two}), {3}, {1, 0, 0});
  expect_near(run_op1("LessEqual", {x, two}), {3}, {1, 1, 0});
  expect_near(run_op1("Equal", {x, two}, {attr_bool("incompatible_shape_error", true)}), {3}, {0, 1, 0});
  expect_near(run_op1("NotEqual", {x, two}), {3}, {1, 0, 1});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_near(run_op1("Equal", {tensor_f({1}, {nan}), tensor_f({1}, {nan})}), {1}, {0});
  expect_near(run_op1("NotEqual", {tensor_f({1}, {nan}), tensor_f({1}, {nan})}), {1}, {1});
  expect_near(run_op1("Equal", {tensor_b({3}, {true, false, true}), tensor_b({}, {true})}), {3}, {1, 0, 1});
  expect_near(run_op1("Less", {tensor_f({2}, {1.5f, 3}, DT_HALF), tensor_f({2}, {2, 2}, DT_HALF)}), {2}, {1, 0});
  // incompatible_shape_error = false: a scalar "not equal" instead of an error.
  const std::vector<Tensor> bad = {tensor_f({2}, {1, 2}), tensor_f({3}, {1, 2, 3})};
  expect_near(run_op1("Equal", bad, {attr_bool("incompatible_shape_error", false)}), {}, {0});
  expect_near(run_op1("NotEqual", bad, {attr_bool("incompatible_shape_error", false)}), {}, {1});
  EXPECT_THROW(run_op1("Equal", bad), Error);
  Tensor s = eval::make_tensor(tfprod::tf::DT_STRING, {2});
  s.strings = {"a", "b"};
  Tensor t = eval::make_tensor(tfprod::tf::DT_STRING, {});
  t.strings = {"b"};
  expect_near(run_op1("Equal", {s, t}), {2}, {0, 1});
  Tensor cat = run_op1("Add", {s, t});
  EXPECT_EQ(cat.strings, (std::vector<std::string>{"ab", "bb"}));
}

TEST(EvalElementwise, LogicalOps) {
  auto a = tensor_b({2, 1}, {true, false});
  auto b = tensor_b({2}, {true, false});
  Tensor x = run_op1("LogicalAnd", {a, b});
  EXPECT_EQ(x.dtype, DT_BOOL);
  expect_near(x, {2, 2}, {1, 0, 0, 0});
  expect_near(run_op1("LogicalOr", {a, b}), {2, 2}, {1, 1, 1, 0});
  EXPECT_THROW(run_op1("LogicalAnd", {tensor_f({1}, {1}), tensor_f({1}, {1})}), Error);
}

TEST(EvalElementwise, HalfAndBfloat16ComputeInFloatAndNarrow) {
  Tensor h = run_op1("Add", {tensor_f({2}, {1, 2.5f}, DT_HALF), tensor_f({2}, {0.5f, 0.25f}, DT_HALF)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {2}, {1.5, 2.75}, 0);
  // 1 + 0.0001 is 1 in half precision (spacing 2^-10 near 1).
  expect_near(run_op1("Add", {tensor_f({1}, {1}, DT_HALF), tensor_f({1}, {0.0001f}, DT_HALF)}), {1}, {1.0}, 0);
  Tensor b = run_op1("Mul", {tensor_f({1}, {3}, tfprod::tf::DT_BFLOAT16), tensor_f({1}, {1.5f}, tfprod::tf::DT_BFLOAT16)});
  EXPECT_EQ(b.dtype, tfprod::tf::DT_BFLOAT16);
  expect_near(b, {1}, {4.5}, 0);
}

TEST(EvalElementwise, SelectFollowsTf1Rules) {
  auto t = tensor_f({2, 2}, {1, 2, 3, 4});
  auto e = tensor_f({2, 2}, {5, 6, 7, 8});
  expect_near(run_op1("Select", {tensor_b({2, 2}, {true, false, false, true}), t, e}), {2, 2}, {1, 6, 7, 4});
  expect_near(run_op1("Select", {tensor_b({2}, {true, false}), t, e}), {2, 2}, {1, 2, 7, 8});  // rows
  expect_near(run_op1("Select", {tensor_b({}, {false}), t, e}), {2, 2}, {5, 6, 7, 8});
  std::string err = error_of([&] { run_op1("Select", {tensor_b({3}, {true, false, true}), t, e}); });
  EXPECT_NE(err.find("vector condition"), std::string::npos) << err;
  EXPECT_THROW(run_op1("Select", {tensor_b({2}, {true, false}), t, tensor_f({2}, {1, 2})}), Error);
  // A rank-1 'then' with a same-length cond is element-wise.
  expect_near(run_op1("Select", {tensor_b({2}, {false, true}), tensor_i({2}, {1, 2}), tensor_i({2}, {3, 4})}), {2},
              {3, 2});
}

TEST(EvalElementwise, SelectV2Broadcasts) {
  Tensor out = run_op1("SelectV2", {tensor_b({2, 1}, {true, false}), tensor_f({}, {1}), tensor_f({3}, {7, 8, 9})});
  expect_near(out, {2, 3}, {1, 1, 1, 7, 8, 9});
  Tensor h = run_op1("SelectV2", {tensor_b({2}, {false, true}), tensor_f({2}, {1, 2}, DT_HALF), tensor_f({}, {0.5f}, DT_HALF)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {2}, {0.5, 2}, 0);
  std::string err = error_of([] {
    run_op1("SelectV2", {tensor_b({2}, {true, false}), tensor_f({3}, {1, 2, 3}), tensor_f({}, {0})});
  });
  EXPECT_NE(err.find("shapes [2], [3] and [] cannot be broadcast"), std::string::npos) << err;
}

TEST(EvalElementwise, AddNSumsInOrder) {
  expect_near(run_op1("AddN", {tensor_f({2}, {1, 2}), tensor_f({2}, {10, 20}), tensor_f({2}, {100, 200})},
                      {attr_int("N", 3)}),
              {2}, {111, 222});
  expect_near(run_op1("AddN", {tensor_i({1}, {INT32_MAX}), tensor_i({1}, {2})}), {1}, {INT32_MIN + 1});
  // Half: 2048 + 1 rounds back to 2048 (ties to even), then again: 2048, not 2050.
  Tensor h = run_op1("AddN", {tensor_f({1}, {2048}, DT_HALF), tensor_f({1}, {1}, DT_HALF), tensor_f({1}, {1}, DT_HALF)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {1}, {2048}, 0);
  EXPECT_THROW(run_op1("AddN", {tensor_f({2}, {1, 2}), tensor_f({3}, {1, 2, 3})}), Error);
}

TEST(EvalElementwise, ClipByValue) {
  expect_near(run_op1("ClipByValue", {tensor_f({3}, {-1, 0.5f, 3}), tensor_f({}, {0}), tensor_f({}, {1})}), {3},
              {0, 0.5, 1});
  expect_near(run_op1("ClipByValue", {tensor_i({3}, {-5, 5, 50}), tensor_i({3}, {0, 6, 0}), tensor_i({3}, {10, 10, 10})}),
              {3}, {0, 6, 10});
  // lo > hi: the lower bound wins, as min(x, hi) is taken first.
  expect_near(run_op1("ClipByValue", {tensor_f({2}, {4, 10}), tensor_f({}, {5}), tensor_f({}, {3})}), {2}, {5, 5});
}

}  // namespace
}  // namespace tfprod
