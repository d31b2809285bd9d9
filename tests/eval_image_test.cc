// image family: resize modes on a 2x2 image (values from TF's formulas,
// worked by hand), space/batch/depth rearrangements and their round trips.
#include <gtest/gtest.h>

#include <random>

#include "tfprod/tensor_values.h"
#include "eval_test_support.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

// [[0, 1], [2, 3]] as 1x2x2x1.
Tensor square() { return tensor_f({1, 2, 2, 1}, {0, 1, 2, 3}); }

std::vector<Attr> modes(bool align, bool half) {
  return {attr_bool("align_corners", align), attr_bool("half_pixel_centers", half)};
}

TEST(EvalImage, ResizeBilinearModes) {
  const Tensor size3 = tensor_i({2}, {3, 3}), size4 = tensor_i({2}, {4, 4});
  // Legacy: scale 2/3, source 0, 2/3, 4/3 (the last clamps to row/col 1).
  const double t = 2.0 / 3;
  expect_near(run_op1("ResizeBilinear", {square(), size3}, modes(false, false)), {1, 3, 3, 1},
              {0, t, 1, 2 * t, 2 * t + t, 2 * t + 1, 2, 2 + t, 3}, 1e-5);
  // align_corners: scale 1/2, source 0, 0.5, 1.
  expect_near(run_op1("ResizeBilinear", {square(), size3}, modes(true, false)), {1, 3, 3, 1},
              {0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, 1e-6);
  // half_pixel_centers 2 -> 4: source (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
  // clamped at the borders: along a row 0, 0.25, 0.75, 1; down a column twice that.
  const std::vector<double> row{0, 0.25, 0.75, 1};
  std::vector<double> want;
  for (double r : row)
    for (double c : row) want.push_back(2 * r + c);
  expect_near(run_op1("ResizeBilinear", {square(), size4}, modes(false, true)), {1, 4, 4, 1}, want, 1e-6);
  // Legacy 2 -> 4: source 0, 0.5, 1, 1.5 -> 0, 0.5, 1, 1.
  want.clear();
  for (double r : {0.0, 0.5, 1.0, 1.0})
    for (double c : {0.0, 0.5, 1.0, 1.0}) want.push_back(2 * r + c);
  expect_near(run_op1("ResizeBilinear", {square(), size4}, modes(false, false)), {1, 4, 4, 1}, want, 1e-6);
  // Integer input gives float output.
  const Tensor out = run_op1("ResizeBilinear", {tensor_i({1, 2, 2, 1}, {0, 1, 2, 3}, tfprod::tf::DT_UINT8), size3},
                             modes(true, false));
  EXPECT_EQ(out.dtype, tfprod::tf::DT_FLOAT);
  expect_near(out, {1, 3, 3, 1}, {0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3});
  EXPECT_THROW(run_op1("ResizeBilinear", {square(), size3}, modes(true, true)), Error);
}

TEST(EvalImage, ResizeNearestRounding) {
  const Tensor size3 = tensor_i({2}, {3, 3}), size4 = tensor_i({2}, {4, 4});
  // Legacy: floor(o * 2/3) = 0, 0, 1.
  expect_near(run_op1("ResizeNearestNeighbor", {square(), size3}, modes(false, false)), {1, 3, 3, 1},
              {0, 0, 1, 0, 0, 1, 2, 2, 3});
  // align_corners: round(o * 0.5) = 0, 1 (0.5 rounds away from zero), 1.
  expect_near(run_op1("ResizeNearestNeighbor", {square(), size3}, modes(true, false)), {1, 3, 3, 1},
              {0, 1, 1, 2, 3, 3, 2, 3, 3});
  // half_pixel_centers: floor((o + 0.5) * 2/3) = 0, 1, 1.
  expect_near(run_op1("ResizeNearestNeighbor", {square(), size3}, modes(false, true)), {1, 3, 3, 1},
              {0, 1, 1, 2, 3, 3, 2, 3, 3});
  // 2 -> 4: legacy floor(o / 2) and half-pixel floor((o + 0.5) / 2) are both 0, 0, 1, 1.
  const std::vector<double> up{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3};
  expect_near(run_op1("ResizeNearestNeighbor", {square(), size4}, modes(false, false)), {1, 4, 4, 1}, up);
  expect_near(run_op1("ResizeNearestNeighbor", {square(), size4}, modes(false, true)), {1, 4, 4, 1}, up);
  // Downscale 4 -> 3 with half-pixel: floor((o + 0.5) * 4/3) = 0, 2, 3.
  const Tensor four = tensor_i({1, 1, 4, 1}, {10, 11, 12, 13}, tfprod::tf::DT_UINT8);
  const Tensor out = run_op1("ResizeNearestNeighbor", {four, tensor_i({2}, {1, 3})}, modes(false, true));
  EXPECT_EQ(out.dtype, tfprod::tf::DT_UINT8);
  expect_near(out, {1, 1, 3, 1}, {10, 12, 13});
}

TEST(EvalImage, SpaceToBatchNDLaysOutBlockOffsetsFirst) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  const Tensor x = tensor_f({1, 4, 4, 1}, v);
  const Tensor block = tensor_i({2}, {2, 2}), zero = tensor_i({2, 2}, {0, 0, 0, 0});
  const Tensor y = run_op1("SpaceToBatchND", {x, block, zero});
  expect_near(y, {4, 2, 2, 1}, {0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15});
  expect_near(run_op1("BatchToSpaceND", {y, block, zero}), {1, 4, 4, 1}, std::vector<double>(v.begin(), v.end()));
  // Padding: [1, 2] -> [[0, 1], [2, 0]] with pads (1, 0) on a 1-D space.
  expect_near(run_op1("SpaceToBatchND", {tensor_f({1, 3, 1}, {1, 2, 3}), tensor_i({1}, {2}), tensor_i({1, 2}, {1, 0})}),
              {2, 2, 1}, {0, 2, 1, 3});
  // v1 ops with a block_size attr.
  expect_near(run_op1("SpaceToBatch", {tensor_f({1, 2, 2, 1}, {1, 2, 3, 4}), zero}, {attr_int("block_size", 2)}),
              {4, 1, 1, 1}, {1, 2, 3, 4});
  expect_near(run_op1("BatchToSpace", {tensor_f({4, 1, 1, 1}, {1, 2, 3, 4}), zero}, {attr_int("block_size", 2)}),
              {1, 2, 2, 1}, {1, 2, 3, 4});
}

