// The one table from TF op to ONNX handler: each family registers its ops in
// registry.cc's explicit list (no static self-registration), one file per
// family under handlers/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "onnx/builder.h"

namespace tfprod::onnx_export {

// Writes the ONNX nodes computing `node`'s outputs into `b` (output `port`
// named b.out(node, port)). Throws Error naming the node for a form it
// cannot express.
using Handler = void (*)(const Node& node, Builder& b);
using HandlerTable = std::map<std::string, Handler, std::less<>>;

void register_array(HandlerTable& t);        // Const, Placeholder, Reshape, Concat, Pack, Slice, Pad, ...
void register_elementwise(HandlerTable& t);  // Add, Mul, Relu, Sigmoid, Softmax, Cast, ...
void register_matmul(HandlerTable& t);       // MatMul, BatchMatMul
void register_nn(HandlerTable& t);           // Conv2D, depthwise, pools, batch norm, LRN
void register_recurrent(HandlerTable& t);    // BlockLSTM, LSTMBlockCell
void register_reduction(HandlerTable& t);    // Mean, Sum, Max, Min, Prod, ArgMax, ArgMin

const Handler* find_handler(const std::string& op);
std::vector<std::string> handled_ops();

}  // namespace tfprod::onnx_export
