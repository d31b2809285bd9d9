// opencv_preflight: which nodes OpenCV 4.6's TF importer rejects, and why
// (FIELD-NOTES section 6: the importer's op list, its splices and fusions).
#include "tfprod/opencv_preflight.h"

#include <map>
#include <set>
#include <unordered_set>

#include "passes/passes.h"
#include "passes/static_shape.h"
#include "tfprod/tensor.h"
#include "tfprod/error.h"
#include "tfprod/rewrite.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/tensor_values.h"

namespace tfprod {

namespace {

// Ops OpenCV 4.6 imports, plus the ones it splices out or fuses away.
const std::set<std::string>& supported() {
  static const std::set<std::string> ops = {
      "Conv2D", "DepthwiseConv2dNative", "Conv3D", "Conv2DBackpropInput", "SpaceToBatchND", "BatchToSpaceND",
      "Pad", "MirrorPad", "BiasAdd", "Add", "AddV2", "AddN", "Sub", "Mul", "RealDiv", "MatMul", "BatchMatMul",
      "Reshape", "Flatten", "Squeeze", "Transpose", "Const", "LRN", "Concat", "ConcatV2", "MaxPool", "MaxPool3D",
      "AvgPool", "AvgPool3D", "MaxPoolGrad", "Placeholder", "Split", "Slice", "StridedSlice", "FusedBatchNorm",
      "FusedBatchNormV3", "BlockLSTM", "ResizeNearestNeighbor", "ResizeBilinear", "FusedResizeAndPadConv2D",
      "L2Normalize", "PriorBox", "Softmax", "CropAndResize", "Mean", "Sum", "Max", "Pack", "ClipByValue",
      "LeakyRelu", "Abs", "Tanh", "Sigmoid", "Relu", "Relu6", "Elu", "Exp", "Identity", "ExpandDims", "Square",
      "ArgMax", "ArgMin", "Minimum", "Maximum", "Rsqrt", "Shape", "Prod", "Dropout", "PlaceholderWithDefault",
      "Switch", "Merge", "NoOp", "NextIteration", "Floor", "Neg", "Softplus", "Softsign",
      // Not in the importer's list, but created by op name as OpenCV's own
      // layer of that type, one input: measured exact (OpenCvGaps.SqrtRunsAsIs,
      // OpenCvPasses.UnaryOpsOpenCvCreatesByName).
      "Sqrt", "Erf", "Ceil", "Log", "Round", "Acos", "Asin", "Atan", "Cos", "Cosh", "Sin", "Sinh", "Tan", "Sign",
      "Reciprocal", "Selu"};
  return ops;
}

const std::map<std::string, std::string>& hints() {
  static const std::map<std::string, std::string> h = {
      {"RandomUniform", "dropout left in the graph; run remove_dropout"},
      {"RandomUniformLike", "dropout left in the graph; run remove_dropout"},
      {"RandomStandardNormal", "a random op at inference; remove the sampling sub-graph"},
      {"Cast", "OpenCV has no Cast; run opencv_float_weights / opencv_const_weights (or fold_constants)"},
      {"Select", "a training switch: run placeholders_to_const(names=FLAG), opencv_fold_shapes, opencv_resolve_select"},
      {"SelectV2", "a training switch: run placeholders_to_const(names=FLAG), opencv_fold_shapes, opencv_resolve_select"},
      {"ReadVariableOp", "a resource variable: freeze the graph first (tfprod freeze)"},
      {"VarHandleOp", "a resource variable: freeze the graph first (tfprod freeze)"},
      {"VariableV2", "a variable: freeze the graph first (tfprod freeze)"},
      {"StatefulPartitionedCall", "a function call: run inline_partitionedcall"},
      {"PartitionedCall", "a function call: run inline_partitionedcall"},
      {"IteratorGetNext", "a tf.data input: run strip_unused_nodes with --inputs"},
      {"OneShotIterator", "a tf.data input: run strip_unused_nodes with --inputs"},
      {"SquaredDifference", "batch-norm moments (training mode): run placeholders_to_const(names=FLAG), opencv_fold_shapes"},
      {"StopGradient", "training-only op (batch-norm moments?): run remove_training_nodes / placeholders_to_const"},
      {"Assert", "training-only op: run remove_training_nodes"},
      {"CheckNumerics", "training-only op: run remove_training_nodes"},
      {"Enter", "a while loop: OpenCV runs no control flow"},
      {"Div", "OpenCV knows RealDiv, not Div: run opencv_div_to_realdiv (floats)"},
      {"Tile", "OpenCV 4.6 has no Tile: run opencv_tile_to_concat (constant multiples)"},
      {"Unpack", "OpenCV 4.6 has no Unpack (a static RNN's unstack): opencv_unpack_to_split rewrites it, but OpenCV 4.6 "
                 "runs few static RNNs; export to ONNX"},
      {"Exit", "a while loop: OpenCV runs no control flow"},
      {"LoopCond", "a while loop: OpenCV runs no control flow"},
  };
  return h;
}

bool reduced_or_unknown(const tfprod::tf::AttrValue& v) {
  auto bad = [](int t) { return !((t >= 0 && t <= 19) || (t >= 101 && t <= 119)); };
  if (v.has_type()) return bad(v.type());
  if (v.has_list())
    for (int t : v.list().type())
      if (bad(t)) return true;
  return false;
}

// Inputs that must be a direct Const: weights of convolutions and matmuls.
std::vector<int> weight_inputs(const std::string& op) {
  if (op == "Conv2D" || op == "DepthwiseConv2dNative" || op == "Conv3D" || op == "BiasAdd") return {1};
  if (op == "Conv2DBackpropInput") return {1};
  if (op == "FusedBatchNorm" || op == "FusedBatchNormV3") return {1, 2, 3, 4};
  return {};
}

// A Reshape to a 4-D shape other than [N,1,1,C]: OpenCV 4.6 applies the
// target to its NCHW blob (or permutes a lower-rank blob as if NHWC).
bool reshape_to_nhwc(const Node* n) {
  if (n->op != "Reshape" || n->inputs.size() != 2 || n->inputs[1].node->op != "Const") return false;
  const auto* v = n->inputs[1].node->attr("value");
  if (!v || v->tensor().tensor_shape().dim_size() != 1 || v->tensor().tensor_shape().dim(0).size() != 4) return false;
  const auto& t = v->tensor();
  auto dim = [&](int i) -> int64_t {
    if (t.int_val_size() > i) return t.int_val(i);
    if (t.int64_val_size() > i) return t.int64_val(i);
    if (t.tensor_content().size() == 16) return reinterpret_cast<const int32_t*>(t.tensor_content().data())[i];
    if (t.tensor_content().size() == 32) return reinterpret_cast<const int64_t*>(t.tensor_content().data())[i];
    return -2;
  };
  return !(dim(1) == 1 && dim(2) == 1);
}

// Mean / Sum modes OpenCV 4.6 reads: over the spatial axes ([1], [2],
// [1,2]) or the channels ([3]) of a 4-D tensor; not over a 2-D tensor's
// features (measured: "Unsupported mode of reduce_mean", or a Permute
// failing at run time). Empty when fine, else why.
std::string reduce_problem(const Node* n, const std::map<const Node*, int64_t>& ranks) {
  if ((n->op != "Mean" && n->op != "Sum") || n->inputs.size() != 2) return "";
  if (passes::part_of_l2_normalize(*n)) return "";  // OpenCV fuses tf.nn.l2_normalize
  auto axes_tensor = const_tensor(*n->inputs[1].node);
  if (!axes_tensor) return "reduction axes are computed: OpenCV needs them Const; run opencv_fold_shapes";
  std::set<int64_t> axes;
  for (int64_t a : eval::as_ints(*axes_tensor)) axes.insert(a);
  auto r = ranks.find(n);
  const int64_t rank = r != ranks.end() ? r->second : 4;
  std::set<int64_t> normal;
  for (int64_t a : axes) {
    if (!eval::normalize_axis(&a, rank)) return "reduction axis out of range";
    normal.insert(a);
  }
  const std::string why = " (OpenCV 4.6 reduces over [1], [2], [1,2] or [3] of a 4-D NHWC tensor)";
  if (rank == 4) {
    static const std::set<std::set<int64_t>> ok = {{1}, {2}, {1, 2}, {3}};
    if (ok.count(normal)) return "";
    return "reduces over axes that mix spatial and channel, or the batch" + why + "; run opencv_reduce_axes";
  }
  if (rank == 2 && normal == std::set<int64_t>{0}) return "";
  return "reduces a " + std::to_string(rank) + "-D tensor" + why + "; run opencv_reduce_axes (2-D features)";
}

// Mean / Sum over [1,2]: global pooling of a 4-D NHWC tensor, the common
// case, judged without evaluating the graph for its rank.
bool global_pooling(const Node& n) {
  auto axes = const_tensor(*n.inputs[1].node);
  if (!axes) return false;
  std::set<int64_t> set;
  for (int64_t a : eval::as_ints(*axes)) set.insert(a);
  return set == std::set<int64_t>{1, 2};
}

// A 0-D Const written in tensor_content read as a Concat / Split axis:
// OpenCV 4.6 crashes reading it (measured: a segfault in readNetFromTensorflow).
bool scalar_axis_in_content(const Node* n) {
  int axis_input = -1;
  if (n->op == "ConcatV2" && !n->inputs.empty()) axis_input = static_cast<int>(n->inputs.size()) - 1;
  if (n->op == "Concat" || n->op == "Split") axis_input = 0;
  if (axis_input < 0) return false;
  const Node* a = n->inputs[axis_input].node;
  const auto* v = a->op == "Const" ? a->attr("value") : nullptr;
  return v && v->tensor().tensor_shape().dim_size() == 0 && !v->tensor().tensor_content().empty();
}

// Max(x, Mul(alpha, x)) with a scalar Const alpha, either order: OpenCV fuses it into LeakyRelu.
bool leaky_relu(const Node& n) {
  if (n.op != "Maximum" || n.inputs.size() != 2) return false;
  for (int m = 0; m < 2; ++m) {
    const Node& mul = *n.inputs[m].node;
    if (mul.op != "Mul" || mul.inputs.size() != 2) continue;
    for (int a = 0; a < 2; ++a) {
      auto alpha = const_tensor(*mul.inputs[a].node);
      if (alpha && alpha->num_elements() == 1 && mul.inputs[1 - a] == n.inputs[1 - m]) return true;
    }
  }
  return false;
}

// The two-tensor forms of OpenCV 4.6's element-wise layers (measured with
// placeholders and computed tensors, OpenCvPreflight.TwoTensorElementwiseOps):
// Maximum and Minimum take a constant (or are a LeakyRelu); Mul and RealDiv
// of two network inputs fail ("inputs.size() == requiredOutputs"); shapes
// must be equal, except Add / Sub of [N,H,W,C] and [N,1,1,C].
bool elementwise_pair(const Node& n, const std::unordered_set<const Node*>& constant) {
  static const std::set<std::string> ops = {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"};
  auto computed = [&](const Node* in) { return in->op != "Const" && !constant.count(in); };
  return ops.count(n.op) && n.inputs.size() == 2 && computed(n.inputs[0].node) && computed(n.inputs[1].node);
}

// Nodes that compute a constant: Consts, and ops that read only such nodes
// (Neg(alpha) in a PReLU before constant folding).
std::unordered_set<const Node*> constant_nodes(const Graph& graph) {
  std::unordered_set<const Node*> constant;
  std::vector<Node*> order;
  try {
    order = graph.topological_order();
  } catch (const Error&) {
    return constant;  // a cycle: judge by the Consts alone
  }
  for (const Node* n : order) {
    bool c = n->op == "Const";
    if (!c && !n->inputs.empty() && !n->op.starts_with("Placeholder") && !n->op.starts_with("Random")) {
      c = true;
      for (const auto& in : n->inputs) c = c && constant.count(in.node);
    }
    if (c) constant.insert(n);
  }
  return constant;
}

std::string elementwise_problem(const Node& n, const std::map<const Node*, std::pair<Shape, Shape>>& shapes) {
  if ((n.op == "Maximum" || n.op == "Minimum") && !leaky_relu(n))
    return "OpenCV 4.6 takes " + n.op + " of a tensor and a constant (or LeakyRelu's max(x, a*x)), not of two "
           "computed tensors (\"Can't create layer\")";
  if ((n.op == "Mul" || n.op == "RealDiv") && n.inputs[0].node->op.starts_with("Placeholder") &&
      n.inputs[1].node->op.starts_with("Placeholder"))
    return "OpenCV 4.6 fails on " + n.op + " of two network inputs (\"inputs.size() == requiredOutputs\")";
  // Add(t, Mul(u, c)) with c a per-channel Const: OpenCV 4.6 fails on the
  // Mul ("Const input blob for weights not found"), but in Keras' PReLU.
  if (n.op == "Add" || n.op == "AddV2")
    for (const auto& in : n.inputs) {
      const Node& m = *in.node;
      if (m.op != "Mul" || m.inputs.size() != 2) continue;
      for (const auto& f : m.inputs) {
        auto c = const_tensor(*f.node);
        if (!c || c->num_elements() <= 1) continue;
        const Node& other = *m.inputs[&f == &m.inputs[0] ? 1 : 0].node;
        const bool prelu = other.op == "Relu" && other.inputs.size() == 1 && other.inputs[0].node->op == "Neg" &&
                           passes::part_of_prelu(*other.inputs[0].node);
        if (!prelu)
          return "adds '" + m.name() + "', a product with the constant '" + f.node->name() + "' of " +
                 std::to_string(c->num_elements()) + " values, to a computed tensor: OpenCV 4.6 fails on it "
                 "(\"Const input blob for weights not found\")";
      }
    }
  for (const auto& in : n.inputs)  // x * Rsqrt(...) of tf.nn.l2_normalize, which OpenCV fuses
    if (n.op == "Mul" && in.node->op == "Rsqrt" && passes::part_of_l2_normalize(*in.node)) return "";
  auto s = shapes.find(&n);
  if (s == shapes.end() || s->second.first == s->second.second) return "";
  const Shape& a = s->second.first;
  const Shape& b = s->second.second;
  if (passes::opencv_broadcasts(n.op, a, b)) return "";
  return "broadcasts " + shape_string(a) + " with " + shape_string(b) + ": OpenCV 4.6 needs equal shapes here" +
         (n.op == "Add" || n.op == "AddV2" || n.op == "Sub" ? " (or [N,H,W,C] with [N,1,1,C])" : "") +
         " (\"numChannels == input_channels\"); run opencv_explicit_broadcast (operands of one rank)";
}

// ConcatV2 and Split along axis 1, 2 or 3 of a 4-D tensor that no
// convolution or pooling precedes: OpenCV 4.6 cannot tell the tensor is
// NHWC and joins or splits the wrong axis (measured: wrong values, or a
// failure; with a Conv2D before it, right). Node -> why.
std::map<const Node*, std::string> unknown_layout_axis_ops(const Graph& graph) {
  std::map<const Node*, std::string> out;
  std::vector<const Node*> ops;
  std::vector<Endpoint> data;
  for (const Node* n : graph.nodes()) {
    if (n->op == "ConcatV2" && n->inputs.size() >= 3) data.push_back(n->inputs[0]);
    else if (n->op == "Split" && n->inputs.size() == 2) data.push_back(n->inputs[1]);
    else continue;
    ops.push_back(n);
  }
  if (ops.empty()) return out;
  const std::unordered_set<const Node*> known = passes::nhwc_layout_known(graph);
  std::vector<const Node*> unknown;
  std::vector<Endpoint> unknown_data;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!known.count(ops[i])) {
      unknown.push_back(ops[i]);
      unknown_data.push_back(data[i]);
    }
  if (unknown.empty()) return out;
  auto shapes = passes::static_shapes(graph, unknown_data);
  if (!shapes) return out;
  for (std::size_t i = 0; i < unknown.size(); ++i) {
    const Node* n = unknown[i];
    if ((*shapes)[i].size() != 4) continue;
    const Node* axis_node = n->op == "Split" ? n->inputs[0].node : n->inputs.back().node;
    auto axis_tensor = const_tensor(*axis_node);
    if (!axis_tensor || axis_tensor->num_elements() != 1) continue;
    int64_t axis = eval::as_ints(*axis_tensor)[0];
    if (!eval::normalize_axis(&axis, 4) || axis == 0) continue;
    if (n->op == "Split" && n->attr("num_split") && n->attr("num_split")->i() == 1) continue;
    out[n] = "joins or splits axis " + std::to_string(axis) + " of a 4-D tensor no convolution or pooling precedes: "
             "OpenCV 4.6 cannot tell it is NHWC and uses the wrong axis (wrong values or a failure)";
  }
  return out;
}

}  // namespace

std::vector<PreflightIssue> opencv_preflight(const Graph& graph) {
  std::vector<PreflightIssue> issues;
  // Shapes from evaluations on zeros: the ranks of the reductions' inputs,
  // both operands of the element-wise ops on two computed tensors. Two
  // evaluations, not one: either may fail (an op without a kernel) where the
  // other works.
  std::map<const Node*, int64_t> ranks;
  std::map<const Node*, std::pair<Shape, Shape>> pair_shapes;
  // Which operands are constant needs a graph walk: only where some op may be a pair.
  const std::unordered_set<const Node*> consts_only = {};
  bool maybe_pairs = false;
  for (const Node* n : graph.nodes()) maybe_pairs = maybe_pairs || elementwise_pair(*n, consts_only);
  const std::unordered_set<const Node*> constant = maybe_pairs ? constant_nodes(graph) : consts_only;
  std::vector<const Node*> reduces, pairs;
  std::vector<Endpoint> reduced, operands;
  for (const Node* n : graph.nodes()) {
    if ((n->op == "Mean" || n->op == "Sum") && n->inputs.size() == 2 && !global_pooling(*n)) {
      reduces.push_back(n);
      reduced.push_back(n->inputs[0]);
    }
    if (elementwise_pair(*n, constant)) {
      pairs.push_back(n);
      operands.push_back(n->inputs[0]);
      operands.push_back(n->inputs[1]);
    }
  }
  if (!reduced.empty())
    if (auto shapes = passes::static_shapes(graph, reduced))
      for (std::size_t i = 0; i < reduces.size(); ++i) ranks[reduces[i]] = static_cast<int64_t>((*shapes)[i].size());
  if (!operands.empty())
    if (auto shapes = passes::static_shapes(graph, operands))
      for (std::size_t i = 0; i < pairs.size(); ++i) pair_shapes[pairs[i]] = {(*shapes)[2 * i], (*shapes)[2 * i + 1]};
  const std::map<const Node*, std::string> layout = unknown_layout_axis_ops(graph);
  for (const Node* n : graph.nodes()) {
    auto add = [&](std::string hint) { issues.push_back({n->name(), n->op, std::move(hint)}); };
    if (!supported().count(n->op)) {
      if (n->op.starts_with("Random") && n->name().find("/Initializer/") != std::string::npos) {
        add("a variable's initializer (the graph is not frozen): freezing drops it (tfprod freeze, or export)");
        continue;
      }
      auto h = hints().find(n->op);
      add(h != hints().end() ? h->second : "OpenCV 4.6 has no importer for " + n->op + " (it becomes an unknown layer)");
      continue;
    }
    for (int i : weight_inputs(n->op))
      if (i < static_cast<int>(n->inputs.size()) && n->inputs[i].node->op != "Const") {
        const Node* w = n->inputs[i].node;
        if (w->op == "Identity" || w->op == "Cast" || w->op == "ReadVariableOp") {
          add("input " + std::to_string(i) + " is " + w->op + " '" + w->name() +
              "', not a Const (\"Const input blob for weights not found\"); run opencv_const_weights");
          break;
        }
      }
    for (const auto& a : n->attrs())
      if (reduced_or_unknown(a.value())) {
        add("attr '" + a.key() + "' holds a type past DT_HALF that OpenCV's protos lack; run opencv_strip_attrs");
        break;
      }
    for (const auto& in : n->inputs)
      if (in.node->op == "BlockLSTM" && in.index != 0) {
        add("reads output " + std::to_string(in.index) + " of BlockLSTM '" + in.node->name() +
            "': OpenCV 4.6's LSTM layer has one output (h); only OpenCV's own text config (the .pbtxt) can remap it");
        break;
      }
    if (!n->control_inputs.empty() && n->op != "Const")  // a Const's inputs are never read
      add("control input ^" + n->control_inputs[0]->name() +
          ": OpenCV 4.6 counts it as an input (\"num_inputs == 5 ... is 6\" on a batch norm); run "
          "opencv_drop_control_inputs");
    if (std::string why = reduce_problem(n, ranks); !why.empty()) add(why);
    if ((n->op == "Neg" || n->op == "Rsqrt") && n->inputs.size() == 1 && n->inputs[0].node->op != "Const" &&
        !passes::part_of_prelu(*n) && !passes::part_of_l2_normalize(*n))
      add("OpenCV 4.6 has no layer for a lone " + n->op +
          " (it reads one only inside the PReLU and l2_normalize patterns it fuses); run opencv_unary_ops");
    if (elementwise_pair(*n, constant))
      if (std::string why = elementwise_problem(*n, pair_shapes); !why.empty()) add(why);
    if (auto it = layout.find(n); it != layout.end()) add(it->second);
    if (!n->uses().empty() && passes::opencv_reads_partially(*n))
      add("lists " + std::to_string(passes::stored_values(n->attr("value")->tensor())) +
          " values for its shape " + shape_string(shape_from_proto(n->attr("value")->tensor().tensor_shape())) +
          " (TF repeats the last one); OpenCV 4.6 reads only what is listed (\"size == (int)dstBlob.total()\"): run "
          "opencv_expand_splats");
    if (scalar_axis_in_content(n))
      add("its axis is a 0-D Const stored in tensor_content, which crashes OpenCV 4.6's importer; write it with "
          "int_val (tfprod's passes do)");
    if (n->op == "Transpose" && n->inputs.size() == 2 && n->inputs[1].node->op != "Const")
      add("Transpose with a computed perm: OpenCV needs a Const perm; run opencv_fold_shapes");
    if (reshape_to_nhwc(n))
      add("Reshape to a 4-D NHWC shape: OpenCV 4.6 reads it as NCHW (wrong channels) unless it is [N,1,1,C]; cut the "
          "graph after it (strip_unused_nodes, a 4-D placeholder) or keep this part out of OpenCV");
    if ((n->op == "Reshape" || n->op == "Conv2DBackpropInput") && n->inputs.size() >= 2) {
      int shape_input = n->op == "Reshape" ? 1 : 0;
      const Node* s = n->inputs[shape_input].node;
      if (s->op != "Const" && s->op != "Pack" && s->op != "Shape")
        add("shape computed by " + s->op + " '" + s->name() + "': OpenCV matches only a few such patterns; run "
            "opencv_fold_shapes (placeholders need known shapes)");
    }
  }
  return issues;
}

std::string preflight_text(const std::vector<PreflightIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += i.node + " (" + i.op + "): " + i.hint + "\n";
  return out;
}

}  // namespace tfprod
