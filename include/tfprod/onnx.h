// ONNX export: a cleaned, frozen TensorFlow inference graph (what `tfprod
// export` proves in OpenCV) written as an ONNX model, with no TensorFlow and
// no Python.
//
// Each TF op is converted by a handler of its family (src/onnx/handlers/).
// NHWC ops (Conv2D, pools, ...) become NCHW ONNX ops between Transposes, and
// a transpose optimizer then pushes those through element-wise ops, cancels
// inverse pairs and folds them into constants, so a conv net keeps Transposes
// only at its boundary (and none with inputs_as_nchw / outputs_as_nchw).
//
// Names: ONNX values carry TF's tensor names. Output 0 of a node is named
// like the node ("softmax_tensor", not "softmax_tensor:0"); any other output
// keeps its port ("split:1"). Model inputs and outputs are named so too;
// nodes the converter adds are named "TFNODE/onnx/WHAT".
//
// Shapes: every tensor's shape is known at export time (the model's inputs
// have fully known shapes): shape arithmetic is folded to constants and
// Reshapes get their static target shape, because OpenCV's ONNX importer
// refuses dynamic Shape chains.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod {

inline constexpr int kOnnxDefaultOpset = 13;
inline constexpr int kOnnxMinOpset = 11;
inline constexpr int kOnnxMaxOpset = 17;

struct OnnxOptions {
  int opset = kOnnxDefaultOpset;  // kOnnxMinOpset..kOnnxMaxOpset
  // 4-D inputs / outputs (by TF name, "x" or "x:0") the model takes / gives
  // as NCHW instead of TF's NHWC.
  std::vector<std::string> inputs_as_nchw, outputs_as_nchw;
  bool optimize_transposes = true;
  // Weights go to ONNX external data: always with `external_data`, and
  // whenever the model with its weights inline would pass protobuf's 2 GiB
  // limit. Each initializer of at least kOnnxExternalMinBytes is stored in
  // the file `external_location` (relative to the model's directory), one
  // after another, as ONNX Runtime and onnx.load expect.
  bool external_data = false;
  std::string external_location = "model.onnx.data";
  // The batch dim (dim 0 of every input and output) is the symbol "N" in the
  // model's signature, and Reshapes copy it from their input (0) instead of
  // fixing it: runtimes that take any batch (ONNX Runtime) run it so. The
  // conversion itself uses the batch of the declared input shape.
  bool dynamic_batch = false;
};

inline constexpr uint64_t kOnnxProtobufLimit = (uint64_t{1} << 31) - 1;
inline constexpr std::size_t kOnnxExternalMinBytes = 1024;

struct OnnxModel {
  std::string bytes;                         // serialized onnx.ModelProto
  std::vector<std::string> inputs, outputs;  // ONNX names, in the order given
  std::size_t nodes = 0, transposes = 0;
  // External data: the data file's contents, in order (each piece one
  // initializer's raw bytes, moved out of the model, not copied); empty when
  // the weights are inline.
  std::vector<std::string> external;
  uint64_t external_bytes = 0;
};

// The ONNX name of a TF tensor reference: "x:0" and "x" -> "x", "x:2" -> "x:2".
std::string onnx_name(const std::string& tf_tensor);

// Converts `graph` (frozen, inference mode, every input a Placeholder with a
// fully known shape) to ONNX. `inputs` are the placeholders the model takes,
// `outputs` the tensors it gives. Throws Error naming the node and op when an
// op has no handler or an attribute is not supported.
OnnxModel convert_to_onnx(const Graph& graph, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const OnnxOptions& options = {});
// The same, consuming `graph`: its weights move into the model instead of
// being copied, and it is freed before the model is serialized.
OnnxModel convert_to_onnx(Graph&& graph, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const OnnxOptions& options = {});

// ONNX's checker in full: onnx::checker::check_model, then strict shape
// inference with type checks. "" when the model passes, else its message.
std::string onnx_check(const std::string& model_bytes);
// The same for a written model file, whose external data files (if any) are
// found relative to it.
std::string onnx_check_file(const std::filesystem::path& model);

// The model at `path` with its external data read back into the
// initializers (serialized), for a runtime that cannot read external data
// (OpenCV 4.6 crashes on it). Throws Error naming the file when the data is
// missing or short, or the result would pass protobuf's limit.
std::string onnx_inline_external_data(const std::filesystem::path& path);

// `t` with its dims permuted: out dim i = in dim perm[i] (NHWC -> NCHW is {0,3,1,2}).
Tensor permute_dims(const Tensor& t, const std::vector<int64_t>& perm);

// Reads an .onnx file's summary: its input and output names, node count,
// opset and Transpose count. Throws Error naming the file.
struct OnnxFileInfo {
  std::vector<std::string> inputs, outputs;
  std::vector<Shape> input_shapes;  // unknown dims: -1
  std::size_t nodes = 0, transposes = 0;
  std::map<std::string, std::size_t> ops;  // nodes per op type
  int opset = 0;
  bool external_data = false;  // some initializer's data is in another file
};
OnnxFileInfo read_onnx_info(const std::filesystem::path& path);

}  // namespace tfprod
