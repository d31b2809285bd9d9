// The transpose optimizer: after conversion every NHWC op sits between
// Transposes to and from NCHW. Rewrites, to a fixed point:
//
//   cancel:  Transpose(p) -> Transpose(q)          =>  Transpose(p∘q), or nothing when it is the identity
//   push:    Transpose(p) -> Relu                  =>  Relu -> Transpose(p)
//            Transpose(p)(a) + Transpose(p)(b)     =>  Transpose(p)(a + b)     (Add, Mul, Concat, ...)
//            Transpose(p)(a) * Const c             =>  Transpose(p)(a * c')    (c' = c permuted back)
//            ReduceMean(keepdims) / Pad / Softmax  :  their axes and pads permuted
//   fold:    Transpose(p) -> Reshape([N, K]) -> MatMul(Const W)
//                                              =>  Reshape([N, K]) -> MatMul(W with its rows permuted)
//            MatMul(Const W) [-> Add(Const b)] -> Reshape([N,H,W,C]) [-> unary] -> Transpose(0,3,1,2)
//                                              =>  MatMul(W' columns permuted) [-> Add(b')] -> Reshape([N,C,H,W])
//            Transpose moving only dims of size 1  =>  Reshape;  Reshape(Reshape(x)) => Reshape(x)
//   then, once no Transpose moves any more:
//   fuse:    MatMul(x[M, K], Const W) -> Add(Const b[N])  =>  Gemm(x, W^T, b, transB=1)
//            (OpenCV imports a Gemm as one InnerProduct with its bias, and fuses
//            a following activation into it; MatMul + Add are two layers and
//            no fusion, measured in bench/onnx_bench.sh)
//
// so that a conv net keeps Transposes only where it meets the outside (its
// NHWC inputs and outputs). Values named as graph outputs keep their names;
// the node list is left in topological order. Every rewrite computes the same
// values (tests check it numerically in OpenCV and ONNX Runtime).
#pragma once

#include <onnx/onnx_pb.h>

namespace tfprod::onnx_export {

void optimize_transposes(onnx::ModelProto& model);

// Removes nodes no graph output needs and initializers nothing reads;
// sorts the nodes topologically.
void prune(onnx::GraphProto& graph);

}  // namespace tfprod::onnx_export
