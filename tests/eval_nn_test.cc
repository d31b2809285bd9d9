// nn family: convolutions (hand-checked cases plus comparison with a naive
// direct convolution on random data), depthwise, transposed convolution,
// matrix products, bias, batch norm, pooling, LRN, softmax.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tfprod/tensor_values.h"
#include "eval_test_support.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

std::vector<float> random_values(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

// [N, H, W, C] <-> [N, C, H, W]
std::vector<float> nhwc_to_nchw(const std::vector<float>& v, int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<float> out(v.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < c; ++k) out[((a * c + k) * h + y) * w + x] = v[((a * h + y) * w + x) * c + k];
  return out;
}

struct ConvCase {
  int64_t n, h, w, c, kh, kw, co, sh, sw, dh, dw;
  std::string padding;  // SAME, VALID or EXPLICIT (pads below)
  int64_t pt = 0, pb = 0, pl = 0, pr = 0;
  int64_t groups = 1;
};

// TF's output size and leading pad for one dimension.
void window(int64_t in, int64_t k, int64_t s, int64_t d, const std::string& p, int64_t eb, int64_t ea, int64_t* out,
            int64_t* before) {
  const int64_t ek = (k - 1) * d + 1;
  if (p == "VALID") *out = (in - ek + s) / s, *before = 0;
  else if (p == "SAME") *out = (in + s - 1) / s, *before = std::max<int64_t>(0, (*out - 1) * s + ek - in) / 2;
  else *out = (in + eb + ea - ek) / s + 1, *before = eb;
}

// Direct NHWC convolution in double.
std::vector<double> naive_conv(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& f,
                               int64_t* oh, int64_t* ow) {
  int64_t ph, pw;
  window(c.h, c.kh, c.sh, c.dh, c.padding, c.pt, c.pb, oh, &ph);
  window(c.w, c.kw, c.sw, c.dw, c.padding, c.pl, c.pr, ow, &pw);
  const int64_t cg = c.c / c.groups, cog = c.co / c.groups;
  std::vector<double> y(static_cast<std::size_t>(c.n * *oh * *ow * c.co), 0.0);
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t oy = 0; oy < *oh; ++oy)
      for (int64_t ox = 0; ox < *ow; ++ox)
        for (int64_t o = 0; o < c.co; ++o) {
          double s = 0;
          for (int64_t i = 0; i < c.kh; ++i)
            for (int64_t j = 0; j < c.kw; ++j)
              for (int64_t k = 0; k < cg; ++k) {
                const int64_t iy = oy * c.sh + i * c.dh - ph, ix = ox * c.sw + j * c.dw - pw;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                s += double(x[((n * c.h + iy) * c.w + ix) * c.c + (o / cog) * cg + k]) *
                     f[((i * c.kw + j) * cg + k) * c.co + o];
              }
          y[((n * *oh + oy) * *ow + ox) * c.co + o] = s;
        }
  return y;
}

std::vector<Attr> conv_attrs(const ConvCase& c, bool nchw) {
  std::vector<Attr> a{attr_string("padding", c.padding), attr_string("data_format", nchw ? "NCHW" : "NHWC")};
  a.push_back(nchw ? attr_ints("strides", {1, 1, c.sh, c.sw}) : attr_ints("strides", {1, c.sh, c.sw, 1}));
  a.push_back(nchw ? attr_ints("dilations", {1, 1, c.dh, c.dw}) : attr_ints("dilations", {1, c.dh, c.dw, 1}));
  if (c.padding == "EXPLICIT")
    a.push_back(nchw ? attr_ints("explicit_paddings", {0, 0, 0, 0, c.pt, c.pb, c.pl, c.pr})
                     : attr_ints("explicit_paddings", {0, 0, c.pt, c.pb, c.pl, c.pr, 0, 0}));
  return a;
}

