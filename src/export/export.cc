// The export job: source -> frozen, cut reference -> inference, OpenCV-ready
// model -> verified against the reference -> written.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <utility>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tfprod/tensor_values.h"
#include "tfprod/analysis.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/file_util.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_preflight.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"
#include "export/needs_checkpoint.h"
#include "export/onnx_writer.h"

namespace tfprod {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::unordered_set<std::string> node_names(const Graph& g) {
  std::unordered_set<std::string> out;
  for (const Node* n : g.nodes()) out.insert(n->name());
  return out;
}

// Names in `before` that `graph` no longer holds, sorted.
std::vector<std::string> removed_since(const std::unordered_set<std::string>& before, const Graph& graph) {
  const auto after = node_names(graph);
  std::vector<std::string> removed;
  for (const auto& n : before)
    if (!after.count(n)) removed.push_back(n);
  std::sort(removed.begin(), removed.end());
  return removed;
}

// Runs one pass on `graph` and records what it removed.
void run_step(Graph& graph, const PipelineStep& step, PassContext& context, const char* why, ExportReport& report,
              PipelineHistory* history = nullptr) {
  ExportStep record;
  record.name = step.pass->name;
  record.why = why;
  auto before = node_names(graph);
  auto start = Clock::now();
  PipelineOptions options;
  options.history = history;
  auto results = run_pipeline(graph, {step}, context, options);
  record.seconds = since(start);
  record.nodes_before = results[0].nodes_before;
  record.nodes_after = results[0].nodes_after;
  record.message = results[0].message;
  record.removed = removed_since(before, graph);
  report.steps.push_back(std::move(record));
}

PipelineStep make_step(const std::string& name, const std::vector<std::pair<std::string, std::string>>& args,
                       bool ignore_errors = false) {
  const PassSpec* spec = find_pass(name);
  if (!spec) fail("internal: transform '{}' is not registered", name);
  return {spec, PassOptions(*spec, args), ignore_errors};
}

// DT_FLOAT -> "float", as --input and the transforms spell it.
std::string dtype_flag(DataType t) {
  std::string s = dtype_name(t).substr(3);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool widens(DataType from, DataType to) {
  return to == tfprod::tf::DT_FLOAT && (from == tfprod::tf::DT_HALF || from == tfprod::tf::DT_BFLOAT16);
}

std::string candidates_text(const std::vector<IoCandidate>& v) {
  std::vector<std::string> parts;
  for (const auto& c : v) parts.push_back(fmt::format("{} ({})", c.name, c.reason));
  return fmt::format("{}", fmt::join(parts, ", "));
}

const char* count_word(std::size_t n) {
  static const char* const words[] = {"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  return n < 10 ? words[n] : "several";
}

std::vector<std::string> choose_outputs(const ExportOptions& options, const ModelSource& src, const Graph& graph,
                                        ExportReport& report) {
  if (!options.outputs.empty()) {
    check_outputs_exist(graph, options.outputs);
    report.choices.push_back(fmt::format("outputs given: {}", fmt::join(options.outputs, ", ")));
    return options.outputs;
  }
  if (!src.signature_outputs.empty()) {
    std::vector<std::string> outs;
    for (const auto& t : src.signature_outputs) outs.push_back(TensorRef::parse(t).str());
    report.choices.push_back(fmt::format("outputs from the signature: {}", fmt::join(outs, ", ")));
    return outs;
  }
  IoGuess guess = guess_io(graph);
  const std::string where = options.source.string();
  if (guess.outputs.empty())
    fail("{}: no output found{}; pass --output NAME", where,
         guess.rejected.empty() ? "" : " (set aside: " + candidates_text(guess.rejected) + ")");
  if (guess.outputs.size() > 1) {
    std::vector<std::string> names;
    for (const auto& c : guess.outputs) names.push_back(c.name);
    fail("{}: {} candidate outputs: {}; pass --output ({})", where, count_word(names.size()), fmt::join(names, ", "),
         candidates_text(guess.outputs));
  }
  report.choices.push_back(fmt::format("output guessed: {} ({})", guess.outputs[0].name, guess.outputs[0].reason));
  if (!guess.rejected.empty())
    report.choices.push_back(fmt::format("set aside: {}", candidates_text(guess.rejected)));
  return {guess.outputs[0].name};
}

std::vector<InputSpec> choose_inputs(const ExportOptions& options, const ModelSource& src, const Graph& graph,
                                     const std::vector<std::string>& outputs, ExportReport& report) {
  if (!options.inputs.empty()) {
    std::vector<std::string> names;
    for (const auto& i : options.inputs) names.push_back(i.name);
    report.choices.push_back(fmt::format("inputs given: {}", fmt::join(names, ", ")));
    return options.inputs;
  }
  std::vector<InputSpec> specs;
  if (!src.signature_inputs.empty()) {
    for (const auto& t : src.signature_inputs) specs.push_back({TensorRef::parse(t).str(), {}, {}});
    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.name);
    report.choices.push_back(fmt::format("inputs from the signature: {}", fmt::join(names, ", ")));
    return specs;
  }
  IoGuess guess = guess_io(graph, outputs);
  if (guess.inputs.empty())
    fail("{}: the outputs read no placeholder or input pipeline; pass --input NAME[:DTYPE][:SHAPE]",
         options.source.string());
  std::vector<const IoCandidate*> shapeless;
  for (const auto& c : guess.inputs) {
    // A scalar or shapeless placeholder is a rate or a flag (keep_prob):
    // the cleanup removes what reads it; one still needed is refused later.
    if (!c.cut && (!c.declared.shape || c.declared.shape->empty())) {
      shapeless.push_back(&c);
      report.choices.push_back(fmt::format("{} looks like a rate or flag (no tensor shape): left to the cleanup", c.name));
      continue;
    }
    specs.push_back({c.name, {}, {}});
    report.choices.push_back(fmt::format("input guessed: {} ({})", c.name, c.reason));
  }
  if (specs.empty()) {
    // Only scalars read: a placeholder declared [] has a known shape, and
    // is the model's input when nothing else is.
    for (const IoCandidate* c : shapeless)
      if (c->declared.shape) {
        specs.push_back({c->name, {}, {}});
        report.choices.push_back(fmt::format("input guessed: {} (a scalar placeholder, shape [], and the only input)",
                                             c->name));
      }
    if (!specs.empty()) return specs;
    const IoCandidate& c = *shapeless.front();
    fail("{}: input '{}' has no known shape; pass --input {}:{}:SHAPE (e.g. 1,224,224,3)", options.source.string(),
         c.name, c.name, c.declared.dtype ? dtype_flag(*c.declared.dtype) : "float");
  }
  return specs;
}

// The cut's arguments for one input: the graph's own dtype (a user's float
// for a half pipeline is what the OpenCV model takes anyway), and a shape
// that fits the declared one.
void cut_args(const Graph& graph, const InputSpec& spec, const std::string& source,
              std::vector<std::pair<std::string, std::string>>& args, ExportReport& report) {
  const TensorRef ref = TensorRef::parse(spec.name);
  const Node* node = graph.find(ref.node);
  if (!node) fail("{}: --input '{}': no node '{}' in the graph", source, spec.name, ref.node);
  const DeclaredTensor declared = declared_output(*node, ref.index);
  DataType dtype = declared.dtype.value_or(spec.dtype.value_or(tfprod::tf::DT_FLOAT));
  // A placeholder's dtype is only a declaration (TF's optimize_for_inference
  // writes float ones into half graphs): the user's word wins.
  if (spec.dtype && node->op.starts_with("Placeholder")) {
    if (declared.dtype && *declared.dtype != *spec.dtype)
      report.notes.push_back(fmt::format("placeholder {} declares {}; cut at {} as given", spec.name,
                                         dtype_flag(*declared.dtype), dtype_flag(*spec.dtype)));
    dtype = *spec.dtype;
  } else if (spec.dtype && declared.dtype && *spec.dtype != *declared.dtype) {
    if (!widens(*declared.dtype, *spec.dtype))
      fail("{}: --input '{}': dtype {} does not fit: the graph declares {}", source, spec.name,
           dtype_name(*spec.dtype), dtype_name(*declared.dtype));
    report.notes.push_back(fmt::format("{} is {} in the graph: cut there at {}; the exported model takes float",
                                       spec.name, dtype_name(*declared.dtype), dtype_name(*declared.dtype)));
  }
  Shape shape;
  if (spec.shape) {
    shape = *spec.shape;
    if (declared.shape) {
      const Shape& d = *declared.shape;
      bool fits = d.size() == shape.size();
      // The batch dim is free: shapes TF recorded hold the training batch.
      for (std::size_t i = 1; fits && i < d.size(); ++i) fits = d[i] < 0 || d[i] == shape[i];
      if (!fits)
        fail("{}: --input '{}': shape {} does not fit the declared {}", source, spec.name, shape_string(shape),
             shape_string(d));
    }
  } else if (declared.shape) {
    shape = *declared.shape;
    for (int64_t& d : shape)
      if (d < 0) d = 1;
  } else {
    fail("{}: input '{}' has no known shape; pass --input {}:{}:SHAPE (e.g. 1,224,224,3)", source, spec.name,
         spec.name, dtype_flag(dtype));
  }
  for (int64_t d : shape)
    if (d < 0) fail("{}: --input '{}': shape {} has an unknown dim; give every dim", source, spec.name, shape_string(shape));
  std::string shape_text;
  for (std::size_t i = 0; i < shape.size(); ++i) shape_text += (i ? "," : "") + std::to_string(shape[i]);
  args.push_back({"name", spec.name});
  args.push_back({"type_for_name", dtype_flag(dtype)});
  args.push_back({"shape_for_name", shape_text});
}

// OpenCV 4.6 reads a Reshape to 4-D as NCHW: a model whose input is first
// reshaped to an image ([-1,784] -> [-1,28,28,1]) is cut after the Reshape,
// so it takes the image. Returns the new spec, or nullopt.
std::optional<InputSpec> past_leading_reshape(const Graph& graph, const InputSpec& spec) {
  const TensorRef ref = TensorRef::parse(spec.name);
  const Node* node = graph.find(ref.node);
  if (!node) return std::nullopt;
  const Node* reshape = nullptr;
  for (const Node* n : graph.nodes())
    for (std::size_t i = 0; i < n->inputs.size(); ++i)
      if (n->inputs[i].node == node && n->inputs[i].index == ref.index) {
        if (reshape || n->op != "Reshape" || i != 0) return std::nullopt;
        reshape = n;
      }
  if (!reshape || reshape->inputs.size() != 2 || reshape->inputs[1].node->op != "Const") return std::nullopt;
  const auto* value = reshape->inputs[1].node->attr("value");
  if (!value) return std::nullopt;
  Tensor target = eval::cast(tensor_from_proto(value->tensor(), reshape->name()), tfprod::tf::DT_INT64);
  auto dims = eval::values<int64_t>(target);
  if (dims.size() != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 || (dims[0] != -1 && dims[0] != 1))
    return std::nullopt;
  InputSpec moved{reshape->name(), spec.dtype, Shape{1, dims[1], dims[2], dims[3]}};
  if (const auto* t = reshape->attr("T")) moved.dtype = t->type();
  return moved;
}

// OpenCV drops Identity layers, so an output that is an Identity would be
// reachable only under its producer's name: the producer takes the output's
// name instead (when nothing else reads it).
void keep_output_names_in_opencv(Graph& graph, const std::vector<std::string>& outputs) {
  const auto uses = graph.uses();
  for (const auto& o : outputs) {
    const TensorRef ref = TensorRef::parse(o);
    Node* id = graph.find(ref.node);
    if (!id || id->op != "Identity" || ref.index != 0 || id->inputs.size() != 1 || !id->control_inputs.empty()) continue;
    Node* producer = id->inputs[0].node;
    auto it = uses.find(producer);
    if (id->inputs[0].index != 0 || producer->op == "Placeholder" || producer->op == "Const" ||
        it == uses.end() || it->second.size() != 1 || uses.count(id))
      continue;
    graph.remove_nodes([&](const Node& n) { return &n == id; });
    graph.rename(*producer, ref.node);
  }
}

uint64_t checkpoint_bytes(const CheckpointReader& reader) {
  uint64_t total = 0;
  for (const auto& t : reader.tensors()) total += t.bytes;
  return total;
}

void summarise_removed(const Graph& original, const std::unordered_set<std::string>& kept, ExportReport& report) {
  const auto roles = training_roles(original);
  std::map<Role, std::vector<std::string>> by_role;
  for (const auto& [node, role] : roles)
    if (!kept.count(node->name())) by_role[role].push_back(node->name());
  for (auto& [role, names] : by_role) {
    std::sort(names.begin(), names.end());
    std::vector<std::string> sample(names.begin(), names.begin() + static_cast<long>(std::min<std::size_t>(3, names.size())));
    report.removed_training.push_back(fmt::format("{}: {} node{} ({}{})", role_name(role), names.size(),
                                                  names.size() == 1 ? "" : "s", fmt::join(sample, ", "),
                                                  names.size() > 3 ? ", ..." : ""));
  }
}

}  // namespace

ModelFormat parse_model_format(std::string_view text) {
  if (text == "pb" || text == "graphdef" || text == "pbtxt") return ModelFormat::kGraphDef;
  if (text == "onnx") return ModelFormat::kOnnx;
  fail("--format {}: unknown format; use pb (a TensorFlow GraphDef) or onnx", text);
}

ModelFormat model_format_for(const std::filesystem::path& output, std::optional<ModelFormat> given) {
  if (given) return *given;
  const std::string ext = output.extension().string();
  if (ext == ".pb" || ext == ".pbtxt") return ModelFormat::kGraphDef;
  if (ext == ".onnx") return ModelFormat::kOnnx;
  fail("{}: unknown model extension '{}': use .pb or .pbtxt (TensorFlow GraphDef) or .onnx, or pass --format",
       output.string(), ext);
}

PreparedExport prepare_export(const ExportOptions& options) {
  const auto start = Clock::now();
  auto step = [&](const std::string& what) {
    if (options.on_step) options.on_step(what);
  };
  ExportReport report;
  step("reading " + options.source.string());
  ModelSource src = open_model_source(options.source, options.source_options);
  report.source_kind = src.describe();
  report.notes = src.notes;
  report.bytes_before = src.meta.graph_def().ByteSizeLong();
  Graph graph = Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());
  report.nodes_before = graph.size();
  const Graph original = graph.clone();  // shares the weights (copy-on-write)

