// Static shapes for the OpenCV passes and the pre-flight check: a tensor's
// shape found by evaluating the graph on zeros, when every placeholder it
// depends on has a fully known shape.
#pragma once

#include <optional>
#include <unordered_set>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::passes {

// The shapes of `tensors` (nullopt for all when a placeholder they read has
// an unknown dim, or the evaluation fails).
std::optional<std::vector<Shape>> static_shapes(const Graph& graph, const std::vector<Endpoint>& tensors);

}  // namespace tfprod::passes

namespace tfprod::passes {

// A scalar int32 Const written with int_val, as TF writes small constants:
// OpenCV 4.6 crashes reading a 0-D tensor from tensor_content (a Concat
// or Split axis).
Node& add_scalar_int_const(Graph& graph, std::string name, int32_t value);

// Sum(Square(x)) read on the way to an Rsqrt, or that Rsqrt: the nodes
// OpenCV fuses into L2Normalize (tf.nn.l2_normalize); no pass may split them.
bool part_of_l2_normalize(const Node& n);

// Nodes a convolution or pooling (NHWC) precedes, or that are one: OpenCV
// 4.6 reads their 4-D tensors as NHWC and maps axes to NCHW. Elsewhere it
// cannot tell the layout (empty on a cycle).
std::unordered_set<const Node*> nhwc_layout_known(const Graph& graph);

// Whether OpenCV 4.6 runs `op` (Add, AddV2, Sub, Mul, RealDiv) on two
// computed tensors of shapes `a` and `b` (NHWC): equal shapes, or for Add and
// Sub [N,H,W,C] with [N,1,1,C] (measured: OpenCvPreflight.TwoTensorElementwiseOps).
bool opencv_broadcasts(const std::string& op, const Shape& a, const Shape& b);

// The Neg of Keras' PReLU, Add(Relu(x), Mul(alpha, Relu(Neg(x)))), which
// OpenCV 4.6 fuses (it has no layer for a lone Neg).
bool part_of_prelu(const Node& neg);

}  // namespace tfprod::passes