TEST(EvalNn, Conv2DHandChecked) {
  const Tensor x = tensor_f({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Diagonal 2x2 filter, VALID: x[i,j] + x[i+1,j+1].
  expect_near(run_op1("Conv2D", {x, tensor_f({2, 2, 1, 1}, {1, 0, 0, 1})},
                      {attr_string("padding", "VALID"), attr_ints("strides", {1, 1, 1, 1})}),
              {1, 2, 2, 1}, {6, 8, 12, 14});
  // 2x2 ones, SAME: the one padding row/column goes after.
  expect_near(run_op1("Conv2D", {x, tensor_f({2, 2, 1, 1}, {1, 1, 1, 1})},
                      {attr_string("padding", "SAME"), attr_ints("strides", {1, 1, 1, 1})}),
              {1, 3, 3, 1}, {12, 16, 9, 24, 28, 15, 15, 17, 9});
  // 3x3 ones, SAME, stride 2: one padding before.
  expect_near(run_op1("Conv2D", {x, tensor_f({3, 3, 1, 1}, std::vector<float>(9, 1.0f))},
                      {attr_string("padding", "SAME"), attr_ints("strides", {1, 2, 2, 1})}),
              {1, 2, 2, 1}, {12, 16, 24, 28});
  // Dilation 2 on 3x3 with a 2x2 ones filter, VALID: corners sum.
  expect_near(run_op1("Conv2D", {x, tensor_f({2, 2, 1, 1}, {1, 1, 1, 1})},
                      {attr_string("padding", "VALID"), attr_ints("strides", {1, 1, 1, 1}),
                       attr_ints("dilations", {1, 2, 2, 1})}),
              {1, 1, 1, 1}, {1 + 3 + 7 + 9});
}

TEST(EvalNn, Conv2DMatchesNaiveConvolution) {
  const std::vector<ConvCase> cases = {
      {2, 7, 6, 3, 3, 3, 4, 1, 1, 1, 1, "SAME"},   {1, 8, 9, 5, 3, 2, 6, 2, 2, 1, 1, "SAME"},
      {2, 9, 8, 4, 3, 3, 5, 2, 3, 1, 1, "VALID"},  {1, 10, 11, 3, 3, 3, 2, 1, 1, 2, 3, "SAME"},
      {1, 6, 7, 8, 1, 1, 5, 1, 1, 1, 1, "VALID"},  {1, 6, 7, 8, 1, 1, 5, 2, 2, 1, 1, "SAME"},
      {1, 7, 7, 2, 3, 3, 3, 2, 1, 1, 1, "EXPLICIT", 1, 2, 0, 3},
      {2, 6, 6, 6, 3, 3, 4, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 2},  // grouped: filter depth 3
      {1, 20, 20, 16, 5, 5, 24, 1, 1, 1, 1, "SAME"},
  };
  unsigned seed = 1;
  for (const auto& c : cases) {
    const auto xv = random_values(c.n * c.h * c.w * c.c, seed++);
    const auto fv = random_values(c.kh * c.kw * (c.c / c.groups) * c.co, seed++);
    int64_t oh, ow;
    const auto want = naive_conv(c, xv, fv, &oh, &ow);
    const Tensor f = tensor_f({c.kh, c.kw, c.c / c.groups, c.co}, fv);
    SCOPED_TRACE(testing::Message() << "case " << seed / 2 << " padding " << c.padding);
    expect_near(run_op1("Conv2D", {tensor_f({c.n, c.h, c.w, c.c}, xv), f}, conv_attrs(c, false)), {c.n, oh, ow, c.co},
                want, 1e-4);
    std::vector<float> wantf(want.begin(), want.end());
    const auto want_nchw = nhwc_to_nchw(wantf, c.n, oh, ow, c.co);
    expect_near(run_op1("Conv2D", {tensor_f({c.n, c.c, c.h, c.w}, nhwc_to_nchw(xv, c.n, c.h, c.w, c.c)), f},
                        conv_attrs(c, true)),
                {c.n, c.co, oh, ow}, std::vector<double>(want_nchw.begin(), want_nchw.end()), 1e-4);
  }
}

TEST(EvalNn, Conv2DHalfAndDoubleAndConv3D) {
  const Tensor xh = tensor_f({1, 2, 2, 1}, {1, 2, 3, 4}, tfprod::tf::DT_HALF);
  const Tensor out = run_op1("Conv2D", {xh, tensor_f({1, 1, 1, 2}, {1, -0.5f}, tfprod::tf::DT_HALF)},
                             {attr_string("padding", "VALID"), attr_ints("strides", {1, 1, 1, 1})});
  EXPECT_EQ(out.dtype, tfprod::tf::DT_HALF);
  expect_near(out, {1, 2, 2, 2}, {1, -0.5, 2, -1, 3, -1.5, 4, -2});
  const Tensor xd = tensor_d({1, 2, 2, 1}, {1, 2, 3, 4});
  expect_near(run_op1("Conv2D", {xd, tensor_d({2, 2, 1, 1}, {1, 1, 1, 1})},
                      {attr_string("padding", "VALID"), attr_ints("strides", {1, 1, 1, 1})}),
              {1, 1, 1, 1}, {10});
  // Conv3D: 2x2x2 ones over a 2x3x2 volume of ones, VALID -> 8 everywhere.
  expect_near(run_op1("Conv3D", {tensor_f({1, 2, 3, 2, 1}, std::vector<float>(12, 1)),
                                 tensor_f({2, 2, 2, 1, 1}, std::vector<float>(8, 1))},
                      {attr_string("padding", "VALID"), attr_ints("strides", {1, 1, 1, 1, 1})}),
              {1, 1, 2, 1, 1}, {8, 8});
  // Conv3D SAME with depth 1 equals Conv2D.
  const ConvCase c{1, 5, 6, 3, 3, 3, 4, 2, 1, 1, 1, "SAME"};
  const auto xv = random_values(90, 7), fv = random_values(108, 8);
  int64_t oh, ow;
  const auto want = naive_conv(c, xv, fv, &oh, &ow);
  expect_near(run_op1("Conv3D", {tensor_f({1, 1, 5, 6, 3}, xv), tensor_f({1, 3, 3, 3, 4}, fv)},
                      {attr_string("padding", "SAME"), attr_ints("strides", {1, 1, 2, 1, 1})}),
              {1, 1, oh, ow, 4}, want, 1e-4);
}

TEST(EvalNn, DepthwiseMatchesNaive) {
  const int64_t n = 2, h = 6, w = 7, c = 3, kh = 3, kw = 2, m = 2;
  for (const char* padding : {"SAME", "VALID"}) {
    for (int64_t s : {1, 2}) {
      const auto xv = random_values(n * h * w * c, 11), fv = random_values(kh * kw * c * m, 12);
      int64_t oh, ow, ph, pw;
      window(h, kh, s, 1, padding, 0, 0, &oh, &ph);
      window(w, kw, s, 1, padding, 0, 0, &ow, &pw);
      std::vector<double> want(n * oh * ow * c * m, 0.0);
      for (int64_t b = 0; b < n; ++b)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox)
            for (int64_t k = 0; k < c; ++k)
              for (int64_t q = 0; q < m; ++q)
                for (int64_t i = 0; i < kh; ++i)
                  for (int64_t j = 0; j < kw; ++j) {
                    const int64_t iy = oy * s + i - ph, ix = ox * s + j - pw;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    want[((b * oh + oy) * ow + ox) * c * m + k * m + q] +=
                        double(xv[((b * h + iy) * w + ix) * c + k]) * fv[((i * kw + j) * c + k) * m + q];
                  }
      expect_near(run_op1("DepthwiseConv2dNative", {tensor_f({n, h, w, c}, xv), tensor_f({kh, kw, c, m}, fv)},
                          {attr_string("padding", padding), attr_ints("strides", {1, s, s, 1})}),
                  {n, oh, ow, c * m}, want, 1e-4);
    }
  }
}

TEST(EvalNn, Conv2DBackpropInputMatchesScatter) {
  struct Case { int64_t h, w, kh, kw, s; const char* padding; };
  for (const Case& cs : {Case{5, 6, 3, 3, 2, "SAME"}, Case{5, 6, 3, 3, 2, "VALID"}, Case{4, 5, 2, 2, 2, "SAME"},
                         Case{8, 10, 3, 3, 2, "SAME"}, Case{7, 7, 3, 2, 1, "SAME"}}) {
    const int64_t n = 2, ci = 3, co = 4;
    int64_t oh, ow, ph, pw;
    window(cs.h, cs.kh, cs.s, 1, cs.padding, 0, 0, &oh, &ph);
    window(cs.w, cs.kw, cs.s, 1, cs.padding, 0, 0, &ow, &pw);
    const auto dy = random_values(n * oh * ow * co, 21), fv = random_values(cs.kh * cs.kw * ci * co, 22);
    std::vector<double> want(n * cs.h * cs.w * ci, 0.0);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox)
          for (int64_t o = 0; o < co; ++o)
            for (int64_t i = 0; i < cs.kh; ++i)
              for (int64_t j = 0; j < cs.kw; ++j)
                for (int64_t k = 0; k < ci; ++k) {
                  const int64_t iy = oy * cs.s + i - ph, ix = ox * cs.s + j - pw;
                  if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
                  want[((b * cs.h + iy) * cs.w + ix) * ci + k] +=
                      double(dy[((b * oh + oy) * ow + ox) * co + o]) * fv[((i * cs.kw + j) * ci + k) * co + o];
                }
    SCOPED_TRACE(cs.padding);
    expect_near(run_op1("Conv2DBackpropInput",
                        {tensor_i({4}, {n, cs.h, cs.w, ci}), tensor_f({cs.kh, cs.kw, ci, co}, fv),
                         tensor_f({n, oh, ow, co}, dy)},
                        {attr_string("padding", cs.padding), attr_ints("strides", {1, cs.s, cs.s, 1}),
                         attr_type("T", tfprod::tf::DT_FLOAT)}),
                {n, cs.h, cs.w, ci}, want, 1e-4);
  }
  // A 1x1 input, 2x2 ones filter, stride 2 VALID -> the value in the top-left
  // corner of a 2x2 output.
  expect_near(run_op1("Conv2DBackpropInput",
                      {tensor_i({4}, {1, 2, 2, 1}), tensor_f({2, 2, 1, 1}, {1, 2, 3, 4}), tensor_f({1, 1, 1, 1}, {10})},
                      {attr_string("padding", "VALID"), attr_ints("strides", {1, 2, 2, 1}),
                       attr_type("T", tfprod::tf::DT_FLOAT)}),
              {1, 2, 2, 1}, {10, 20, 30, 40});
}

