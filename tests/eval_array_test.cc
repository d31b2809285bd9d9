// Array family: StridedSlice (mask combinations), Slice, Pack/Unpack,
// Concat/ConcatV2, Split/SplitV, Transpose, Tile, Pad/PadV2/MirrorPad,
// Gather/GatherV2, OneHot, ReverseV2, Where. Expected values are worked out
// by hand.
#include <gtest/gtest.h>

#include "eval_test_support.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

using namespace tfprod::test;
using tfprod::tf::DT_BOOL;
using tfprod::tf::DT_HALF;
using tfprod::tf::DT_INT32;
using tfprod::tf::DT_INT64;

Tensor vec(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return tensor_i({n}, std::move(v));
}

struct Masks {
  int64_t begin = 0, end = 0, ellipsis = 0, new_axis = 0, shrink = 0;
};

Tensor strided(const Tensor& x, std::vector<int64_t> b, std::vector<int64_t> e, std::vector<int64_t> s, Masks m = {}) {
  return run_op1("StridedSlice", {x, vec(b), vec(e), vec(s)},
                 {attr_type("Index", DT_INT32), attr_int("begin_mask", m.begin), attr_int("end_mask", m.end),
                  attr_int("ellipsis_mask", m.ellipsis), attr_int("new_axis_mask", m.new_axis),
                  attr_int("shrink_axis_mask", m.shrink)});
}

