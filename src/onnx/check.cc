// ONNX's own checks on a written model, and reading an .onnx file's summary.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <map>

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

std::string onnx_check_file(const std::filesystem::path& path) {
  try {
    onnx::checker::check_model(path.string());  // resolves external data against the model's directory
    onnx::ModelProto model = parse(read_file(path, kOnnxProtobufLimit), path.string());
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string onnx_inline_external_data(const std::filesystem::path& path) {
  onnx::ModelProto model = parse(read_file(path, kOnnxProtobufLimit), path.string());
  std::map<std::string, std::string> files;
  for (auto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) continue;
    std::string location;
    uint64_t offset = 0, length = 0;
    for (const auto& e : t.external_data()) {
      if (e.key() == "location") location = e.value();
      if (e.key() == "offset") offset = std::stoull(e.value());
      if (e.key() == "length") length = std::stoull(e.value());
    }
    const std::filesystem::path file = path.parent_path() / location;
    if (!files.count(location)) files[location] = read_file(file, kOnnxProtobufLimit);
    const std::string& data = files[location];
    if (location.empty() || offset > data.size() || length > data.size() - offset)
      fail("{}: initializer '{}': external data {}+{} is not in {} ({} bytes)", path.string(), t.name(), offset, length,
           file.string(), data.size());
    t.set_raw_data(data.substr(offset, length));
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
  }
  std::string bytes;
  if (model.ByteSizeLong() > kOnnxProtobufLimit || !model.SerializeToString(&bytes))
    fail("{}: with its external data inline the model is over protobuf's 2 GiB limit", path.string());
  return bytes;
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
  for (const auto& n : model.graph().node()) {
    info.transposes += n.op_type() == "Transpose";
    ++info.ops[n.op_type()];
  }
  for (const auto& t : model.graph().initializer())
    info.external_data = info.external_data || t.data_location() == onnx::TensorProto::EXTERNAL;
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = static_cast<int>(o.version());
  return info;
}

}  // namespace tfprod
