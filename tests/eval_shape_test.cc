// Shape family: Shape/ShapeN/Size/Rank, Reshape, Squeeze, ExpandDims, Fill,
// Range, LinSpace, BroadcastTo, BroadcastArgs. Expected values are worked
// out by hand.
#include <gtest/gtest.h>

#include "eval_test_support.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

using namespace tfprod::test;
using tfprod::tf::DT_FLOAT;
using tfprod::tf::DT_HALF;
using tfprod::tf::DT_INT32;
using tfprod::tf::DT_INT64;

TEST(EvalShape, ShapeSizeRank) {
  Tensor x = iota_f({2, 3, 0});
  Tensor s = run_op1("Shape", {x});
  EXPECT_EQ(s.dtype, DT_INT32);
  expect_near(s, {3}, {2, 3, 0});
  Tensor s64 = run_op1("Shape", {x}, {attr_type("out_type", DT_INT64)});
  EXPECT_EQ(s64.dtype, DT_INT64);
  expect_near(s64, {3}, {2, 3, 0});
  auto n = run_op("ShapeN", {iota_f({4}), iota_f({})}, {attr_int("N", 2)}, 2);
  expect_near(n[0], {1}, {4});
  expect_near(n[1], {0}, {});
  expect_near(run_op1("Size", {iota_f({2, 3})}), {}, {6});
  expect_near(run_op1("Size", {x}, {attr_type("out_type", DT_INT64)}), {}, {0});
  expect_near(run_op1("Rank", {iota_f({2, 3})}), {}, {2});
  expect_near(run_op1("Rank", {iota_f({})}), {}, {0});
}

