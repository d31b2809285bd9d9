// The example training directory (see example_model.h). Shapes are small:
// 8x8x1 images, a 3x3x1x4 conv, 10 classes.
#include "tfprod/example_model.h"

#include <cstring>

#include <google/protobuf/text_format.h>

#include "example/graph_builder.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"

namespace tfprod {

namespace {

constexpr DataType kF = tfprod::tf::DT_FLOAT;

struct Variable {
  const char* name;
  Shape shape;
};
const Variable kVariables[] = {
    {"conv/kernel", {3, 3, 1, 4}}, {"conv/bias", {4}}, {"dense/kernel", {256, 10}}, {"dense/bias", {10}}};

void binary_op(GraphBuilder& b, const std::string& name, const std::string& op, const std::string& x,
               const std::string& y, DataType t = kF) {
  GraphBuilder::type(b.node(name, op, {x, y}), "T", t);
}

void add_model(GraphBuilder& b) {
  // Input pipeline: a one-shot iterator over a dataset (its function is not
  // included: the pipeline is cut before inference anyway).
  auto& it = b.node("OneShotIterator", "OneShotIterator");
  GraphBuilder::types(it, "output_types", {kF, tfprod::tf::DT_INT32});
  auto* shapes = it.add_attr();
  shapes->set_key("output_shapes");
  shape_to_proto({-1, 8, 8, 1}, shapes->mutable_value()->mutable_list()->add_shape());
  shape_to_proto({-1}, shapes->mutable_value()->mutable_list()->add_shape());
  GraphBuilder::str(it, "container", "");
  GraphBuilder::str(it, "shared_name", "");
  auto& next = b.node("IteratorGetNext", "IteratorGetNext", {"OneShotIterator"});
  GraphBuilder::types(next, "output_types", {kF, tfprod::tf::DT_INT32});
  *next.add_attr() = it.attr(1);

  // Initializers and variables.
  for (const auto& v : kVariables) {
    std::string init = std::string(v.name) + "/Initializer/zeros";
    auto& c = b.node(init, "Const");
    GraphBuilder::type(c, "dtype", kF);
    auto* value = c.add_attr();
    value->set_key("value");
    value->mutable_value()->mutable_tensor()->set_dtype(kF);
    shape_to_proto(v.shape, value->mutable_value()->mutable_tensor()->mutable_tensor_shape());
    value->mutable_value()->mutable_tensor()->add_float_val(0.0f);
    b.variable(v.name, kF, v.shape, init);
  }
  auto& gs_init = b.node("global_step/Initializer/zeros", "Const");
  GraphBuilder::type(gs_init, "dtype", tfprod::tf::DT_INT64);
  auto* gs_value = gs_init.add_attr();
  gs_value->set_key("value");
  gs_value->mutable_value()->mutable_tensor()->set_dtype(tfprod::tf::DT_INT64);
  gs_value->mutable_value()->mutable_tensor()->mutable_tensor_shape();
  gs_value->mutable_value()->mutable_tensor()->add_int64_val(0);
  b.variable("global_step", tfprod::tf::DT_INT64, {}, "global_step/Initializer/zeros");

  // conv -> bias -> relu
  auto& conv = b.node("conv/Conv2D", "Conv2D", {"IteratorGetNext", "conv/kernel/read"});
  GraphBuilder::type(conv, "T", kF);
  GraphBuilder::ints(conv, "strides", {1, 1, 1, 1});
  GraphBuilder::str(conv, "padding", "SAME");
  GraphBuilder::str(conv, "data_format", "NHWC");
  GraphBuilder::ints(conv, "dilations", {1, 1, 1, 1});
  GraphBuilder::boolean(conv, "use_cudnn_on_gpu", true);
  auto& bias = b.node("conv/BiasAdd", "BiasAdd", {"conv/Conv2D", "conv/bias/read"});
  GraphBuilder::type(bias, "T", kF);
  GraphBuilder::str(bias, "data_format", "NHWC");
  GraphBuilder::type(b.node("conv/Relu", "Relu", {"conv/BiasAdd"}), "T", kF);
  b.const_ints("Reshape/shape", {-1, 256});
  auto& reshape = b.node("Reshape", "Reshape", {"conv/Relu", "Reshape/shape"});
  GraphBuilder::type(reshape, "T", kF);
  GraphBuilder::type(reshape, "Tshape", tfprod::tf::DT_INT32);

  // Dropout in training mode, TF >= 1.13 form:
  // mul_1 = (x * 1/(1-rate)) * Cast(U >= rate), U = RandomUniform*(max-min)+min
  b.const_float("dropout/rate", 0.4f);
  auto& shape = b.node("dropout/Shape", "Shape", {"Reshape"});
  GraphBuilder::type(shape, "T", kF);
  GraphBuilder::type(shape, "out_type", tfprod::tf::DT_INT32);
  b.const_float("dropout/random_uniform/min", 0.0f);
  b.const_float("dropout/random_uniform/max", 1.0f);
  auto& ru = b.node("dropout/random_uniform/RandomUniform", "RandomUniform", {"dropout/Shape"});
  GraphBuilder::type(ru, "T", tfprod::tf::DT_INT32);
  GraphBuilder::type(ru, "dtype", kF);
  GraphBuilder::integer(ru, "seed", 0);
  GraphBuilder::integer(ru, "seed2", 0);
  binary_op(b, "dropout/random_uniform/sub", "Sub", "dropout/random_uniform/max", "dropout/random_uniform/min");
  binary_op(b, "dropout/random_uniform/mul", "Mul", "dropout/random_uniform/RandomUniform", "dropout/random_uniform/sub");
  binary_op(b, "dropout/random_uniform", "Add", "dropout/random_uniform/mul", "dropout/random_uniform/min");
  b.const_float("dropout/sub/x", 1.0f);
  binary_op(b, "dropout/sub", "Sub", "dropout/sub/x", "dropout/rate");
  b.const_float("dropout/truediv/x", 1.0f);
  binary_op(b, "dropout/truediv", "RealDiv", "dropout/truediv/x", "dropout/sub");
  binary_op(b, "dropout/GreaterEqual", "GreaterEqual", "dropout/random_uniform", "dropout/rate");
  binary_op(b, "dropout/mul", "Mul", "Reshape", "dropout/truediv");
  auto& cast = b.node("dropout/Cast", "Cast", {"dropout/GreaterEqual"});
  GraphBuilder::type(cast, "SrcT", tfprod::tf::DT_BOOL);
  GraphBuilder::type(cast, "DstT", kF);
  GraphBuilder::boolean(cast, "Truncate", false);
  binary_op(b, "dropout/mul_1", "Mul", "dropout/mul", "dropout/Cast");

  // dense -> softmax
  auto& mm = b.node("dense/MatMul", "MatMul", {"dropout/mul_1", "dense/kernel/read"});
  GraphBuilder::type(mm, "T", kF);
  GraphBuilder::boolean(mm, "transpose_a", false);
  GraphBuilder::boolean(mm, "transpose_b", false);
  auto& dbias = b.node("dense/BiasAdd", "BiasAdd", {"dense/MatMul", "dense/bias/read"});
  GraphBuilder::type(dbias, "T", kF);
  GraphBuilder::str(dbias, "data_format", "NHWC");
  GraphBuilder::type(b.node("softmax_tensor", "Softmax", {"dense/BiasAdd"}), "T", kF);
}

void add_training(GraphBuilder& b) {
  // Loss and its gradients, back through dense, dropout, relu and conv.
  auto& xent = b.node("loss/xent", "SparseSoftmaxCrossEntropyWithLogits", {"dense/BiasAdd", "IteratorGetNext:1"});
  GraphBuilder::type(xent, "T", kF);
  GraphBuilder::type(xent, "Tlabels", tfprod::tf::DT_INT32);
  b.const_ints("loss/Const", {0});
  auto& mean = b.node("loss/Mean", "Mean", {"loss/xent", "loss/Const"});
  GraphBuilder::type(mean, "T", kF);
  GraphBuilder::type(mean, "Tidx", tfprod::tf::DT_INT32);
  GraphBuilder::boolean(mean, "keep_dims", false);

  auto& gk = b.node("gradients/dense/MatMul_grad/MatMul_1", "MatMul", {"dropout/mul_1", "loss/xent:1"});
  GraphBuilder::type(gk, "T", kF);
  GraphBuilder::boolean(gk, "transpose_a", true);
  GraphBuilder::boolean(gk, "transpose_b", false);
  auto& gb = b.node("gradients/dense/BiasAdd_grad/BiasAddGrad", "BiasAddGrad", {"loss/xent:1"});
  GraphBuilder::type(gb, "T", kF);
  GraphBuilder::str(gb, "data_format", "NHWC");
  auto& gx = b.node("gradients/dense/MatMul_grad/MatMul", "MatMul", {"loss/xent:1", "dense/kernel/read"});
  GraphBuilder::type(gx, "T", kF);
  GraphBuilder::boolean(gx, "transpose_a", false);
  GraphBuilder::boolean(gx, "transpose_b", true);
  binary_op(b, "gradients/dropout/mul_1_grad/Mul", "Mul", "gradients/dense/MatMul_grad/MatMul", "dropout/Cast");
  binary_op(b, "gradients/dropout/mul_grad/Mul", "Mul", "gradients/dropout/mul_1_grad/Mul", "dropout/truediv");
  b.const_ints("gradients/Reshape_grad/Shape", {-1, 8, 8, 4});
  auto& rg = b.node("gradients/Reshape_grad/Reshape", "Reshape",
                    {"gradients/dropout/mul_grad/Mul", "gradients/Reshape_grad/Shape"});
  GraphBuilder::type(rg, "T", kF);
  GraphBuilder::type(rg, "Tshape", tfprod::tf::DT_INT32);
  binary_op(b, "gradients/conv/Relu_grad/ReluGrad", "ReluGrad", "gradients/Reshape_grad/Reshape", "conv/Relu");
  auto& cb = b.node("gradients/conv/BiasAdd_grad/BiasAddGrad", "BiasAddGrad", {"gradients/conv/Relu_grad/ReluGrad"});
  GraphBuilder::type(cb, "T", kF);
  GraphBuilder::str(cb, "data_format", "NHWC");
  b.const_ints("gradients/conv/Conv2D_grad/Const", {3, 3, 1, 4});
  auto& cf = b.node("gradients/conv/Conv2D_grad/Conv2DBackpropFilter", "Conv2DBackpropFilter",
                    {"IteratorGetNext", "gradients/conv/Conv2D_grad/Const", "gradients/conv/Relu_grad/ReluGrad"});
  GraphBuilder::type(cf, "T", kF);
  GraphBuilder::ints(cf, "strides", {1, 1, 1, 1});
  GraphBuilder::str(cf, "padding", "SAME");
  GraphBuilder::str(cf, "data_format", "NHWC");
  GraphBuilder::ints(cf, "dilations", {1, 1, 1, 1});

  // GradientDescent updates and the step counter.
  b.const_float("GradientDescent/learning_rate", 0.01f);
  const std::pair<const char*, const char*> updates[] = {
      {"conv/kernel", "gradients/conv/Conv2D_grad/Conv2DBackpropFilter"},
      {"conv/bias", "gradients/conv/BiasAdd_grad/BiasAddGrad"},
      {"dense/kernel", "gradients/dense/MatMul_grad/MatMul_1"},
      {"dense/bias", "gradients/dense/BiasAdd_grad/BiasAddGrad"}};
  auto& train = b.node("GradientDescent", "NoOp");
  for (const auto& [var, grad] : updates) {
    std::string name = std::string("GradientDescent/update_") + var + "/ApplyGradientDescent";
    auto& apply = b.node(name, "ApplyGradientDescent", {var, "GradientDescent/learning_rate", grad});
    GraphBuilder::type(apply, "T", kF);
    GraphBuilder::boolean(apply, "use_locking", false);
    train.add_input("^" + name);
  }
  auto& one = b.node("GradientDescent/value", "Const");
  GraphBuilder::type(one, "dtype", tfprod::tf::DT_INT64);
  auto* ov = one.add_attr();
  ov->set_key("value");
  ov->mutable_value()->mutable_tensor()->set_dtype(tfprod::tf::DT_INT64);
  ov->mutable_value()->mutable_tensor()->mutable_tensor_shape();
  ov->mutable_value()->mutable_tensor()->add_int64_val(1);
  auto& step = b.node("GradientDescent/AssignAdd", "AssignAdd", {"global_step", "GradientDescent/value"});
  GraphBuilder::type(step, "T", tfprod::tf::DT_INT64);
  GraphBuilder::boolean(step, "use_locking", false);
  train.add_input("^GradientDescent/AssignAdd");

  auto& init = b.node("init", "NoOp");
  for (const auto& v : kVariables) init.add_input("^" + std::string(v.name) + "/Assign");
  init.add_input("^global_step/Assign");
}

void add_saver(GraphBuilder& b) {
  std::vector<std::string> names;
  for (const auto& v : kVariables) names.push_back(v.name);
  names.push_back("global_step");
  b.const_strings("save/filename/input", {"model"});
  auto& filename = b.node("save/Const", "PlaceholderWithDefault", {"save/filename/input"});
  GraphBuilder::type(filename, "dtype", tfprod::tf::DT_STRING);
  GraphBuilder::shape(filename, "shape", {});
  b.const_strings("save/RestoreV2/tensor_names", names);
  b.const_strings("save/RestoreV2/shape_and_slices", std::vector<std::string>(names.size(), ""));
  auto& restore = b.node("save/RestoreV2", "RestoreV2",
                         {"save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"});
  GraphBuilder::types(restore, "dtypes", {kF, kF, kF, kF, tfprod::tf::DT_INT64});
  auto& all = b.node("save/restore_all", "NoOp");
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string assign = "save/Assign" + (i ? "_" + std::to_string(i) : std::string());
    auto& a = b.node(assign, "Assign", {names[i], "save/RestoreV2" + (i ? ":" + std::to_string(i) : std::string())});
    GraphBuilder::type(a, "T", i + 1 == names.size() ? tfprod::tf::DT_INT64 : kF);
    GraphBuilder::boolean(a, "validate_shape", true);
    GraphBuilder::boolean(a, "use_locking", true);
    all.add_input("^" + assign);
  }
}

// Deterministic small weights (xorshift), scaled like a trained layer.
Tensor weights(const Shape& shape, uint32_t seed) {
  Tensor t;
  t.dtype = kF;
  t.shape = shape;
  int64_t n = num_elements(shape);
  t.data.resize(static_cast<std::size_t>(n) * 4);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    float v = (static_cast<float>(s % 20001) / 10000.0f - 1.0f) * 0.3f;
    std::memcpy(t.data.data() + i * 4, &v, 4);
  }
  return t;
}

}  // namespace

