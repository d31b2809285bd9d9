#include "tfprod/verify.h"

#include <cmath>
#include <exception>
#include <optional>
#include <random>

#include "tfprod/tensor_values.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"

namespace tfprod {

bool VerifyReport::ok() const {
  if (!opencv_error.empty() || outputs.empty()) return false;
  for (const auto& o : outputs)
    if (!o.ok) return false;
  return true;
}

std::string VerifyReport::table() const {
  if (!opencv_error.empty()) return "OpenCV " + opencv_version() + ": " + opencv_error + "\n";
  std::string out = fmt::format("{:<36} {:<16} {:<16} {:>10} {:>10}  {}\n", "output", "opencv", "reference",
                                "max|diff|", "relative", "result");
  for (const auto& o : outputs)
    out += fmt::format("{:<36} {:<16} {:<16} {:>10.2e} {:>10.2e}  {}\n", o.name, shape_string(o.opencv_shape),
                       shape_string(o.reference_shape), o.max_abs, o.max_rel, o.ok ? "ok" : "MISMATCH");
  return out;
}

std::vector<std::pair<std::string, Tensor>> random_inputs(const Graph& graph, const std::vector<std::string>& outputs,
                                                          uint64_t seed) {
  std::vector<const Node*> roots;
  for (const auto& o : outputs)
    if (const Node* n = graph.find(TensorRef::parse(o).node)) roots.push_back(n);
  std::vector<const Node*> placeholders;
  for (const Node* n : ancestors(roots))
    if (n->op == "Placeholder") placeholders.push_back(n);
  std::sort(placeholders.begin(), placeholders.end(), [](const Node* a, const Node* b) { return a->name() < b->name(); });
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const Node* p : placeholders) {
    const DataType dtype = p->attr("dtype") ? p->attr("dtype")->type() : tfprod::tf::DT_FLOAT;
    Shape shape;
    const auto* s = p->attr("shape");
    if (!s || !s->has_shape() || s->shape().unknown_rank())
      fail("{}: placeholder '{}' has no known shape, so random inputs cannot be made; pass --feed {}=FILE.npy or "
           "--input {}:DTYPE:SHAPE",
           graph.source(), p->name(), p->name(), p->name());
    shape = shape_from_proto(s->shape());
    for (int64_t& d : shape)
      if (d < 0) d = 1;
    Tensor f = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
    if (dtype != tfprod::tf::DT_BOOL)
      for (float& v : eval::values<float>(f)) v = normal(rng);
    feeds.emplace_back(p->name(), eval::cast(f, dtype));
  }
  return feeds;
}

// The reference as it behaves at inference: training switches resolved,
// dropout removed, batch norms on their moving statistics.
Graph inference_mode(const Graph& graph, const std::vector<std::string>& outputs) {
  Graph g = graph.clone();  // shares the weights (copy-on-write)
  std::string transforms;
  for (const PresetStep& s : preset_steps(Preset::kInferenceCleanup))
    if (s.inference_mode && find_pass(s.transform)) transforms += std::string(s.transform) + "(ignore_errors=true) ";
  PassContext context{{}, outputs, {}};
  run_pipeline(g, build_pipeline(parse_transforms(transforms)), context);
  return g;
}


OutputCheck compare_output(const std::string& name, const Tensor& got, const Tensor& want, double tolerance) {
  OutputCheck c;
  c.name = name;
  Tensor a = eval::cast(got, tfprod::tf::DT_DOUBLE), b = eval::cast(want, tfprod::tf::DT_DOUBLE);
  c.opencv_shape = a.shape;
  c.reference_shape = b.shape;
  if (a.num_elements() != b.num_elements()) return c;
  double magnitude = 1;
  auto av = eval::values<double>(a), bv = eval::values<double>(b);
  for (double v : bv) magnitude = std::max(magnitude, std::fabs(v));
  for (std::size_t k = 0; k < av.size(); ++k) c.max_abs = std::max(c.max_abs, std::fabs(av[k] - bv[k]));
  c.max_rel = c.max_abs / magnitude;
  c.ok = c.max_rel <= tolerance && !std::isnan(c.max_abs);
  return c;
}