TEST(EvalNn, MatMulTransposes) {
  const Tensor a = tensor_f({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor at = tensor_f({3, 2}, {1, 4, 2, 5, 3, 6});
  const Tensor b = tensor_f({3, 2}, {7, 8, 9, 10, 11, 12});
  const Tensor bt = tensor_f({2, 3}, {7, 9, 11, 8, 10, 12});
  const std::vector<double> want{58, 64, 139, 154};
  expect_near(run_op1("MatMul", {a, b}), {2, 2}, want);
  expect_near(run_op1("MatMul", {at, b}, {attr_bool("transpose_a", true)}), {2, 2}, want);
  expect_near(run_op1("MatMul", {a, bt}, {attr_bool("transpose_b", true)}), {2, 2}, want);
  expect_near(run_op1("MatMul", {at, bt}, {attr_bool("transpose_a", true), attr_bool("transpose_b", true)}), {2, 2}, want);
  expect_near(run_op1("MatMul", {tensor_i({1, 2}, {2, 3}), tensor_i({2, 1}, {4, 5})}), {1, 1}, {23});
  EXPECT_THROW(run_op1("MatMul", {a, a}), Error);
}

TEST(EvalNn, BatchMatMulBroadcastsAndAdjoints) {
  // x [2, 1, 2, 3] against y [3, 3, 2] -> [2, 3, 2, 2].
  const auto xv = random_values(12, 31), yv = random_values(18, 32);
  std::vector<double> want;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          double s = 0;
          for (int k = 0; k < 3; ++k) s += double(xv[a * 6 + i * 3 + k]) * yv[b * 6 + k * 2 + j];
          want.push_back(s);
        }
  expect_near(run_op1("BatchMatMulV2", {tensor_f({2, 1, 2, 3}, xv), tensor_f({3, 3, 2}, yv)}), {2, 3, 2, 2}, want, 1e-5);
  // adj_x / adj_y with stored transposes.
  std::vector<float> xt(12), yt(18);
  for (int a = 0; a < 2; ++a)
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 3; ++k) xt[a * 6 + k * 2 + i] = xv[a * 6 + i * 3 + k];
  for (int b = 0; b < 3; ++b)
    for (int k = 0; k < 3; ++k)
      for (int j = 0; j < 2; ++j) yt[b * 6 + j * 3 + k] = yv[b * 6 + k * 2 + j];
  expect_near(run_op1("BatchMatMulV2", {tensor_f({2, 1, 3, 2}, xt), tensor_f({3, 2, 3}, yt)},
                      {attr_bool("adj_x", true), attr_bool("adj_y", true)}),
              {2, 3, 2, 2}, want, 1e-5);
  // V1 insists on equal batch dims.
  EXPECT_THROW(run_op1("BatchMatMul", {tensor_f({2, 1, 2, 3}, xv), tensor_f({3, 3, 2}, yv)}), Error);
  expect_near(run_op1("BatchMatMul", {tensor_f({2, 1, 2}, {1, 2, 3, 4}), tensor_f({2, 2, 1}, {1, 1, 2, 3})}),
              {2, 1, 1}, {3, 18});
}