  std::vector<std::string> outputs = choose_outputs(options, src, graph, report);
  std::vector<InputSpec> inputs = choose_inputs(options, src, graph, outputs, report);

  if (src.checkpoint) {
    auto reader = open_checkpoint(*src.checkpoint);
    const uint64_t weights = checkpoint_bytes(*reader);
    report.bytes_before += weights;
    step(fmt::format("freezing from {} ({} tensors, {:.1f} MiB)", src.checkpoint->prefix, reader->tensors().size(),
                     static_cast<double>(weights) / (1 << 20)));
    FreezeReport fr;
    ExportStep record{"freeze", "variables become constants; what the outputs do not need goes", graph.size()};
    auto before = node_names(graph);
    auto t = Clock::now();
    FreezeOptions fo{.outputs = outputs};
    fo.progress = options.on_freeze_progress;
    graph = freeze(std::move(graph), *reader, fo, &fr);
    record.seconds = since(t);
    record.nodes_after = graph.size();
    record.removed = removed_since(before, graph);
    report.variables_frozen = fr.frozen.size();
    for (const auto& n : fr.notes) report.notes.push_back(n);
    report.steps.push_back(std::move(record));
  } else {
    std::vector<std::string> cut_at;
    for (const auto& in : inputs) cut_at.push_back(in.name);
    refuse_variables_without_checkpoint(graph, cut_at, outputs, options.source.string());
  }