tfprod::tf::GraphDef example_training_graph() {
  tfprod::tf::GraphDef graph;
  graph.mutable_versions()->set_producer(38);
  graph.mutable_versions()->set_min_consumer(12);
  GraphBuilder b(&graph);
  add_model(b);
  add_training(b);
  add_saver(b);
  return graph;
}

void write_example_training_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("{}: cannot create directory: {}", dir.string(), ec.message());
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(example_training_graph(), &text))
    fail("cannot print the example graph");
  write_file_atomically(dir / "graph.pbtxt", text);

  BundleWriter writer((dir / "model.ckpt-1000").string());
  uint32_t seed = 1;
  for (const auto& v : kVariables) writer.add(v.name, weights(v.shape, seed++));
  Tensor step;
  step.dtype = tfprod::tf::DT_INT64;
  int64_t value = 1000;
  step.data.assign(reinterpret_cast<const char*>(&value), 8);
  writer.add("global_step", step);
  writer.finish();
  write_file_atomically(dir / "checkpoint",
                        "model_checkpoint_path: \"model.ckpt-1000\"\n"
                        "all_model_checkpoint_paths: \"model.ckpt-1000\"\n");
  write_file_atomically(dir / "digit.pgm", example_image());
}

std::string example_image() {
  // A 5, drawn on 10x10 and scaled 2x to the model's 20x20 grey input.
  static const char* const rows[10] = {"..........", "..######..", "..#.......", "..#.......", "..#####...",
                                       ".......#..", ".......#..", "..#....#..", "...####...", ".........."};
  std::string pgm = "P5\n20 20\n255\n";
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) pgm += static_cast<char>(rows[y / 2][x / 2] == '#' ? 255 : 0);
  return pgm;
}

}  // namespace tfprod
