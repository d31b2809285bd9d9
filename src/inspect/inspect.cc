// inspect_model: open whatever the user points at as a model source (or, for
// a checkpoint without a graph, just the checkpoint) and collect the facts.
#include "tfprod/inspect.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "checkpoint/sstable.h"
#include "inspect/inspect_internal.h"
#include "tfprod/error.h"
#include "tfprod/events.h"
#include "tfprod/model_file.h"

namespace tfprod {

namespace fs = std::filesystem;
using namespace inspect_detail;

const char* variable_kind_name(VariableKind kind) {
  switch (kind) {
    case VariableKind::kModel: return "model";
    case VariableKind::kOptimizerSlot: return "optimizer slot";
    case VariableKind::kTrainingState: return "training state";
  }
  return "model";
}

namespace {

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

bool has_graph_file(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".meta" || name == "graph.pbtxt" || name == "saved_model.pb" ||
        name == "saved_model.pbtxt")
      return true;
  }
  return false;
}

void collect_graph_facts(ModelFacts& f, const ModelSource& src) {
  const auto& g = src.meta.graph_def();
  f.has_graph = true;
  f.graph_format = describe(src.graph_kind);
  f.graph_path = src.graph_path.string();
  f.tf_version = src.meta.meta_info_def().tensorflow_version();
  f.producer = g.versions().producer();
  f.nodes = static_cast<std::size_t>(g.node_size());
  f.functions = static_cast<std::size_t>(g.library().function_size());
  std::map<std::string, std::size_t> ops;
  for (const auto& n : g.node()) ++ops[n.op()];
  f.ops.assign(ops.begin(), ops.end());
  std::stable_sort(f.ops.begin(), f.ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& sig : src.meta.signature_def()) {
    SignatureFacts s{sig.key(), {}, {}};
    for (const auto& e : sig.value().inputs()) s.inputs.emplace_back(e.key(), e.value().name());
    for (const auto& e : sig.value().outputs()) s.outputs.emplace_back(e.key(), e.value().name());
    std::sort(s.inputs.begin(), s.inputs.end());
    std::sort(s.outputs.begin(), s.outputs.end());
    f.signatures.push_back(std::move(s));
  }
  std::sort(f.signatures.begin(), f.signatures.end(),
            [](const SignatureFacts& a, const SignatureFacts& b) { return a.key < b.key; });
}

// Per training-only role: how many nodes, and the name scopes they live in.
std::vector<TrainingPart> training_parts(const Graph& g, const std::unordered_map<const Node*, Role>& roles) {
  std::map<int, TrainingPart> parts;
  for (const Node* n : g.nodes()) {
    auto it = roles.find(n);
    if (it == roles.end() || it->second == Role::kModel) continue;
    TrainingPart& p = parts[static_cast<int>(it->second)];
    p.role = it->second;
    ++p.nodes;
    const std::size_t slash = n->name().find('/');
    std::string scope = slash == std::string::npos ? n->name() : n->name().substr(0, slash + 1);
    if (p.examples.size() < 4 && std::find(p.examples.begin(), p.examples.end(), scope) == p.examples.end())
      p.examples.push_back(std::move(scope));
  }
  std::vector<TrainingPart> out;
  for (auto& [role, part] : parts) out.push_back(std::move(part));
  return out;
}

void collect_io(ModelFacts& f, const ModelSource& src, const Graph& g, const InspectOptions& options) {
  std::vector<std::string> outputs = options.outputs;
  if (!outputs.empty()) {
    f.io_source = "given (--output)";
  } else if (!src.signature_outputs.empty()) {
    outputs = src.signature_outputs;
    f.io_source = fmt::format("signature {}", options.source_options.signature);
  } else {
    f.io_source = "guessed";
  }
  for (const auto& name : outputs)
    if (!g.find(TensorRef::parse(name).node)) fail("{}: --output {}: no such node in the graph", f.path, name);
  f.io = guess_io(g, outputs);
  if (!src.signature_outputs.empty() && options.outputs.empty())
    for (auto& o : f.io.outputs) o.reason = fmt::format("an output of {}", f.io_source);
}

