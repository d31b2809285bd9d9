// Element-wise and activation ops: TF's broadcasting is numpy's, as ONNX's
// is, so most map one to one. BiasAdd of an NCHW tensor reshapes the bias to
// [C,1,1]; Relu6 is Clip(0, 6); Rsqrt, Square and SquaredDifference are
// spelled with primitives (Relu6 too: OpenCV 4.6 reads no opset-11 Clip); Softmax / LogSoftmax act on the last axis (before
// opset 13 ONNX's axis=rank-1 coerces to 2-D, which is the same thing).
#include <fmt/format.h>

#include "onnx/registry.h"
#include "tfprod/error.h"

namespace tfprod::onnx_export {

namespace {

template <const char* Op>
void binary(const Node& n, Builder& b) {
  b.add(Op, {b.in(n, 0), b.in(n, 1)}, {b.out(n)});
}

template <const char* Op>
void unary(const Node& n, Builder& b) {
  b.add(Op, {b.in(n, 0)}, {b.out(n)});
}

constexpr char kAdd[] = "Add", kSub[] = "Sub", kMul[] = "Mul",
               kPow[] = "Pow", kGreater[] = "Greater", kLess[] = "Less", kEqual[] = "Equal", kAnd[] = "And",
               kOr[] = "Or";
constexpr char kRelu[] = "Relu", kSigmoid[] = "Sigmoid", kTanh[] = "Tanh", kExp[] = "Exp", kLog[] = "Log",
               kSqrt[] = "Sqrt", kNeg[] = "Neg", kAbs[] = "Abs", kIdentity[] = "Identity", kFloor[] = "Floor",
               kCeil[] = "Ceil", kReciprocal[] = "Reciprocal", kSoftplus[] = "Softplus", kSoftsign[] = "Softsign",
               kSign[] = "Sign", kNot[] = "Not", kErf[] = "Erf", kRound[] = "Round", kSin[] = "Sin", kCos[] = "Cos";

void bias_add(const Node& n, Builder& b) {
  std::string bias = b.in(n, 1);
  if (tf_string(n, "data_format", "NHWC") == "NCHW") {
    const std::size_t rank = b.info(n, 0).shape.size();
    std::vector<int64_t> shape{-1};
    for (std::size_t i = 2; i < rank; ++i) shape.push_back(1);
    const std::string reshaped = b.fresh(n.name() + "/onnx/bias");
    b.add("Reshape", {bias, b.ints(n.name() + "/onnx/bias_shape", shape)}, {reshaped});
    bias = reshaped;
  }
  b.add("Add", {b.in(n, 0), bias}, {b.out(n)});
}

// Maximum / Minimum with a constant scalar: OpenCV 4.6 reads Max and Min
// only between tensors, so max(x, c) = Relu(x - c) + c and
// min(x, c) = c - Relu(c - x).
void max_min(const Node& n, Builder& b) {
  const bool max = n.op == "Maximum";
  int constant = -1;
  for (int i : {0, 1})
    if (const Tensor* c = b.constant(n, static_cast<std::size_t>(i)); c && c->num_elements() == 1) constant = i;
  if (constant < 0) {
    b.add(max ? "Max" : "Min", {b.in(n, 0), b.in(n, 1)}, {b.out(n)});
    return;
  }
  const std::string x = b.in(n, static_cast<std::size_t>(1 - constant)), c = b.in(n, static_cast<std::size_t>(constant));
  const std::string base = n.name() + "/onnx/";
  const std::string diff = b.fresh(base + "diff"), relu = b.fresh(base + "relu");
  b.add("Sub", {max ? x : c, max ? c : x}, {diff});
  b.add("Relu", {diff}, {relu});
  b.add(max ? "Add" : "Sub", {max ? relu : c, max ? c : relu}, {b.out(n)});
}

void add_n(const Node& n, Builder& b) {
  std::vector<std::string> ins;
  for (std::size_t i = 0; i < n.inputs.size(); ++i) ins.push_back(b.in(n, i));
  b.add("Sum", ins, {b.out(n)});
}

// Relu6(x) = Relu(x) - Relu(x - 6): OpenCV 4.6 reads Clip only in its
// pre-opset-11 form (min and max as attributes), which opsets 11+ lack.
void relu6(const Node& n, Builder& b) {
  const DataType t = b.info(n, 0).dtype;
  const std::string x = b.in(n, 0), base = n.name() + "/onnx/";
  const std::string relu = b.fresh(base + "relu"), shifted = b.fresh(base + "minus6"), over = b.fresh(base + "over6");
  b.add("Relu", {x}, {relu});
  b.add("Sub", {x, b.scalar(base + "six", t, 6)}, {shifted});
  b.add("Relu", {shifted}, {over});
  b.add("Sub", {relu, over}, {b.out(n)});
}

void leaky_relu(const Node& n, Builder& b) {
  set_attr(b.add("LeakyRelu", {b.in(n, 0)}, {b.out(n)}), "alpha", tf_float(n, "alpha", 0.2f));
}

void elu(const Node& n, Builder& b) { set_attr(b.add("Elu", {b.in(n, 0)}, {b.out(n)}), "alpha", 1.0f); }

void selu(const Node& n, Builder& b) { b.add("Selu", {b.in(n, 0)}, {b.out(n)}); }

void rsqrt(const Node& n, Builder& b) {
  const std::string s = b.fresh(n.name() + "/onnx/sqrt");
  b.add("Sqrt", {b.in(n, 0)}, {s});
  b.add("Reciprocal", {s}, {b.out(n)});
}

void square(const Node& n, Builder& b) {
  const std::string x = b.in(n, 0);
  b.add("Mul", {x, x}, {b.out(n)});
}

void squared_difference(const Node& n, Builder& b) {
  const std::string d = b.fresh(n.name() + "/onnx/diff");
  b.add("Sub", {b.in(n, 0), b.in(n, 1)}, {d});
  b.add("Mul", {d, d}, {b.out(n)});
}

void last_axis(const char* op, const Node& n, Builder& b) {
  const int64_t rank = static_cast<int64_t>(b.info(n, 0).shape.size());
  set_attr(b.add(op, {b.in(n, 0)}, {b.out(n)}), "axis", rank - 1);
}

void softmax(const Node& n, Builder& b) { last_axis("Softmax", n, b); }
void log_softmax(const Node& n, Builder& b) { last_axis("LogSoftmax", n, b); }

void cast(const Node& n, Builder& b) {
  const auto* dst = n.attr("DstT");
  if (!dst) fail("{} (Cast): attribute 'DstT' is missing", n.name());
  set_attr(b.add("Cast", {b.in(n, 0)}, {b.out(n)}), "to", static_cast<int64_t>(onnx_dtype(dst->type(), n.name())));
}

// Division of integers rounds toward zero in TF's Div (C semantics) as in ONNX.
void real_div(const Node& n, Builder& b) { b.add("Div", {b.in(n, 0), b.in(n, 1)}, {b.out(n)}); }

void floor_div(const Node& n, Builder& b) {
  const DataType t = b.info(n, 0).dtype;
  if (t != tfprod::tf::DT_FLOAT && t != tfprod::tf::DT_DOUBLE) unsupported(n, "integer FloorDiv");
  const std::string q = b.fresh(n.name() + "/onnx/div");
  b.add("Div", {b.in(n, 0), b.in(n, 1)}, {q});
  b.add("Floor", {q}, {b.out(n)});
}

void greater_equal(const Node& n, Builder& b) {
  const std::string l = b.fresh(n.name() + "/onnx/less");
  b.add("Less", {b.in(n, 0), b.in(n, 1)}, {l});
  b.add("Not", {l}, {b.out(n)});
}

void less_equal(const Node& n, Builder& b) {
  const std::string g = b.fresh(n.name() + "/onnx/greater");
  b.add("Greater", {b.in(n, 0), b.in(n, 1)}, {g});
  b.add("Not", {g}, {b.out(n)});
}

void select(const Node& n, Builder& b) {
  if (b.info(n, 0).shape.size() != b.info(n, 1).shape.size() && b.info(n, 0).shape.size() == 1 &&
      n.op == "Select")
    unsupported(n, "Select with a vector condition on a higher-rank tensor");
  b.add("Where", {b.in(n, 0), b.in(n, 1), b.in(n, 2)}, {b.out(n)});
}

}  // namespace

void register_elementwise(HandlerTable& t) {
  t["Add"] = t["AddV2"] = &binary<kAdd>;
  t["BiasAdd"] = t["BiasAddV1"] = &bias_add;
  t["AddN"] = &add_n;
  t["Sub"] = &binary<kSub>;
  t["Mul"] = &binary<kMul>;
  t["RealDiv"] = t["Div"] = &real_div;
  t["FloorDiv"] = &floor_div;
  t["Maximum"] = t["Minimum"] = &max_min;
  t["Pow"] = &binary<kPow>;
  t["Greater"] = &binary<kGreater>;
  t["Less"] = &binary<kLess>;
  t["Equal"] = &binary<kEqual>;
  t["GreaterEqual"] = &greater_equal;
  t["LessEqual"] = &less_equal;
  t["LogicalAnd"] = &binary<kAnd>;
  t["LogicalOr"] = &binary<kOr>;
  t["LogicalNot"] = &unary<kNot>;
  t["SquaredDifference"] = &squared_difference;
  t["Select"] = t["SelectV2"] = &select;
  t["Relu"] = &unary<kRelu>;
  t["Relu6"] = &relu6;
  t["LeakyRelu"] = &leaky_relu;
  t["Elu"] = &elu;
  t["Selu"] = &selu;
  t["Sigmoid"] = &unary<kSigmoid>;
  t["Tanh"] = &unary<kTanh>;
  t["Softplus"] = &unary<kSoftplus>;
  t["Softsign"] = &unary<kSoftsign>;
  t["Exp"] = &unary<kExp>;
  t["Log"] = &unary<kLog>;
  t["Sqrt"] = &unary<kSqrt>;
  t["Rsqrt"] = &rsqrt;
  t["Square"] = &square;
  t["Neg"] = &unary<kNeg>;
  t["Abs"] = &unary<kAbs>;
  t["Floor"] = &unary<kFloor>;
  t["Ceil"] = &unary<kCeil>;
  t["Round"] = &unary<kRound>;
  t["Sign"] = &unary<kSign>;
  t["Erf"] = &unary<kErf>;
  t["Sin"] = &unary<kSin>;
  t["Cos"] = &unary<kCos>;
  t["Reciprocal"] = t["Inv"] = &unary<kReciprocal>;
  t["Identity"] = t["Snapshot"] = t["StopGradient"] = t["PreventGradient"] = &unary<kIdentity>;
  t["Softmax"] = &softmax;
  t["LogSoftmax"] = &log_softmax;
  t["Cast"] = &cast;
}

}  // namespace tfprod::onnx_export
