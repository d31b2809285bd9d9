// `tfprod inspect PATH`: what a path is (graph file kind, TF version, model
// source) and what it holds (nodes, functions, signatures, checkpoint).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"

namespace tfprod::cli {

namespace fs = std::filesystem;

namespace {

void print_graph(const tensorflow::MetaGraphDef& meta) {
  const auto& g = meta.graph_def();
  std::map<std::string, int> ops;
  for (const auto& n : g.node()) ++ops[n.op()];
  std::printf("  nodes: %d, functions: %d, GraphDef producer %d\n", g.node_size(), g.library().function_size(),
              g.versions().producer());
  if (!meta.meta_info_def().tensorflow_version().empty())
    std::printf("  written by TensorFlow %s\n", meta.meta_info_def().tensorflow_version().c_str());
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [op, count] : ops) top.emplace_back(-count, op);
  std::sort(top.begin(), top.end());
  std::string hist;
  for (std::size_t i = 0; i < std::min<std::size_t>(12, top.size()); ++i)
    hist += fmt::format("{}{}x{}", i ? ", " : "", top[i].second, -top[i].first);
  std::printf("  ops: %s\n", hist.c_str());
  for (const auto& sig : meta.signature_def()) {
    std::string ins, outs;
    for (const auto& e : sig.value().inputs()) ins += fmt::format(" {}={}", e.key(), e.value().name());
    for (const auto& e : sig.value().outputs()) outs += fmt::format(" {}={}", e.key(), e.value().name());
    std::printf("  signature %s: inputs%s -> outputs%s\n", sig.key().c_str(), ins.c_str(), outs.c_str());
  }
}

void print_checkpoint(const ResolvedCheckpoint& resolved) {
  auto reader = open_checkpoint(resolved);
  uint64_t bytes = 0;
  for (const auto& t : reader->tensors()) bytes += t.bytes;
  std::printf("checkpoint %s: %s, %zu tensors, %s%s\n", resolved.prefix.c_str(),
              resolved.format == CheckpointFormat::kV2 ? "V2 bundle" : "V1 TensorSlice file",
              reader->tensors().size(), human_bytes(bytes).c_str(),
              resolved.step ? fmt::format(", step {}", *resolved.step).c_str() : "");
  for (const auto& t : reader->tensors())
    std::printf("  %-60s %-10s %s%s\n", t.name.c_str(), dtype_name(t.dtype).c_str(), shape_string(t.shape).c_str(),
                t.partitioned ? " (partitioned)" : "");
}

// SSTables (checkpoint .index files and V1 checkpoints) end in this magic.
bool is_sstable(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char tail[8] = {};
  bool ok = std::fseek(f, -8, SEEK_END) == 0 && std::fread(tail, 1, 8, f) == 8;
  std::fclose(f);
  const unsigned char magic[8] = {0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
  return ok && std::equal(tail, tail + 8, magic);
}

int inspect(const fs::path& path) {
  std::error_code ec;
  const bool file = fs::is_regular_file(path, ec);
  if (file && is_sstable(path)) {
    fs::path prefix = path.extension() == ".index" ? fs::path(path).replace_extension() : path;
    print_checkpoint(resolve_checkpoint(prefix));
    return 0;
  }
  if (file) {
    ModelFile f = load_model_file(path);
    std::printf("%s: %s\n", path.string().c_str(), describe(f.kind).c_str());
    for (const auto& meta : f.model.meta_graphs()) print_graph(meta);
    return 0;
  }
  if (!file && !fs::exists(path, ec) && !fs::exists(path.string() + ".index", ec) &&
      !fs::exists(path.string() + ".meta", ec))
    fail("{}: no such file, directory or checkpoint prefix", path.string());
  try {
    ModelSource src = open_model_source(path);
    std::printf("%s: %s\n", path.string().c_str(), src.describe().c_str());
    for (const auto& n : src.notes) std::printf("  note: %s\n", n.c_str());
    print_graph(src.meta);
    if (src.checkpoint) print_checkpoint(*src.checkpoint);
  } catch (const Error&) {
    // A bare checkpoint prefix (no graph beside it) is still worth describing.
    if (fs::is_directory(path, ec)) throw;
    print_checkpoint(resolve_checkpoint(path));
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, std::function<int()>* action) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Say what a file, directory or checkpoint is and what it holds");
  cmd->add_option("path", *path, "Graph file, training or SavedModel directory, or checkpoint prefix")->required();
  cmd->callback([=] { *action = [=] { return inspect(*path); }; });
}

}  // namespace tfprod::cli