TEST(EvalImage, SpaceBatchRoundTripWithPaddingAndCrops) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(2 * 3 * 5 * 2);
  for (float& e : v) e = d(rng);
  const Tensor x = tensor_f({2, 3, 5, 2}, v);
  const Tensor block = tensor_i({2}, {2, 3}), pads = tensor_i({2, 2}, {1, 0, 0, 1});
  const Tensor y = run_op1("SpaceToBatchND", {x, block, pads});
  ASSERT_EQ(y.shape, (Shape{12, 2, 2, 2}));
  expect_near(run_op1("BatchToSpaceND", {y, block, pads}), {2, 3, 5, 2}, std::vector<double>(v.begin(), v.end()));
  // Padded positions hold zeros: 4*6*2*2 padded elements, 60 real.
  int zeros = 0;
  for (double e : to_doubles(y)) zeros += e == 0.0;
  EXPECT_EQ(zeros, 96 - 60);
}

TEST(EvalImage, DepthToSpaceAndBack) {
  expect_near(run_op1("DepthToSpace", {tensor_f({1, 1, 1, 4}, {1, 2, 3, 4})}, {attr_int("block_size", 2)}),
              {1, 2, 2, 1}, {1, 2, 3, 4});
  // Two output channels: depth (i*2 + j)*2 + c.
  const Tensor x = tensor_f({1, 1, 2, 8}, {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18});
  const Tensor y = run_op1("DepthToSpace", {x}, {attr_int("block_size", 2)});
  expect_near(y, {1, 2, 4, 2}, {1, 2, 3, 4, 11, 12, 13, 14, 5, 6, 7, 8, 15, 16, 17, 18});
  expect_near(run_op1("SpaceToDepth", {y}, {attr_int("block_size", 2)}), {1, 1, 2, 8}, to_doubles(x));
  EXPECT_THROW(run_op1("SpaceToDepth", {tensor_f({1, 3, 3, 1}, std::vector<float>(9, 0))}, {attr_int("block_size", 2)}),
               Error);
}

}  // namespace
}  // namespace tfprod