  const bool onnx = options.format == ModelFormat::kOnnx;
  for (auto& in : inputs)
    if (auto moved = onnx ? std::nullopt : past_leading_reshape(graph, in)) {
      report.choices.push_back(fmt::format("cut after {}'s Reshape to {}: OpenCV 4.6 reads a Reshape to 4-D as NCHW; "
                                           "the model takes the image",
                                           in.name, shape_string(*moved->shape)));
      in = *moved;
    }

  // Cut at the inputs: the reference the model is proven against.
  std::vector<std::pair<std::string, std::string>> args;
  for (const auto& in : inputs) cut_args(graph, in, options.source.string(), args, report);
  std::vector<std::string> input_names;
  for (const auto& in : inputs) input_names.push_back(in.name);
  PassContext context{input_names, outputs, {}};
  step("cutting at " + fmt::format("{}", fmt::join(input_names, ", ")));
  run_step(graph, make_step("strip_unused_nodes", args), context, "cut at the inputs", report);
  Graph reference = graph.clone();  // shares the weights the cleanup leaves alone

  step("inference cleanup and OpenCV compatibility");
  // The export preset: the same recipe the OpenCV corpus test proves on every loadable corpus model.
  PipelineHistory history;  // one pipeline, reported step by step
  for (const PresetStep& r : preset_steps(onnx ? Preset::kOnnxExport : Preset::kExport)) {
    std::vector<std::pair<std::string, std::string>> none;
    run_step(graph, make_step(r.transform, none, r.ignore_errors), context, r.why, report, &history);
  }
  for (const auto& w : context.warnings) report.notes.push_back(w);
  keep_output_names_in_opencv(graph, context.outputs);
  for (const Node* n : graph.nodes()) {
    if (n->op != "Placeholder") continue;
    const auto* s = n->attr("shape");
    bool known = s && s->has_shape() && !s->shape().unknown_rank();
    for (int i = 0; known && i < s->shape().dim_size(); ++i) known = s->shape().dim(i).size() >= 0;
    if (!known)
      fail("{}: the model still reads placeholder '{}', whose shape is not known; pass --input {}:TYPE:SHAPE",
           options.source.string(), n->name(), n->name());
  }
  // Names of the model's inputs after the cut ("node:1" -> "node_1").
  for (const auto& in : input_names) {
    TensorRef ref = TensorRef::parse(in);
    report.inputs.push_back(ref.index == 0 ? ref.node : ref.node + "_" + std::to_string(ref.index));
  }
  report.outputs = context.outputs;
  report.nodes_after = graph.size();
  report.bytes_after = graph.serialized_size();
  summarise_removed(original, node_names(graph), report);
  if (!onnx)
    for (const auto& issue : opencv_preflight(graph))
      report.opencv_blockers.push_back(fmt::format("{} ({}): {}", issue.node, issue.op, issue.hint));
  // Asking OpenCV its version loads the plugin and OpenCV's libraries (~15 ms
  // of CPU): only a verified export, which needs them, does.
  if (options.verify) report.opencv_version = opencv_version();
  report.seconds = since(start);
  return {std::move(reference), std::move(graph), std::move(report)};
}