TEST(EvalArray, StridedSlice1D) {
  Tensor x = iota_f({10});
  expect_near(strided(x, {2}, {8}, {2}), {3}, {2, 4, 6});
  expect_near(strided(x, {0}, {0}, {-1}, {.begin = 1, .end = 1}), {10}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  expect_near(strided(x, {-1}, {-11}, {-1}), {10}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});  // end clamps to -1
  expect_near(strided(x, {7}, {2}, {-2}), {3}, {7, 5, 3});
  expect_near(strided(x, {-100}, {100}, {1}), {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // clamped
  expect_near(strided(x, {100}, {-100}, {-3}), {4}, {9, 6, 3, 0});                    // clamped, reversed
  expect_near(strided(x, {8}, {2}, {1}), {0}, {});                                    // empty
  expect_near(strided(x, {-3}, {0}, {1}, {.end = 1}), {3}, {7, 8, 9});
  expect_near(strided(x, {3}, {4}, {1}, {.shrink = 1}), {}, {3});
  expect_near(strided(x, {-2}, {0}, {1}, {.shrink = 1}), {}, {8});  // foo[-2]
  expect_near(strided(x, {0, 0}, {0, 2}, {1, 1}, {.new_axis = 1}), {1, 2}, {0, 1});
  expect_error("StridedSlice", {x, vec({10}), vec({11}), vec({1})}, {attr_int("shrink_axis_mask", 1)}, {"out of bounds"});
  expect_error("StridedSlice", {x, vec({0}), vec({1}), vec({0})}, {}, {"non-zero"});
}

TEST(EvalArray, StridedSliceMaskCombinations) {
  Tensor x = iota_f({2, 3, 4});  // x[i,j,k] = 12i + 4j + k
  // x[1, ..., tf.newaxis, 1:3]
  expect_near(strided(x, {1, 0, 0, 1}, {2, 0, 0, 3}, {1, 1, 1, 1}, {.ellipsis = 2, .new_axis = 4, .shrink = 1}),
              {3, 1, 2}, {13, 14, 17, 18, 21, 22});
  // x[..., -1]
  expect_near(strided(x, {0, -1}, {0, 0}, {1, 1}, {.ellipsis = 1, .shrink = 2}), {2, 3}, {3, 7, 11, 15, 19, 23});
  // x[::-1, 2]
  expect_near(strided(x, {0, 2}, {0, 3}, {-1, 1}, {.begin = 1, .end = 1, .shrink = 2}), {2, 4},
              {20, 21, 22, 23, 8, 9, 10, 11});
  // x[:, tf.newaxis, ::-2, 1] : sparse entries 4, dense dims 3
  expect_near(strided(x, {0, 0, 0, 1}, {0, 0, 0, 2}, {1, 1, -2, 1}, {.begin = 5, .end = 5, .new_axis = 2, .shrink = 8}),
              {2, 1, 2}, {9, 1, 21, 13});
  // x[tf.newaxis, ..., tf.newaxis]
  expect_near(strided(x, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}, {.ellipsis = 2, .new_axis = 5}), {1, 2, 3, 4, 1},
              to_doubles(x));
  // x[1:, -2:] (implicit trailing ellipsis)
  expect_near(strided(x, {1, -2}, {0, 0}, {1, 1}, {.end = 3}), {1, 2, 4}, {16, 17, 18, 19, 20, 21, 22, 23});
  // x[0, 1, 2] to a scalar
  expect_near(strided(x, {0, 1, 2}, {1, 2, 3}, {1, 1, 1}, {.shrink = 7}), {}, {6});
  expect_error("StridedSlice", {x, vec({0, 0}), vec({1, 1}), vec({1, 1})}, {attr_int("ellipsis_mask", 3)},
               {"multiple ellipses"});
}

TEST(EvalArray, Slice) {
  Tensor x = iota_f({3, 4});
  expect_near(run_op1("Slice", {x, vec({1, 1}), vec({2, -1})}), {2, 3}, {5, 6, 7, 9, 10, 11});
  expect_near(run_op1("Slice", {x, vec({3, 0}), vec({0, 4})}), {0, 4}, {});
  expect_error("Slice", {x, vec({1, 1}), vec({3, 1})}, {}, {"size[0]"});
  expect_error("Slice", {x, vec({0, -1}), vec({1, 1})}, {}, {"begin[1]"});
}

TEST(EvalArray, PackAndUnpack) {
  Tensor a = tensor_f({2}, {1, 2}), b = tensor_f({2}, {3, 4});
  expect_near(run_op1("Pack", {a, b}, {attr_int("N", 2)}), {2, 2}, {1, 2, 3, 4});
  expect_near(run_op1("Pack", {a, b}, {attr_int("axis", -1)}), {2, 2}, {1, 3, 2, 4});
  expect_near(run_op1("Pack", {tensor_f({}, {5}), tensor_f({}, {6})}), {2}, {5, 6});
  Tensor bools = run_op1("Pack", {tensor_b({2}, {true, false}), tensor_b({2}, {false, true})}, {attr_int("axis", 1)});
  EXPECT_EQ(bools.dtype, DT_BOOL);
  expect_near(bools, {2, 2}, {1, 0, 0, 1});
  expect_error("Pack", {a, tensor_f({3}, {1, 2, 3})}, {}, {"value 1"});
  expect_error("Pack", {a, b}, {attr_int("axis", 2)}, {"out of range"});

  auto parts = run_op("Unpack", {iota_f({2, 3})}, {attr_int("num", 3), attr_int("axis", -1)}, 3);
  expect_near(parts[0], {2}, {0, 3});
  expect_near(parts[1], {2}, {1, 4});
  expect_near(parts[2], {2}, {2, 5});
  auto rows = run_op("Unpack", {iota_f({2, 3})}, {attr_int("num", 2)}, 2);
  expect_near(rows[1], {3}, {3, 4, 5});
  expect_error("Unpack", {iota_f({2, 3})}, {attr_int("num", 2), attr_int("axis", 1)}, {"num is 2"});
}

TEST(EvalArray, ConcatV2) {
  Tensor a = tensor_i({2, 1}, {1, 2}, DT_INT64), b = tensor_i({2, 2}, {10, 11, 20, 21}, DT_INT64);
  Tensor c = run_op1("ConcatV2", {a, b, scalar_i(-1)}, {attr_int("N", 2)});
  EXPECT_EQ(c.dtype, DT_INT64);
  expect_near(c, {2, 3}, {1, 10, 11, 2, 20, 21});
  Tensor h = run_op1("ConcatV2", {tensor_f({1, 2}, {0.5f, 1}, DT_HALF), tensor_f({1, 2}, {2, -3}, DT_HALF), scalar_i(0)});
  EXPECT_EQ(h.dtype, DT_HALF);
  expect_near(h, {2, 2}, {0.5, 1, 2, -3}, 0);
  // An empty input contributes nothing.
  expect_near(run_op1("ConcatV2", {tensor_i({2, 0}, {}, DT_INT64), a, scalar_i(1, DT_INT64)}), {2, 1}, {1, 2});
  expect_near(run_op1("ConcatV2", {iota_f({0, 2}), iota_f({0, 2}), scalar_i(0)}), {0, 2}, {});
  Tensor s = run_op1("ConcatV2", {strings({1}, {"x"}), strings({2}, {"y", "z"}), scalar_i(0)});
  EXPECT_EQ(s.strings, (std::vector<std::string>{"x", "y", "z"}));
  expect_error("ConcatV2", {a, iota_f({3, 1}), scalar_i(0)}, {}, {"value 1"});
  expect_error("ConcatV2", {a, tensor_i({3, 1}, {0, 0, 0}, DT_INT64), scalar_i(1)}, {}, {"[3,1]", "[2,1]"});
  expect_error("ConcatV2", {a, a, scalar_i(2)}, {}, {"out of range"});
}

TEST(EvalArray, ConcatV1TakesAxisFirst) {
  expect_near(run_op1("Concat", {scalar_i(1), iota_f({2, 1}), iota_f({2, 2})}, {attr_type("T", tfprod::tf::DT_FLOAT)}),
              {2, 3}, {0, 0, 1, 1, 2, 3});
}

TEST(EvalArray, SplitAndSplitV) {
  auto out = run_op("Split", {scalar_i(1), iota_f({2, 4})}, {attr_int("num_split", 2)}, 2);
  expect_near(out[0], {2, 2}, {0, 1, 4, 5});
  expect_near(out[1], {2, 2}, {2, 3, 6, 7});
  auto rows = run_op("Split", {scalar_i(-2), iota_f({2, 4})}, {attr_int("num_split", 2)}, 2);
  expect_near(rows[1], {1, 4}, {4, 5, 6, 7});
  expect_error("Split", {scalar_i(1), iota_f({2, 3})}, {attr_int("num_split", 2)}, {"evenly divide"});

  auto v = run_op("SplitV", {iota_f({5}), vec({1, -1, 2}), scalar_i(0)}, {attr_int("num_split", 3)}, 3);
  expect_near(v[0], {1}, {0});
  expect_near(v[1], {2}, {1, 2});
  expect_near(v[2], {2}, {3, 4});
  auto cols = run_op("SplitV", {iota_f({2, 3}), vec({2, 0, 1}), scalar_i(-1)}, {attr_int("num_split", 3)}, 3);
  expect_near(cols[0], {2, 2}, {0, 1, 3, 4});
  expect_near(cols[1], {2, 0}, {});
  expect_near(cols[2], {2, 1}, {2, 5});
  expect_error("SplitV", {iota_f({5}), vec({1, 2}), scalar_i(0)}, {attr_int("num_split", 2)}, {"add up"});
}

TEST(EvalArray, TransposeNhwcToNchw) {
  // x[0,h,w,c] = (2h + w) * 3 + c; out[0,c,h,w] = x[0,h,w,c].
  expect_near(run_op1("Transpose", {iota_f({1, 2, 2, 3}), vec({0, 3, 1, 2})}), {1, 3, 2, 2},
              {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  expect_near(run_op1("Transpose", {iota_f({2, 3}), tensor_i({2}, {1, 0}, DT_INT64)}), {3, 2}, {0, 3, 1, 4, 2, 5});
  expect_error("Transpose", {iota_f({2, 3}), vec({0, 0})}, {}, {"not a permutation"});
}

TEST(EvalArray, Tile) {
  expect_near(run_op1("Tile", {tensor_f({2}, {1, 2}), vec({3})}), {6}, {1, 2, 1, 2, 1, 2});
  expect_near(run_op1("Tile", {tensor_f({2, 1}, {1, 2}), vec({2, 2})}), {4, 2}, {1, 1, 2, 2, 1, 1, 2, 2});
  expect_near(run_op1("Tile", {tensor_f({2}, {1, 2}), vec({0})}), {0}, {});
}

TEST(EvalArray, PadAndMirrorPad) {
  Tensor x = tensor_f({2, 2}, {1, 2, 3, 4});
  Tensor paddings = tensor_i({2, 2}, {1, 0, 0, 2});
  expect_near(run_op1("Pad", {x, paddings}), {3, 4}, {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
  expect_near(run_op1("PadV2", {x, paddings, tensor_f({}, {9})}), {3, 4}, {9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9});
  expect_error("Pad", {x, tensor_i({2, 2}, {0, -1, 0, 0})}, {}, {"non-negative"});
  expect_error("Pad", {x, tensor_i({1, 2}, {0, 0})}, {}, {"[2, 2]"});

  Tensor v = tensor_f({3}, {1, 2, 3});
  Tensor p = tensor_i({1, 2}, {2, 2});
  expect_near(run_op1("MirrorPad", {v, p}, {attr_string("mode", "REFLECT")}), {7}, {3, 2, 1, 2, 3, 2, 1});
  expect_near(run_op1("MirrorPad", {v, p}, {attr_string("mode", "SYMMETRIC")}), {7}, {2, 1, 1, 2, 3, 3, 2});
  expect_near(run_op1("MirrorPad", {v, tensor_i({1, 2}, {3, 0})}, {attr_string("mode", "SYMMETRIC")}), {6},
              {3, 2, 1, 1, 2, 3});
  expect_error("MirrorPad", {v, tensor_i({1, 2}, {3, 0})}, {attr_string("mode", "REFLECT")}, {"at most 2"});
  expect_near(run_op1("MirrorPad", {tensor_f({2, 3}, {1, 2, 3, 4, 5, 6}), tensor_i({2, 2}, {1, 1, 2, 2})},
                      {attr_string("mode", "REFLECT")}),
              {4, 7}, {6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1});
  expect_error("MirrorPad", {v, p}, {attr_string("mode", "EDGE")}, {"attr 'mode' = EDGE is not supported"});
}

TEST(EvalArray, Gather) {
  Tensor params = iota_f({3, 2});
  expect_near(run_op1("GatherV2", {params, vec({2, 0}), scalar_i(0)}), {2, 2}, {4, 5, 0, 1});
  // axis -1 with 2-D indices: out[i, j, 0] = params[i, idx[j, 0]].
  expect_near(run_op1("GatherV2", {params, tensor_i({2, 1}, {1, 0}), scalar_i(-1)}), {3, 2, 1}, {1, 0, 3, 2, 5, 4});
  expect_near(run_op1("GatherV2", {params, scalar_i(1, DT_INT64), scalar_i(0)}), {2}, {2, 3});
  expect_near(run_op1("GatherV2", {params, tensor_i({0}, {}), scalar_i(0)}), {0, 2}, {});
  expect_near(run_op1("Gather", {params, vec({1, 1})}), {2, 2}, {2, 3, 2, 3});
  Tensor s = run_op1("GatherV2", {strings({3}, {"a", "b", "c"}), vec({2, 0}), scalar_i(0)});
  EXPECT_EQ(s.strings, (std::vector<std::string>{"c", "a"}));
  expect_error("GatherV2", {params, vec({3}), scalar_i(0)}, {}, {"indices[0] = 3 is not in [0, 3)"});
  expect_error("GatherV2", {params, vec({-1}), scalar_i(0)}, {}, {"not in [0, 3)"});
  expect_error("GatherV2", {params, vec({0}), scalar_i(0)}, {attr_int("batch_dims", 1)},
               {"attr 'batch_dims' = 1 is not supported"});
}

TEST(EvalArray, OneHot) {
  Tensor idx = vec({0, 2, -1, 1});
  std::vector<Tensor> in = {idx, scalar_i(3), tensor_f({}, {1}), tensor_f({}, {0})};
  expect_near(run_op1("OneHot", in), {4, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
  expect_near(run_op1("OneHot", in, {attr_int("axis", 0)}), {3, 4}, {1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0});
  // 2-D indices, axis 1: out[i, d, j] = (idx[i, j] == d).
  expect_near(run_op1("OneHot", {tensor_i({2, 2}, {1, 0, 5, 1}, DT_INT64), scalar_i(2), tensor_f({}, {5}),
                                 tensor_f({}, {-1})},
                      {attr_int("axis", 1)}),
              {2, 2, 2}, {-1, 5, 5, -1, -1, -1, -1, 5});
  expect_error("OneHot", in, {attr_int("axis", 2)}, {"out of range"});
}

TEST(EvalArray, ReverseAndWhere) {
  expect_near(run_op1("ReverseV2", {iota_f({2, 3}), vec({-1})}), {2, 3}, {2, 1, 0, 5, 4, 3});
  expect_near(run_op1("ReverseV2", {iota_f({2, 3}), vec({0, 1})}), {2, 3}, {5, 4, 3, 2, 1, 0});
  expect_near(run_op1("ReverseV2", {iota_f({2, 3}), vec({})}), {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_error("ReverseV2", {iota_f({2, 3}), vec({1, -1})}, {}, {"more than once"});
  Tensor w = run_op1("Where", {tensor_b({2, 2}, {true, false, false, true})});
  EXPECT_EQ(w.dtype, DT_INT64);
  expect_near(w, {2, 2}, {0, 0, 1, 1});
  expect_near(run_op1("Where", {tensor_f({3}, {0, -2, 0})}), {1, 1}, {1});
}

}  // namespace
}  // namespace tfprod
