// What the batch-norm folds (fold_batch_norms, fold_old_batch_norms) share:
// reading float constants, the one code path that scales a conv's weights
// per output channel, and writing a folded value into a Const the fold may
// change (copying it when others read it too).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::passes {

// The value of a float Const (float, half, bfloat16, double), widened to
// double; nullopt for anything else.
std::optional<Tensor> float_const(const Node* n);

// Conv2D, DepthwiseConv2dNative or MatMul: the producers a fold accepts.
bool is_weighted_producer(const Node* n);

// Output channels of `producer`'s weights of shape `w` (0 when the shape
// does not fit), and the divisor that turns a flat weight index into a
// channel: Conv2D W[kh,kw,ci,co] (co), DepthwiseConv2dNative W[kh,kw,c,m]
// (c*m), MatMul W[k,n] (n) or [n,k] with transpose_b.
std::pair<int64_t, int64_t> output_channels(const Node* producer, const Shape& w);

// W (double) times scale[c] along the output channel; nullopt when the
// weights' channel count is not scale.size().
std::optional<Tensor> scale_weights(const Node* producer, const Tensor& w, const std::vector<double>& scale);

// A double vector as a [n] tensor.
Tensor vector_tensor(const std::vector<double>& v);

// Writes `value` (double) into Const `n` as `dtype`.
void set_value(Node& n, const Tensor& value, DataType dtype);

// The Const `reader` reads at `input`, ready to be overwritten: itself when
// that edge is its only reader and `copy` is false, else a new Const named
// unique_name(copy_name) (same device and dtype) wired in its place.
Node& writable_const(Graph& g, Node& reader, std::size_t input, const std::string& copy_name, bool copy = false);

}  // namespace tfprod::passes