TEST(EvalShape, ReshapeInfersMinusOne) {
  expect_near(run_op1("Reshape", {iota_f({2, 3}), tensor_i({2}, {3, -1})}), {3, 2}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("Reshape", {iota_f({2, 3}), tensor_i({1}, {-1}, DT_INT64)}), {6}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("Reshape", {iota_f({1}), tensor_i({0}, {})}), {}, {0});
  // Empty tensors: -1 is inferred from the non-zero sizes.
  expect_near(run_op1("Reshape", {iota_f({0, 3}), tensor_i({2}, {-1, 3})}), {0, 3}, {});
  expect_near(run_op1("Reshape", {iota_f({0, 3}), tensor_i({3}, {3, 0, 2})}), {3, 0, 2}, {});
  Tensor s = run_op1("Reshape", {strings({2, 2}, {"a", "b", "c", "d"}), tensor_i({1}, {4})});
  EXPECT_EQ(s.shape, (Shape{4}));
  EXPECT_EQ(s.strings, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(EvalShape, ReshapeErrorsNameBothShapes) {
  expect_error("Reshape", {iota_f({2, 3}), tensor_i({1}, {4})}, {}, {"node 'op' (op Reshape)", "[2,3]", "[4]"});
  expect_error("Reshape", {iota_f({2, 3}), tensor_i({2}, {4, -1})}, {}, {"[2,3]", "[4,-1]"});
  expect_error("Reshape", {iota_f({2, 3}), tensor_i({2}, {-1, -1})}, {}, {"only one"});
  expect_error("Reshape", {iota_f({0, 3}), tensor_i({2}, {0, -1})}, {}, {"cannot infer"});
  expect_error("Reshape", {iota_f({2}), tensor_i({2}, {-2, -1})}, {}, {"negative"});
}

TEST(EvalShape, SqueezeAndExpandDims) {
  Tensor x = iota_f({1, 2, 1, 3});
  expect_near(run_op1("Squeeze", {x}), {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("Squeeze", {x}, {attr_ints("squeeze_dims", {-2})}), {1, 2, 3}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("Squeeze", {x}, {attr_ints("squeeze_dims", {0, 2})}), {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_error("Squeeze", {x}, {attr_ints("squeeze_dims", {1})}, {"not 1"});
  expect_error("Squeeze", {x}, {attr_ints("squeeze_dims", {4})}, {"out of range"});

  Tensor y = iota_f({2, 3});
  expect_near(run_op1("ExpandDims", {y, scalar_i(0)}), {1, 2, 3}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("ExpandDims", {y, scalar_i(-1)}), {2, 3, 1}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("ExpandDims", {y, scalar_i(-3, DT_INT64)}), {1, 2, 3}, {0, 1, 2, 3, 4, 5});
  expect_near(run_op1("ExpandDims", {y, tensor_i({1}, {1})}), {2, 1, 3}, {0, 1, 2, 3, 4, 5});
  expect_error("ExpandDims", {y, scalar_i(3)}, {}, {"out of range"});
  expect_error("ExpandDims", {y, scalar_i(-4)}, {}, {"out of range"});
}

TEST(EvalShape, Fill) {
  Tensor f = run_op1("Fill", {tensor_i({2}, {2, 2}), tensor_f({}, {7.5f})});
  EXPECT_EQ(f.dtype, DT_FLOAT);
  expect_near(f, {2, 2}, {7.5, 7.5, 7.5, 7.5});
  Tensor h = run_op1("Fill", {tensor_i({1}, {3}), tensor_f({}, {0.5f}, DT_HALF)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {3}, {0.5, 0.5, 0.5}, 0);
  expect_near(run_op1("Fill", {tensor_i({2}, {0, 4}), tensor_f({}, {1})}), {0, 4}, {});
  expect_near(run_op1("Fill", {tensor_i({0}, {}), scalar_i(9, DT_INT64)}), {}, {9});
  Tensor s = run_op1("Fill", {tensor_i({1}, {2}), strings({}, {"ab"})});
  EXPECT_EQ(s.strings, (std::vector<std::string>{"ab", "ab"}));
  expect_error("Fill", {tensor_i({1}, {-1}), tensor_f({}, {1})}, {}, {"negative"});
  expect_error("Fill", {tensor_i({1}, {2}), tensor_f({1}, {1})}, {}, {"scalar"});
}

TEST(EvalShape, Range) {
  Tensor r = run_op1("Range", {scalar_i(0), scalar_i(10), scalar_i(3)});
  EXPECT_EQ(r.dtype, DT_INT32);
  expect_near(r, {4}, {0, 3, 6, 9});
  expect_near(run_op1("Range", {scalar_i(5, DT_INT64), scalar_i(0, DT_INT64), scalar_i(-2, DT_INT64)}), {3}, {5, 3, 1});
  expect_near(run_op1("Range", {tensor_f({}, {0}), tensor_f({}, {1}), tensor_f({}, {0.25f})}), {4}, {0, 0.25, 0.5, 0.75});
  expect_near(run_op1("Range", {tensor_f({}, {1}), tensor_f({}, {-0.5f}), tensor_f({}, {-0.5f})}), {3}, {1, 0.5, 0});
  expect_near(run_op1("Range", {scalar_i(3), scalar_i(3), scalar_i(1)}), {0}, {});
  expect_error("Range", {scalar_i(3), scalar_i(1), scalar_i(1)}, {}, {"start <= limit"});
  expect_error("Range", {scalar_i(1), scalar_i(3), scalar_i(-1)}, {}, {"start >= limit"});
  expect_error("Range", {scalar_i(1), scalar_i(3), scalar_i(0)}, {}, {"delta != 0"});
}

TEST(EvalShape, LinSpace) {
  expect_near(run_op1("LinSpace", {tensor_f({}, {0}), tensor_f({}, {1}), scalar_i(5)}), {5}, {0, 0.25, 0.5, 0.75, 1});
  expect_near(run_op1("LinSpace", {tensor_f({}, {2}), tensor_f({}, {9}), scalar_i(1)}), {1}, {2});
}

TEST(EvalShape, BroadcastToAndArgs) {
  expect_near(run_op1("BroadcastTo", {tensor_f({3}, {1, 2, 3}), tensor_i({2}, {2, 3})}), {2, 3}, {1, 2, 3, 1, 2, 3});
  expect_near(run_op1("BroadcastTo", {tensor_f({2, 1}, {1, 2}), tensor_i({2}, {2, 3})}), {2, 3}, {1, 1, 1, 2, 2, 2});
  expect_near(run_op1("BroadcastTo", {tensor_f({}, {4}), tensor_i({2}, {1, 2})}), {1, 2}, {4, 4});
  expect_near(run_op1("BroadcastTo", {tensor_f({1}, {4}), tensor_i({2}, {0, 2})}), {0, 2}, {});
  expect_error("BroadcastTo", {tensor_f({2}, {1, 2}), tensor_i({1}, {3})}, {}, {"[2]", "[3]"});
  expect_error("BroadcastTo", {tensor_f({2, 1}, {1, 2}), tensor_i({1}, {2})}, {}, {"cannot broadcast"});
  expect_near(run_op1("BroadcastArgs", {tensor_i({2}, {2, 1}), tensor_i({1}, {3})}), {2}, {2, 3});
  expect_near(run_op1("BroadcastArgs", {tensor_i({1}, {1}), tensor_i({2}, {4, 0})}), {2}, {4, 0});
  expect_error("BroadcastArgs", {tensor_i({1}, {2}), tensor_i({1}, {3})}, {}, {"incompatible"});
}

TEST(EvalShape, BroadcastGradientArgs) {
  auto r = run_op("BroadcastGradientArgs", {tensor_i({2}, {2, 3}), tensor_i({1}, {3})}, {}, 2);
  expect_near(r[0], {0}, {});
  expect_near(r[1], {1}, {0});
  r = run_op("BroadcastGradientArgs", {tensor_i({3}, {2, 1, 3}), tensor_i({3}, {1, 4, 1})}, {}, 2);
  expect_near(r[0], {1}, {1});
  expect_near(r[1], {2}, {0, 2});
  r = run_op("BroadcastGradientArgs", {tensor_i({2}, {2, 1}), tensor_i({2}, {2, 1})}, {}, 2);  // equal: none
  expect_near(r[0], {0}, {});
  expect_near(r[1], {0}, {});
  r = run_op("BroadcastGradientArgs", {tensor_i({1}, {1}), tensor_i({2}, {1, 1})}, {}, 2);  // all ones: both
  expect_near(r[0], {2}, {0, 1});
  expect_near(r[1], {2}, {0, 1});
  EXPECT_THROW(run_op("BroadcastGradientArgs", {tensor_i({1}, {2}), tensor_i({1}, {3})}, {}, 2), Error);
}

}  // namespace
}  // namespace tfprod
