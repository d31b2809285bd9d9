// quantize_weights: stores large float constants as eight bits. Each float
// Const with at least minimum_size (default 1024) elements becomes a quint8
// Const plus its range, dequantized where it stood; consumers are unchanged.
//
//   w = Const[float 3x3x64x64]        w_quantized_const = Const[quint8 3x3x64x64]
//   y = Conv2D(x, w)            =>    w_quantized_min = Const(min)  w_quantized_max = Const(max)
//                                     w = Dequantize[T=quint8, mode=MIN_FIRST](w_quantized_const, ..._min, ..._max)
//                                     y = Conv2D(x, w)
//
// The maths is TF's (quantization_utils.h): the range [min, max] is widened
// to hold 0 (and made non-empty: max = min + 1 around 0, 2*min or min/2
// otherwise); with scale = 255 / (max - min),
//   q = clamp(round(v * scale) - round(min * scale), 0, 255)
// and Dequantize MIN_FIRST gives back round(min / step) * step + q * step
// with step = (max - min) / 255: each weight moves by at most about a step.
// The Dequantize keeps the Const's device and control inputs.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tfprod/tensor_values.h"
#include "passes/float_weights.h"
#include "passes/passes.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

uint8_t float_to_quint8(float v, float min, float max) {
  if (min == max) return 0;
  const double range_scale = 256.0 / ((static_cast<double>(max) - min) * (256.0 / 255.0));
  const int64_t q = static_cast<int64_t>(std::round(v * range_scale) - std::round(min * range_scale));
  return static_cast<uint8_t>(std::clamp<int64_t>(q, 0, 255));
}

Node& scalar_const(Graph& graph, const std::string& name, const Node& like, float v) {
  Node& n = graph.add_node(name, "Const");
  n.device = like.device;
  n.set_attr("dtype").set_type(tfprod::tf::DT_FLOAT);
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, {});
  eval::values<float>(t)[0] = v;
  tensor_to_proto(std::move(t), n.set_attr("value").mutable_tensor());
  return n;
}

bool run(Graph& graph, const PassOptions& options, PassContext&) {
  const int64_t minimum_size = options.get_int("minimum_size", 1024);
  bool changed = false;
  for (Node* n : graph.nodes()) {
    const std::optional<Tensor> found = large_float_const(*n, minimum_size);
    if (!found) continue;
    const Tensor& w = *found;

    float min = 0.0f, max = 0.0f;  // the range always holds 0
    for (float v : eval::values<float>(w)) min = std::min(min, v), max = std::max(max, v);
    if (min == max) {
      if (std::abs(min) < 0.000001f) max = min + 1.0f;
      else if (min > 0) max = 2.0f * min;
      else max = min / 2.0f;
    }
    Tensor q = eval::make_tensor(tfprod::tf::DT_QUINT8, w.shape);
    auto src = eval::values<float>(w);
    auto dst = eval::values<uint8_t>(q);
    for (std::size_t i = 0; i < src.size(); ++i) dst[i] = float_to_quint8(src[i], min, max);

    Node& qc = graph.add_node(n->name() + "_quantized_const", "Const");
    qc.device = n->device;
    qc.set_attr("dtype").set_type(tfprod::tf::DT_QUINT8);
    tensor_to_proto(std::move(q), qc.set_attr("value").mutable_tensor());
    Node& lo = scalar_const(graph, n->name() + "_quantized_min", *n, min);
    Node& hi = scalar_const(graph, n->name() + "_quantized_max", *n, max);

    n->op = "Dequantize";
    n->attrs().Clear();
    n->set_attr("T").set_type(tfprod::tf::DT_QUINT8);
    n->set_attr("mode").set_s("MIN_FIRST");
    graph.set_inputs(*n, {{&qc, 0}, {&lo, 0}, {&hi, 0}});
    changed = true;
  }
  return changed;
}

}  // namespace

PassSpec quantize_weights() {
  return {"quantize_weights",
          "Store large float Consts as quint8 with a MIN_FIRST Dequantize in their place",
          {{"minimum_size", OptionType::kInt, "quantize only Consts with at least this many elements (default 1024)"}},
          run};
}

}  // namespace tfprod::passes
