// The transpose optimizer's last rewrite (see transpose_optimizer.h): a dense
// layer as ONNX's own dense op. TF's MatMul -> BiasAdd become ONNX MatMul ->
// Add, which OpenCV 4.6 imports as an InnerProduct without bias followed by a
// Scale layer, and a Relu after it then stays a layer of its own. As one
// Gemm(x, W, b) OpenCV makes a single InnerProduct with its bias and fuses
// the activation into it, as its TF importer does with MatMul + BiasAdd.
// OpenCV 4.6 reads a Gemm right only with transB=1 (with transB=0 it
// transposes W but takes the output count from the wrong dim): W is stored
// transposed, [N, K], which also spares OpenCV its own transpose of W at load
// (it transposes a MatMul's W). W^T replaces W when the MatMul alone reads it.
#include <algorithm>

#include "onnx/transpose_rewrites.h"

namespace tfprod::onnx_export::transposes {

namespace {

template <class T>
void transpose_2d(const char* from, char* to, int64_t rows, int64_t cols) {
  const T* src = reinterpret_cast<const T*>(from);
  T* dst = reinterpret_cast<T*>(to);
  constexpr int64_t kBlock = 32;  // tiles, so that both sides stay in cache
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock)
      for (int64_t r = r0; r < std::min(r0 + kBlock, rows); ++r)
        for (int64_t c = c0; c < std::min(c0 + kBlock, cols); ++c) dst[c * rows + r] = src[r * cols + c];
}

// [rows, cols] -> [cols, rows] of `elem`-byte elements (2, 4 or 8).
std::string transposed(const std::string& data, int64_t rows, int64_t cols, std::size_t elem) {
  std::string out(data.size(), '\0');
  if (elem == 2) transpose_2d<uint16_t>(data.data(), out.data(), rows, cols);
  else if (elem == 4) transpose_2d<uint32_t>(data.data(), out.data(), rows, cols);
  else transpose_2d<uint64_t>(data.data(), out.data(), rows, cols);
  return out;
}

}  // namespace

bool Optimizer::fuse_gemm(const std::unordered_map<std::string, std::vector<int64_t>>& shapes) {
  index();
  std::unordered_map<std::string, std::string> made;  // W -> W^T made for another reader
  bool changed = false;
  for (int i = 0; i < g_.node_size(); ++i) {
    const onnx::NodeProto& m = g_.node(i);
    if (m.op_type() != "MatMul" || m.input_size() != 2 || m.output_size() != 1) continue;
    const std::string& x = m.input(0);
    auto xs = shapes.find(x);
    if (init_.count(x) || xs == shapes.end() || xs->second.size() != 2) continue;
    const onnx::TensorProto* w = raw_initializer(m.input(1));
    if (!w || w->dims_size() != 2 || w->dims(0) <= 0 || w->dims(1) <= 0) continue;
    const int32_t dtype = w->data_type();
    const std::size_t elem = dtype == onnx::TensorProto::FLOAT16  ? 2
                             : dtype == onnx::TensorProto::FLOAT  ? 4
                             : dtype == onnx::TensorProto::DOUBLE ? 8
                                                                  : 0;
    if (elem == 0 || w->raw_data().size() != static_cast<std::size_t>(w->dims(0) * w->dims(1)) * elem) continue;
    const std::string& y = m.output(0);
    const int a_idx = only_consumer(y);
    if (a_idx < 0 || outputs_.count(y) || consumers_.at(y).size() != 1) continue;
    const onnx::NodeProto& add = g_.node(a_idx);
    if (add.op_type() != "Add" || add.input_size() != 2 || add.output_size() != 1) continue;
    const std::string& bias = add.input(0) == y ? add.input(1) : add.input(0);
    const onnx::TensorProto* b = raw_initializer(bias);
    if (!b || b->data_type() != dtype || b->dims_size() != 1 || b->dims(0) != w->dims(1)) continue;
    // W [K, N] as W^T [N, K]: replacing W when this MatMul alone reads it,
    // else beside it (once per W, however many Gemms read it).
    const std::string wname = m.input(1);
    const int64_t k = w->dims(0), n = w->dims(1);
    std::string wt;
    if (auto done = made.find(wname); done != made.end()) {
      wt = done->second;
    } else if (onnx::TensorProto* own = sole_initializer(wname, i)) {
      std::string data = transposed(own->raw_data(), k, n, elem);
      own->mutable_raw_data()->swap(data);
      own->set_dims(0, n);
      own->set_dims(1, k);
      wt = renew_initializer(wname, wname + "/transposed");
    } else {
      Tensor value;
      value.shape = {n, k};
      value.data = transposed(w->raw_data(), k, n, elem);
      wt = add_initializer_like(wname, wname + "/transposed", std::move(value));
      made[wname] = wt;
    }
    onnx::NodeProto gemm;
    gemm.set_op_type("Gemm");
    gemm.set_name(m.name());
    gemm.add_input(x);
    gemm.add_input(wt);
    gemm.add_input(bias);
    gemm.add_output(add.output(0));
    set_attr(gemm, "transB", int64_t{1});
    *g_.mutable_node(i) = std::move(gemm);
    onnx::NodeProto& dead = *g_.mutable_node(a_idx);
    dead.clear_input();
    dead.clear_output();
    dead.set_op_type("");  // pruned
    index();
    changed = true;
  }
  return changed;
}

}  // namespace tfprod::onnx_export::transposes