// True when the frozen graph computes in half: a half Const or a half op.
static bool holds_half(const Graph& graph) {
  for (const Node* n : graph.nodes()) {
    const auto* t = n->attr(n->op == "Const" ? "dtype" : "T");
    if (t && t->type() == tfprod::tf::DT_HALF) return true;
  }
  return false;
}

// Verification's tolerance: --tolerance, else by the weights' dtype.
static void choose_tolerance(const ExportOptions& options, const Graph& reference, ExportReport& report) {
  if (options.tolerance > 0) {
    report.tolerance = options.tolerance;
    report.tolerance_why = "--tolerance";
  } else {
    const bool half = holds_half(reference);
    report.tolerance = half ? kHalfTolerance : kFloatTolerance;
    report.tolerance_why = half ? "half weights" : "float weights";
  }
}

ExportReport export_model(const ExportOptions& options, const std::filesystem::path& output) {
  const auto start = Clock::now();
  const std::filesystem::path source = options.source;
  std::error_code ec;
  if (std::filesystem::exists(output, ec)) {
    for (const auto& p : {source, std::filesystem::path(source.string() + ".meta"),
                          std::filesystem::path(source.string() + ".index")})
      if (same_file(output, p)) fail("{}: output path is the input; refusing to overwrite it", output.string());
    if (std::filesystem::is_directory(source, ec))
      for (const auto& e : std::filesystem::recursive_directory_iterator(source, ec))
        if (same_file(output, e.path()))
          fail("{}: output path is one of the inputs; refusing to overwrite it", output.string());
  }
  if (model_format_for(output, options.format) == ModelFormat::kOnnx) {
    ExportOptions onnx_options = options;
    onnx_options.format = ModelFormat::kOnnx;
    PreparedExport prepared = prepare_export(onnx_options);
    choose_tolerance(options, prepared.reference, prepared.report);
    onnx_options.tolerance = prepared.report.tolerance;
    ExportReport report = write_onnx(prepared, onnx_options, output);
    report.seconds = since(start);
    return report;
  }
  PreparedExport prepared = prepare_export(options);
  ExportReport report = std::move(prepared.report);
  choose_tolerance(options, prepared.reference, report);
  const bool text = output.extension() == ".pbtxt";
  try {
    auto verify = [&](const std::filesystem::path& tmp, Graph model) {
      if (options.on_step) options.on_step(fmt::format("verifying in OpenCV {}", report.opencv_version));
      VerifyOptions vo;
      vo.outputs = report.outputs;
      vo.tolerance = report.tolerance;
      vo.seed = options.seed;
      report.verification = verify_written_model(tmp, std::move(model), std::move(prepared.reference), vo);
      report.verified = report.verification.ok();
      if (!report.verified) {
        std::string why = !report.verification.opencv_error.empty()
                              ? fmt::format("OpenCV {} cannot run the model: {}", report.opencv_version,
                                            report.verification.opencv_error)
                              : "OpenCV's outputs differ from the evaluator's on the frozen graph";
        if (!report.opencv_blockers.empty())
          why += fmt::format(" (nodes OpenCV 4.6 cannot import: {})", fmt::join(report.opencv_blockers, "; "));
        fail("{}", why);
      }
    };
    write_atomically(output, [&](const std::filesystem::path& tmp) {
      // OpenCV reads binary GraphDefs: verify that, then write text if asked.
      // The weights go from the graph to the file uncopied; verification then
      // consumes both graphs, so they are gone before OpenCV loads the file
      // (unless text is still to be written).
      if (!options.verify) prepared.reference = Graph();
      save_graph(prepared.model, tmp, false);
      report.bytes_after = std::filesystem::file_size(tmp);
      std::optional<Graph> for_text;
      if (text) for_text = prepared.model.clone();
      if (options.verify) verify(tmp, std::move(prepared.model));
      if (text) save_graph(*for_text, tmp, true);
    });
  } catch (const Error& e) {
    report.failure = e.what();
  }
  report.seconds = since(start);
  return report;
}

}  // namespace tfprod
