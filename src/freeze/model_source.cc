#include "tfprod/model_source.h"

#include <algorithm>

#include "freeze/saved_model_tf2.h"
#include "tfprod/error.h"

namespace tfprod {

namespace fs = std::filesystem;

namespace {

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

void take_meta(ModelSource& src, const ModelFile& file, const std::set<std::string>& tags) {
  src.graph_path = file.path;
  src.graph_kind = file.kind;
  src.meta = select_meta_graph(file, tags);
}

void take_signature(ModelSource& src, const std::string& key) {
  if (src.meta.signature_def_size() == 0) return;
  const tfprod::tf::SignatureDef* sig = nullptr;
  std::vector<std::string> keys;
  for (const auto& e : src.meta.signature_def()) {
    keys.push_back(e.key());
    if (e.key() == key) sig = &e.value();
  }
  if (!sig) {
    src.notes.push_back(fmt::format("no signature '{}'; signatures present: {}", key, fmt::join(keys, ", ")));
    return;
  }
  for (const auto& in : sig->inputs()) src.signature_inputs.push_back(in.value().name());
  for (const auto& out : sig->outputs()) src.signature_outputs.push_back(out.value().name());
}

std::optional<ResolvedCheckpoint> try_resolve(const fs::path& p) {
  try {
    return resolve_checkpoint(p);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The graph of a training directory: the resolved checkpoint's .meta, else
// graph.pbtxt (Estimator), else the newest .meta.
fs::path training_dir_graph(const fs::path& dir, const ResolvedCheckpoint& ckpt) {
  fs::path meta = ckpt.prefix + ".meta";
  if (path_exists(meta)) return meta;
  if (path_exists(dir / "graph.pbtxt")) return dir / "graph.pbtxt";
  fs::path newest;
  fs::file_time_type newest_time{};
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".meta") continue;
    auto t = e.last_write_time();
    if (newest.empty() || t > newest_time) {
      newest = e.path();
      newest_time = t;
    }
  }
  if (newest.empty())
    fail("{}: training directory has a checkpoint ({}) but no graph: no {}, graph.pbtxt or *.meta", dir.string(),
         ckpt.prefix, fs::path(meta).filename().string());
  return newest;
}

}  // namespace

std::string ModelSource::describe() const {
  std::string s = fmt::format("{}: graph {} ({})", kind, graph_path.string(), tfprod::describe(graph_kind));
  if (checkpoint) s += fmt::format(", checkpoint {}", checkpoint->prefix);
  return s;
}

ModelSource open_model_source(const fs::path& path, const SourceOptions& options) {
  ModelSource src;
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  if (is_dir && (path_exists(path / "saved_model.pb") || path_exists(path / "saved_model.pbtxt"))) {
    ModelFile file = load_model_file(path);
    take_meta(src, file, options.tags);
    if (is_tf2_meta_graph(src.meta)) {
      src.kind = "SavedModel (TF2)";
      flatten_tf2_signature(src, path, options.signature);
    } else {
      src.kind = "SavedModel (TF1)";
      take_signature(src, options.signature);
    }
    if (path_exists(path / "variables" / "variables.index"))
      src.checkpoint = resolve_checkpoint(path / "variables" / "variables");
  } else if (is_dir) {
    ResolvedCheckpoint ckpt = resolve_checkpoint(path);
    ModelFile file = load_model_file(options.graph ? *options.graph : training_dir_graph(path, ckpt));
    take_meta(src, file, {});
    src.kind = "training directory";
    src.checkpoint = std::move(ckpt);
  } else if (path_exists(path)) {
    ModelFile file = load_model_file(path);
    take_meta(src, file, options.tags);
    src.kind = file.kind == ModelFileKind::kMetaGraphBinary || file.kind == ModelFileKind::kMetaGraphText
                   ? "meta graph"
                   : "graph file";
    take_signature(src, options.signature);
    if (path.extension() == ".meta") {
      fs::path prefix = path;
      prefix.replace_extension();
      src.checkpoint = try_resolve(prefix);
    }
  } else if (path_exists(path.string() + ".index") || path_exists(path.string() + ".meta")) {
    // A checkpoint prefix: its .meta is the graph.
    src.checkpoint = resolve_checkpoint(path);
    fs::path graph = options.graph ? *options.graph : fs::path(path.string() + ".meta");
    if (!path_exists(graph)) fail("{}: checkpoint prefix without a graph: {} is missing; pass a graph file", path.string(), graph.string());
    ModelFile file = load_model_file(graph);
    take_meta(src, file, {});
    src.kind = "checkpoint prefix";
  } else {
    fail("{}: no such file, directory or checkpoint prefix", path.string());
  }

  if (options.checkpoint) src.checkpoint = resolve_checkpoint(*options.checkpoint);
  if (options.graph && !is_dir) {
    ModelFile file = load_model_file(*options.graph);
    take_meta(src, file, options.tags);
  }
  if (src.checkpoint)
    for (const auto& note : src.checkpoint->notes) src.notes.push_back(note);
  return src;
}

}  // namespace tfprod