TEST(EvalNn, BiasAddFormats) {
  const Tensor x = tensor_f({1, 2, 1, 2}, {1, 2, 3, 4});
  expect_near(run_op1("BiasAdd", {x, tensor_f({2}, {10, 20})}), {1, 2, 1, 2}, {11, 22, 13, 24});
  expect_near(run_op1("BiasAdd", {x, tensor_f({2}, {10, 20})}, {attr_string("data_format", "NCHW")}), {1, 2, 1, 2},
              {11, 12, 23, 24});
  expect_near(run_op1("BiasAddV1", {x, tensor_f({2}, {10, 20})}), {1, 2, 1, 2}, {11, 22, 13, 24});
  EXPECT_THROW(run_op1("BiasAdd", {x, tensor_f({3}, {1, 2, 3})}), Error);
}

TEST(EvalNn, FusedBatchNormInferenceAndTraining) {
  const Tensor x = tensor_f({2, 1, 2, 2}, {1, 10, 2, 20, 3, 30, 6, 40});  // channel 0: 1,2,3,6  channel 1: 10..40
  const Tensor scale = tensor_f({2}, {2, 1}), offset = tensor_f({2}, {1, -1});
  auto out = run_op("FusedBatchNormV3",
                    {x, scale, offset, tensor_f({2}, {2, 20}), tensor_f({2}, {4, 100})},
                    {attr_float("epsilon", 0.0f), attr_bool("is_training", false), attr_type("U", tfprod::tf::DT_FLOAT)}, 6);
  // y = scale * (x - mean) / sqrt(var) + offset
  expect_near(out[0], {2, 1, 2, 2}, {0, -2, 1, -1, 2, 0, 5, 1});
  // Training: channel 0 mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3.
  out = run_op("FusedBatchNorm", {x, scale, offset, tensor_f({0}, {}), tensor_f({0}, {})},
               {attr_float("epsilon", 0.001f), attr_bool("is_training", true)}, 5);
  const double s0 = 2 / std::sqrt(3.5 + 0.001), s1 = 1 / std::sqrt(125.0 + 0.001);
  expect_near(out[0], {2, 1, 2, 2},
              {-2 * s0 + 1, -15 * s1 - 1, -1 * s0 + 1, -5 * s1 - 1, 1, 5 * s1 - 1, 3 * s0 + 1, 15 * s1 - 1}, 1e-5);
  expect_near(out[1], {2}, {3, 25});
  expect_near(out[2], {2}, {14.0 / 3, 500.0 / 3}, 1e-4);
  expect_near(out[4], {2}, {3.5, 125}, 1e-4);
  // NCHW: the same numbers with channels in front.
  const Tensor xc = tensor_f({2, 2, 1, 2}, {1, 2, 10, 20, 3, 6, 30, 40});
  out = run_op("FusedBatchNormV2", {xc, scale, offset, tensor_f({2}, {2, 20}), tensor_f({2}, {4, 100})},
               {attr_float("epsilon", 0.0f), attr_bool("is_training", false), attr_string("data_format", "NCHW")}, 5);
  expect_near(out[0], {2, 2, 1, 2}, {0, 1, -2, -1, 2, 5, 0, 1});
  expect_near(run_op1("BatchNormWithGlobalNormalization",
                      {tensor_f({1, 2}, {3, 30}), tensor_f({2}, {1, 10}), tensor_f({2}, {4, 100}), tensor_f({2}, {1, 2}),
                       tensor_f({2}, {3, 0.5f})},
                      {attr_float("variance_epsilon", 0.0f), attr_bool("scale_after_normalization", true)}),
              {1, 2}, {3 * 2.0 / 2 + 1, 0.5 * 20 / 10 + 2});
}