namespace {

// What OpenCV is asked for and fed, worked out from the model graph.
struct Checks {
  std::vector<std::string> outputs;
  std::vector<std::pair<std::string, Tensor>> feeds;
  std::vector<std::vector<std::string>> cv_outputs;  // each output's names in OpenCV
  bool nhwc = true;
};

Checks plan_checks(const Graph& model, const std::string& where, const VerifyOptions& options) {
  Checks c;
  c.outputs = options.outputs.empty() ? candidate_outputs(model) : options.outputs;
  if (c.outputs.empty()) fail("{}: no outputs to compare; pass --output", where);
  c.feeds = options.feeds.empty() ? random_inputs(model, c.outputs, options.seed) : options.feeds;
  for (const Node* n : model.nodes())
    if (const auto* f = n->attr("data_format"); f && f->s() == "NCHW") c.nhwc = false;
  // OpenCV splices Identity out and fuses a BiasAdd into its MatMul or
  // Conv2D: offer the producers as other names for the same output.
  for (const auto& o : c.outputs) {
    std::vector<std::string> names{o};
    const Node* n = model.find(TensorRef::parse(o).node);
    // OpenCV fuses LeakyRelu, Maximum(Mul(x, alpha), x), into one layer
    // named after the Mul ("LeakyRelu/mul"), and Keras' ReLU6,
    // Maximum(Minimum(Relu(x), 6), 0), after one of its nodes: offer the
    // non-Const inputs of a Maximum / Minimum too.
    for (const Node* m = n; m && (m->op == "Maximum" || m->op == "Minimum");) {
      const Node* next = nullptr;
      for (const auto& in : m->inputs)
        if (in.node->op != "Const" && in.index == 0) {
          names.push_back(in.node->name());
          if (!next) next = in.node;
        }
      m = next;
    }
    for (int step = 0; n && step < 4 && !n->inputs.empty() && n->inputs[0].index == 0; ++step) {
      if (n->op != "Identity" && n->op != "BiasAdd" && n->op != "Add" && n->op != "AddV2") break;
      n = n->inputs[0].node;
      names.push_back(n->name());
    }
    c.cv_outputs.push_back(std::move(names));
  }
  return c;
}

// The reference's outputs on the checks' feeds, cast to the dtypes its
// inputs want (e.g. a half placeholder).
std::vector<Tensor> evaluate_reference(const Graph& ref, const Checks& checks) {
  std::vector<std::pair<std::string, Tensor>> ref_feeds;
  for (const auto& [name, value] : checks.feeds) {
    const Node* p = ref.find(TensorRef::parse(name).node);
    if (!p) fail("reference graph has no input '{}'", name);
    // A placeholder's dtype, or the output type of a cut input pipeline.
    const auto* dtype = p->attr("dtype");
    std::optional<DataType> want;
    if (dtype && p->op.rfind("Placeholder", 0) == 0) want = dtype->type();
    const int port = TensorRef::parse(name).index;
    if (const auto* types = p->attr("output_types"); types && port < types->list().type_size())
      want = types->list().type(port);
    ref_feeds.emplace_back(name, want ? eval::cast(value, *want) : value);
  }
  Evaluator evaluator(ref);
  return evaluator.run(ref_feeds, checks.outputs);
}

VerifyReport compare(const Checks& checks, const OpenCvRun& cv, const std::vector<Tensor>& want,
                     const VerifyOptions& options) {
  VerifyReport report;
  if (!cv.error.empty()) {
    report.opencv_error = cv.error;
    return report;
  }
  for (std::size_t i = 0; i < checks.outputs.size(); ++i)
    report.outputs.push_back(compare_output(checks.outputs[i], cv.outputs[i], want[i], options.tolerance));
  return report;
}

}  // namespace

VerifyReport verify_model(const std::filesystem::path& model, const Graph* reference, const VerifyOptions& options) {
  ModelFile file = load_model_file(model);
  Graph graph = Graph::from_graphdef(std::move(*file.model.mutable_meta_graphs(0)->mutable_graph_def()), model.string());
  const Checks checks = plan_checks(graph, model.string(), options);
  if (reference) graph = Graph();  // only the reference is evaluated: its weights need not wait for OpenCV
  OpenCvRun cv = run_in_opencv(model, checks.feeds, checks.cv_outputs, checks.nhwc);
  if (!cv.error.empty()) return compare(checks, cv, {}, options);
  if (!reference) return compare(checks, cv, evaluate_reference(graph, checks), options);
  return compare(checks, cv, evaluate_reference(inference_mode(*reference, checks.outputs), checks), options);
}

VerifyReport verify_written_model(const std::filesystem::path& file, Graph model, Graph reference,
                                  const VerifyOptions& options) {
  const Checks checks = plan_checks(model, file.string(), options);
  model = Graph();
  // The reference first, then OpenCV: each phase holds the weights once
  // (the evaluator frees each value after its last use), and OpenCV gets
  // the memory the graphs held.
  std::vector<Tensor> want;
  std::exception_ptr failed;  // OpenCV's own failure, if any, is the better message
  try {
    Graph ref = inference_mode(reference, checks.outputs);
    reference = Graph();  // the inference-mode clone holds what it still shares
    want = evaluate_reference(ref, checks);
  } catch (const Error&) {
    failed = std::current_exception();
  }
  OpenCvRun cv = run_in_opencv(file, checks.feeds, checks.cv_outputs, checks.nhwc);
  if (failed && cv.error.empty()) std::rethrow_exception(failed);
  return compare(checks, cv, want, options);
}

}  // namespace tfprod
