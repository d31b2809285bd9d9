// Control family: feeds, Const, Switch/Merge dead tensors, Cast, Dequantize,
// random ops, and evaluator errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>


#include <google/protobuf/text_format.h>

#include "eval/half.h"
#include "tfprod/tensor_values.h"
#include "eval_test_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"

namespace tfprod {
namespace {

using namespace tfprod::test;

Graph parse(const char* text) {
  tfprod::tf::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &g));
  return Graph::from_graphdef(g, "g.pbtxt");
}

const char* kCond = R"(
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "flag" op: "PlaceholderWithDefault" input: "f" attr { key: "dtype" value { type: DT_BOOL } } }
node { name: "f" op: "Const" attr { key: "dtype" value { type: DT_BOOL } }
       attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: false } } } }
node { name: "sw" op: "Switch" input: "x" input: "flag" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "neg" op: "Identity" input: "sw:1" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "same" op: "Identity" input: "sw" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "m" op: "Merge" input: "neg" input: "same" attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 2 } } }
)";

TEST(EvalControl, SwitchMergeFollowThePredicate) {
  Graph g = parse(kCond);
  Evaluator ev(g);
  auto out = ev.run({{"x", tensor_f({2}, {1, 2})}}, {"m", "m:1"});
  expect_near(out[0], {2}, {1, 2});
  expect_near(out[1], {}, {1});  // the second input was live
  out = ev.run({{"x", tensor_f({2}, {1, 2})}, {"flag", tensor_b({}, {true})}}, {"m:1"});
  expect_near(out[0], {}, {0});
  try {
    ev.run({{"x", tensor_f({2}, {1, 2})}}, {"neg"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("untaken branch"), std::string::npos) << e.what();
  }
}

TEST(EvalControl, UnfedPlaceholderAndFeedChecks) {
  Graph g = parse(kCond);
  Evaluator ev(g);
  try {
    ev.run({}, {"m"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'x' (op Placeholder): placeholder is not fed"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ev.run({{"x", tensor_i({1}, {1})}}, {"m"}), Error);  // wrong dtype
  EXPECT_THROW(ev.run({{"nope", tensor_f({1}, {1})}}, {"m"}), Error);
}

TEST(EvalControl, MissingKernelNamesNodeAndOp) {
  Graph g = parse(R"(node { name: "w" op: "FancyOp" })");
  Evaluator ev(g);
  try {
    ev.run({}, {"w"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "node 'w' (op FancyOp): no kernel for this op");
  }
}

TEST(EvalControl, CastRoundsHalfAndTruncatesInts) {
  expect_near(run_op1("Cast", {tensor_f({3}, {1.7f, -1.7f, 3.0f})}, {attr_type("SrcT", tfprod::tf::DT_FLOAT), attr_type("DstT", tfprod::tf::DT_INT32)}),
              {3}, {1, -1, 3});
  Tensor h = run_op1("Cast", {tensor_f({2}, {1.0f / 3.0f, 65504.0f})}, {attr_type("DstT", tfprod::tf::DT_HALF)});
  EXPECT_EQ(h.dtype, tfprod::tf::DT_HALF);
  expect_near(h, {2}, {0.333251953125, 65504.0}, 0);
  expect_near(run_op1("Cast", {tensor_b({2}, {true, false})}, {attr_type("DstT", tfprod::tf::DT_FLOAT)}), {2}, {1, 0});
}

TEST(EvalControl, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(eval::float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(eval::float_to_half(65520.0f), 0x7c00);  // rounds to inf
  EXPECT_EQ(eval::float_to_half(5.9604645e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(eval::half_to_float(0x0001), 5.9604645e-08f);
  EXPECT_EQ(eval::float_to_half(1.0f + 1.0f / 2048), 0x3c00);  // tie -> even
  EXPECT_EQ(eval::float_to_half(1.0f + 3.0f / 2048), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(eval::float_to_bfloat16(1.00390625f), 0x3f80);    // tie -> even
  EXPECT_EQ(eval::bfloat16_to_float(0x3f81), 1.0078125f);
  for (uint32_t h = 0; h < 0x7c00; ++h) EXPECT_EQ(eval::float_to_half(eval::half_to_float(h)), h);
}

// Every one of the 65536 halves widens to the float IEEE 754 defines for it,
// computed here from the definition: sign * 2^(e-15) * (1 + m/1024), or
// sign * 2^-14 * m/1024 when subnormal; Inf and NaN keep their payload.
TEST(EvalControl, HalfToFloatIsExactOnEveryValue) {
  int wrong = 0;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const uint32_t sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    uint32_t want;
    if (e == 0x1f) {
      want = (sign << 31) | 0x7f800000u | (m << 13);
    } else {
      const float magnitude = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                                     : std::ldexp(static_cast<float>(1024 + m), static_cast<int>(e) - 25);
      const float value = sign ? -magnitude : magnitude;
      std::memcpy(&want, &value, 4);
    }
    const float got = eval::half_to_float(static_cast<uint16_t>(h));
    uint32_t got_bits;
    std::memcpy(&got_bits, &got, 4);
    if (got_bits != want && ++wrong <= 5) ADD_FAILURE() << fmt::format("half {:#06x}: got {:#010x}, want {:#010x}", h, got_bits, want);
  }
  EXPECT_EQ(wrong, 0);
}

TEST(EvalControl, DequantizeModes) {
  Tensor q = eval::make_tensor(tfprod::tf::DT_QUINT8, {3});
  q.data = std::string("\x00\x80\xff", 3);
  expect_near(run_op1("Dequantize", {q, tensor_f({}, {-1}), tensor_f({}, {1})}), {3}, {-1, -1 + 128 * 2.0 / 255, 1}, 1e-6);
  Tensor s = eval::make_tensor(tfprod::tf::DT_QINT8, {2});
  s.data = std::string("\x81\x7f", 2);  // -127, 127
  expect_near(run_op1("Dequantize", {s, tensor_f({}, {-2}), tensor_f({}, {2})}, {attr_string("mode", "SCALED")}), {2},
              {-2.0 * 127 / 127, 2.0}, 1e-6);
}

TEST(EvalControl, RandomUniformIsSeededAndMarked) {
  Graph g = parse(R"(
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 3 int_val: 4 } } } }
node { name: "r" op: "RandomUniform" input: "s" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "T" value { type: DT_INT32 } } })");
  Evaluator a(g), b(g);
  auto ra = a.run({}, {"r"})[0], rb = b.run({}, {"r"})[0];
  EXPECT_EQ(ra.shape, (Shape{3, 4}));
  EXPECT_TRUE(ra.data == rb.data) << "same seed, same values";
  EXPECT_TRUE(a.used_random());
  for (double v : to_doubles(ra)) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}

}  // namespace
}  // namespace tfprod