// The eval metrics logged at each checkpoint's step (events files of eval
// runs). Unreadable events files only lose their metrics.
void add_eval_metrics(std::vector<CheckpointFacts>& checkpoints, const fs::path& dir) {
  try {
    const auto metrics = events::checkpoint_metrics(dir);
    for (auto& c : checkpoints)
      for (const auto& m : metrics)
        if (c.step && *c.step == m.step && !m.metrics.empty()) {
          c.eval_metrics = m.metrics;
          c.eval_run = m.eval_run;
        }
  } catch (const Error&) {
  }
}

}  // namespace

ModelFacts inspect_model(const fs::path& path, const InspectOptions& options) {
  ModelFacts f;
  f.path = path.string();
  std::error_code ec;
  const bool is_file = fs::is_regular_file(path, ec);
  const bool is_dir = fs::is_directory(path, ec);
  if (!is_file && !is_dir && !path_exists(path.string() + ".index") && !path_exists(path.string() + ".meta"))
    fail("{}: no such file, directory or checkpoint prefix", path.string());

  fs::path source = path;
  std::optional<ResolvedCheckpoint> bare;  // a checkpoint without a graph
  if (is_file && checkpoint::has_sstable_magic(path.string())) {
    // A checkpoint file (.index, or a V1 file): its prefix, with its .meta when there is one.
    const fs::path prefix = path.extension() == ".index" ? fs::path(path).replace_extension() : path;
    if (!path_exists(prefix.string() + ".meta"))
      bare = resolve_checkpoint(prefix);
    else
      source = path_exists(prefix.string() + ".index") ? prefix : fs::path(prefix.string() + ".meta");
  } else if (is_file && (path.filename() == "saved_model.pb" || path.filename() == "saved_model.pbtxt")) {
    source = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  } else if (is_dir && !has_graph_file(path)) {
    // Checkpoints without any graph: still worth describing.
    bare = resolve_checkpoint(path);
    bare->notes.push_back("no graph in this directory (no *.meta, graph.pbtxt or saved_model.pb): checkpoint only");
  }

  std::optional<ModelSource> src;
  if (!bare) {
    try {
      src = open_model_source(source, options.source_options);
    } catch (const Error&) {
      // A bare checkpoint prefix (no graph beside it) is still worth describing.
      if (is_dir || is_file) throw;
      bare = resolve_checkpoint(path);
    }
  }
  if (bare) {
    f.kind = "checkpoint";
    f.notes = bare->notes;
    if (is_dir) f.kind = "checkpoint directory";
    f.checkpoints = list_checkpoints(*bare);
    if (is_dir) add_eval_metrics(f.checkpoints, path);
    collect_checkpoint_variables(f, *bare, nullptr, {});
    return f;
  }

  f.kind = src->kind;
  f.notes = src->notes;
  collect_graph_facts(f, *src);
  Graph g = Graph::from_graphdef(src->meta.graph_def(), src->graph_path.string());
  const auto roles = training_roles(g);
  if (src->checkpoint) {
    f.checkpoints = list_checkpoints(*src->checkpoint);
    if (is_dir) add_eval_metrics(f.checkpoints, path);
    collect_checkpoint_variables(f, *src->checkpoint, &g, roles);
  } else {
    collect_graph_variables(f, g, roles);
    bool variables = false;
    for (const auto& v : f.variables) variables = variables || v.source == "graph";
    if (variables) f.notes.push_back("the graph has variables but no checkpoint was found for it");
  }
  f.training = training_parts(g, roles);
  collect_io(f, *src, g, options);
  if (options.opencv_verdict) {
    bool frozen = !src->checkpoint;
    for (const auto& v : f.variables) frozen = frozen && v.source == "Const";
    f.opencv = opencv_verdict(source, options, frozen ? &g : nullptr);
  }
  return f;
}

}  // namespace tfprod
