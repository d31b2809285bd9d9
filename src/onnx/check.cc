// ONNX's own checks on a written model, and reading an .onnx file's summary.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <fmt/format.h>

#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/onnx.h"

namespace tfprod {

namespace {

onnx::ModelProto parse(const std::string& bytes, const std::string& what) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) fail("{}: not an ONNX model (the protobuf does not parse)", what);
  return model;
}

}  // namespace

std::string onnx_check(const std::string& model_bytes) {
  try {
    onnx::ModelProto model = parse(model_bytes, "model");
    onnx::checker::check_model(model);
    // The full check: strict shape inference with type checks, as
    // onnx.checker.check_model(model, full_check=True) runs it.
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

OnnxFileInfo read_onnx_info(const std::filesystem::path& path) {
  const onnx::ModelProto model = parse(read_file(path, uint64_t{2} << 30), path.string());
  OnnxFileInfo info;
  std::set<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
  for (const auto& in : model.graph().input()) {
    if (initializers.count(in.name())) continue;  // IR < 4 lists initializers as inputs
    info.inputs.push_back(in.name());
    Shape shape;
    for (const auto& d : in.type().tensor_type().shape().dim()) shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    info.input_shapes.push_back(shape);
  }
  for (const auto& out : model.graph().output()) info.outputs.push_back(out.name());
  info.nodes = static_cast<std::size_t>(model.graph().node_size());
  for (const auto& n : model.graph().node()) info.transposes += n.op_type() == "Transpose";
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = static_cast<int>(o.version());
  return info;
}

}  // namespace tfprod