TEST(EvalNn, PoolingSameAveragesOnlyRealElements) {
  const Tensor x = tensor_f({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const std::vector<Attr> same{attr_string("padding", "SAME"), attr_ints("ksize", {1, 2, 2, 1}),
                               attr_ints("strides", {1, 1, 1, 1})};
  expect_near(run_op1("AvgPool", {x}, same), {1, 3, 3, 1}, {3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9});
  expect_near(run_op1("MaxPool", {x}, same), {1, 3, 3, 1}, {5, 6, 6, 8, 9, 9, 8, 9, 9});
  const std::vector<Attr> valid2{attr_string("padding", "VALID"), attr_ints("ksize", {1, 2, 2, 1}),
                                 attr_ints("strides", {1, 2, 2, 1})};
  const Tensor x4 = tensor_f({1, 4, 4, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  expect_near(run_op1("MaxPool", {x4}, valid2), {1, 2, 2, 1}, {6, 8, 14, 16});
  expect_near(run_op1("AvgPool", {x4}, valid2), {1, 2, 2, 1}, {3.5, 5.5, 11.5, 13.5});
  // SAME, 3x3 window, stride 2 on 4x4: pad 0 before, 1 after.
  expect_near(run_op1("AvgPool", {x4}, {attr_string("padding", "SAME"), attr_ints("ksize", {1, 3, 3, 1}),
                                        attr_ints("strides", {1, 2, 2, 1})}),
              {1, 2, 2, 1}, {6, 7.5, 12, 13.5});
  // NCHW with two channels and MaxPoolV2 (ksize, strides as inputs).
  const Tensor xc = tensor_f({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -4});
  expect_near(run_op1("MaxPoolV2", {xc, tensor_i({4}, {1, 1, 2, 2}), tensor_i({4}, {1, 1, 1, 1})},
                      {attr_string("padding", "VALID"), attr_string("data_format", "NCHW")}),
              {1, 2, 1, 1}, {4, -1});
  expect_near(run_op1("AvgPool3D", {tensor_f({1, 2, 2, 1, 1}, {1, 2, 3, 4})},
                      {attr_string("padding", "VALID"), attr_ints("ksize", {1, 2, 2, 1, 1}),
                       attr_ints("strides", {1, 1, 1, 1, 1})}),
              {1, 1, 1, 1, 1}, {2.5});
}

TEST(EvalNn, LrnAndSoftmax) {
  expect_near(run_op1("LRN", {tensor_f({1, 1, 1, 3}, {1, 2, 3})},
                      {attr_int("depth_radius", 1), attr_float("bias", 1), attr_float("alpha", 1), attr_float("beta", 1)}),
              {1, 1, 1, 3}, {1.0 / 6, 2.0 / 15, 3.0 / 14});
  expect_near(run_op1("LRN", {tensor_f({1, 1, 1, 2}, {3, 4})},
                      {attr_int("depth_radius", 2), attr_float("bias", 0), attr_float("alpha", 1), attr_float("beta", 0.5f)}),
              {1, 1, 1, 2}, {0.6, 0.8});
  const Tensor big = tensor_f({2, 3}, {1000, 1001, 1002, -1000, -1000, -1000});
  expect_near(run_op1("Softmax", {big}), {2, 3}, {0.0900306, 0.2447285, 0.6652410, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  expect_near(run_op1("LogSoftmax", {big}), {2, 3},
              {-2.4076059, -1.4076059, -0.4076059, -std::log(3.0), -std::log(3.0), -std::log(3.0)});
  expect_near(run_op1("L2Loss", {tensor_f({3}, {1, 2, 3})}), {}, {7});
}

}  // namespace
}  // namespace tfprod
