// Reductions: TF's constant axes become ONNX's attribute. From opset 13
// ReduceSum takes its axes as an input, which OpenCV 4.6 refuses: there it is
// ReduceMean times the element count. TF reducing over no
// axes is the identity, where ONNX would reduce everything. ArgMax/ArgMin
// give int64 in ONNX; a TF output_type of int32 adds a Cast.
#include <algorithm>

#include "onnx/registry.h"
#include "tfprod/tensor_values.h"

namespace tfprod::onnx_export {

namespace {

std::vector<int64_t> const_axes(const Node& n, Builder& b, std::size_t i) {
  const Tensor* t = b.constant(n, i);
  if (!t) unsupported(n, "axes that are not constant");
  const int64_t rank = static_cast<int64_t>(b.info(n, 0).shape.size());
  std::vector<int64_t> axes = eval::as_ints(*t);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) unsupported(n, "an axis out of range");
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

void reduce(const Node& n, Builder& b) {
  static const std::map<std::string, std::string> ops{
      {"Mean", "ReduceMean"}, {"Sum", "ReduceSum"}, {"Max", "ReduceMax"},
      {"Min", "ReduceMin"},   {"Prod", "ReduceProd"}, {"All", ""}, {"Any", ""}};
  const std::string op = ops.at(n.op);
  if (op.empty()) unsupported(n, "boolean reductions");
  const std::vector<int64_t> axes = const_axes(n, b, 1);
  const int64_t keep = tf_bool(n, "keep_dims") ? 1 : 0;
  if (axes.empty()) {
    b.add("Identity", {b.in(n, 0)}, {b.out(n)});
    return;
  }
  if (op == "ReduceSum" && b.opset() >= 13) {
    // OpenCV 4.6 refuses ReduceSum with its opset-13 axes input: the mean
    // over the axes times their element count.
    const Shape& in = b.info(n, 0).shape;
    int64_t count = 1;
    for (int64_t a : axes) count *= in[static_cast<std::size_t>(a)];
    const std::string mean = b.fresh(n.name() + "/onnx/mean");
    auto& node = b.add("ReduceMean", {b.in(n, 0)}, {mean});
    set_attr(node, "axes", axes);
    set_attr(node, "keepdims", keep);
    b.add("Mul", {mean, b.scalar(n.name() + "/onnx/count", b.info(n, 0).dtype, static_cast<double>(count))}, {b.out(n)});
    return;
  }
  auto& node = b.add(op, {b.in(n, 0)}, {b.out(n)});
  set_attr(node, "axes", axes);
  set_attr(node, "keepdims", keep);
}

void arg(const Node& n, Builder& b) {
  const std::vector<int64_t> axes = const_axes(n, b, 1);
  if (axes.size() != 1) unsupported(n, "not exactly one axis");
  const auto* type = n.attr("output_type");
  const bool int32 = type && type->type() == tfprod::tf::DT_INT32;
  const std::string y = int32 ? b.fresh(n.name() + "/onnx/int64") : b.out(n);
  auto& node = b.add(n.op == "ArgMax" ? "ArgMax" : "ArgMin", {b.in(n, 0)}, {y});
  set_attr(node, "axis", axes[0]);
  set_attr(node, "keepdims", int64_t{0});
  if (int32)
    set_attr(b.add("Cast", {y}, {b.out(n)}), "to", static_cast<int64_t>(onnx::TensorProto::INT32));
}

}  // namespace

void register_reduction(HandlerTable& t) {
  for (const char* op : {"Mean", "Sum", "Max", "Min", "Prod", "All", "Any"}) t[op] = &reduce;
  t["ArgMax"] = t["ArgMin"] = &arg;
}

}  // namespace tfprod::onnx_export
