// Shared ONNX test helpers (see onnx_support.h).
#include "onnx_support.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "tfprod/eval.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/tensor_values.h"

namespace tfprod::test {

namespace fs = std::filesystem;

namespace {

fs::path js_dir() { return fs::path(TFPROD_SOURCE_DIR) / "tests" / "js"; }

bool listed(const std::vector<std::string>& names, const std::string& t) {
  for (const auto& n : names)
    if (onnx_name(n) == onnx_name(t)) return true;
  return false;
}

}  // namespace

void TfGraph::placeholder(const std::string& name, const Shape& shape) {
  auto& n = b.node(name, "Placeholder");
  GraphBuilder::type(n, "dtype", tfprod::tf::DT_FLOAT);
  GraphBuilder::shape(n, "shape", shape);
}

void TfGraph::weights(const std::string& name, const Shape& shape, float scale, bool positive) {
  std::normal_distribution<float> normal(0, scale);
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
  for (float& v : eval::values<float>(t)) v = positive ? std::fabs(normal(rng)) + 0.1f : normal(rng);
  auto& n = b.node(name, "Const");
  GraphBuilder::type(n, "dtype", tfprod::tf::DT_FLOAT);
  auto* value = n.add_attr();
  value->set_key("value");
  tensor_to_proto(std::move(t), value->mutable_value()->mutable_tensor());
}

void TfGraph::ints(const std::string& name, const std::vector<int32_t>& v, const Shape& shape) {
  Tensor t = eval::make_tensor(tfprod::tf::DT_INT32, shape);
  std::copy(v.begin(), v.end(), eval::values<int32_t>(t).begin());
  auto& n = b.node(name, "Const");
  GraphBuilder::type(n, "dtype", tfprod::tf::DT_INT32);
  auto* value = n.add_attr();
  value->set_key("value");
  tensor_to_proto(std::move(t), value->mutable_value()->mutable_tensor());
}

tfprod::tf::NodeDef& TfGraph::op(const std::string& name, const std::string& op,
                                 std::initializer_list<std::string> inputs, bool typed) {
  auto& n = b.node(name, op, inputs);
  if (typed) GraphBuilder::type(n, "T", tfprod::tf::DT_FLOAT);
  return n;
}

bool have_onnxruntime() {
  return fs::exists(js_dir() / "node_modules" / "onnxruntime-node") && test::run("node --version").exit_code == 0;
}

namespace {

// Runs tests/js/SCRIPT on `request` (JSON on stdin) and parses its reply's outputs.
std::map<std::string, Tensor> run_node(const std::string& script, const std::string& model_path,
                                       nlohmann::json request, const std::vector<std::pair<std::string, Tensor>>& feeds,
                                       std::string* error) {
  request["model"] = model_path;
  request["inputs"] = nlohmann::json::object();
  for (const auto& [name, t] : feeds) {
    Tensor f = eval::cast(t, tfprod::tf::DT_FLOAT);
    auto v = eval::values<float>(f);
    request["inputs"][name] = {{"dims", f.shape}, {"data", std::vector<float>(v.begin(), v.end())}};
  }
  const fs::path req = fs::path(model_path).string() + "." + script + ".request.json";
  std::ofstream(req) << request.dump();
  auto r = test::run("node " + (js_dir() / script).string() + " < '" + req.string() + "'");
  std::map<std::string, Tensor> out;
  nlohmann::json reply;
  try {
    reply = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  } catch (const std::exception& e) {
    *error = "node printed no JSON: " + r.output.substr(0, 300);
    return out;
  }
  if (reply.contains("error")) {
    *error = reply["error"].get<std::string>();
    return out;
  }
  for (const auto& [name, t] : reply["outputs"].items()) {
    Shape shape = t["dims"].get<Shape>();
    Tensor v = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
    auto data = t["data"].get<std::vector<double>>();
    auto dst = eval::values<float>(v);
    for (std::size_t i = 0; i < dst.size() && i < data.size(); ++i) dst[i] = static_cast<float>(data[i]);
    out[name] = std::move(v);
  }
  return out;
}

}  // namespace

std::map<std::string, Tensor> run_onnxruntime(const std::string& model_path,
                                              const std::vector<std::pair<std::string, Tensor>>& feeds,
                                              std::string* error) {
  return run_node("run_onnx.js", model_path, nlohmann::json::object(), feeds, error);
}

bool have_opencv5() {
  return fs::exists(js_dir() / "node_modules" / "@opencvjs" / "web") && test::run("node --version").exit_code == 0;
}

std::map<std::string, Tensor> run_opencv5(const std::string& model_path, bool tensorflow,
                                          const std::vector<std::pair<std::string, Tensor>>& feeds,
                                          const std::vector<std::string>& outputs, std::string* error) {
  nlohmann::json request;
  request["format"] = tensorflow ? "tf" : "onnx";
  request["outputs"] = outputs;
  return run_node("run_opencv5.mjs", model_path, request, feeds, error);
}

double relative_diff(const Tensor& got, const Tensor& want) {
  Tensor a = eval::cast(got, tfprod::tf::DT_DOUBLE), b = eval::cast(want, tfprod::tf::DT_DOUBLE);
  if (a.num_elements() != b.num_elements()) return std::numeric_limits<double>::infinity();
  auto av = eval::values<double>(a), bv = eval::values<double>(b);
  double magnitude = 1, diff = 0;
  for (double v : bv) magnitude = std::max(magnitude, std::fabs(v));
  for (std::size_t i = 0; i < av.size(); ++i) {
    const double d = std::fabs(av[i] - bv[i]);
    if (std::isnan(d)) return std::numeric_limits<double>::infinity();
    diff = std::max(diff, d);
  }
  return diff / magnitude;
}

RuntimeCheck check_onnx(const Graph& graph, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const OnnxOptions& options, bool opencv) {
  RuntimeCheck c;
  c.model = convert_to_onnx(graph, inputs, outputs, options);
  c.error = onnx_check(c.model.bytes);
  if (!c.error.empty()) {
    c.error = "checker: " + c.error;
    return c;
  }
  static int counter = 0;
  const fs::path path = scratch_dir() / ("model" + std::to_string(counter++) + ".onnx");
  std::ofstream(path, std::ios::binary) << c.model.bytes;

  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<std::pair<std::string, Tensor>> feeds, onnx_feeds;
  for (const auto& in : inputs) {
    const Node* p = graph.find(TensorRef::parse(in).node);
    Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, shape_from_proto(p->attr("shape")->shape()));
    for (float& v : eval::values<float>(t)) v = normal(rng);
    feeds.emplace_back(in, t);
    onnx_feeds.emplace_back(onnx_name(in), listed(options.inputs_as_nchw, in) ? permute_dims(t, {0, 3, 1, 2}) : t);
  }
  const std::vector<Tensor> want = Evaluator(graph).run(feeds, outputs);
  auto back = [&](Tensor t, const std::string& o) {
    return listed(options.outputs_as_nchw, o) && t.shape.size() == 4 ? permute_dims(t, {0, 2, 3, 1}) : t;
  };
  if (opencv) {
    std::vector<std::string> names;
    for (const auto& o : outputs) names.push_back(onnx_name(o));
    OpenCvRun cv = run_onnx_in_opencv(path, onnx_feeds, names);
    if (!cv.error.empty()) {
      c.error = "OpenCV: " + cv.error;
      return c;
    }
    c.opencv_diff = 0;
    for (std::size_t i = 0; i < outputs.size(); ++i)
      c.opencv_diff = std::max(c.opencv_diff, relative_diff(back(cv.outputs[i], outputs[i]), want[i]));
  }
  if (have_onnxruntime()) {
    std::string error;
    auto ort = run_onnxruntime(path.string(), onnx_feeds, &error);
    if (!error.empty()) {
      c.error = "ONNX Runtime: " + error;
      return c;
    }
    c.ort_diff = 0;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      auto it = ort.find(onnx_name(outputs[i]));
      if (it == ort.end()) {
        c.error = "ONNX Runtime gave no output " + onnx_name(outputs[i]);
        return c;
      }
      c.ort_diff = std::max(c.ort_diff, relative_diff(back(it->second, outputs[i]), want[i]));
    }
  }
  return c;
}

}  // namespace tfprod::test
