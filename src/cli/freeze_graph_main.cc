// freeze_graph: a drop-in for TensorFlow's freeze_graph tool, same flags
// (--flag=value or --flag value), no TensorFlow needed. Like TensorFlow's, it
// checks its required flags itself after parsing (exit 1 when one is missing).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/freeze_job.h"
#include "tfprod/error.h"
#include "tfprod/version.h"

namespace {

struct Flags {
  std::string input_graph, input_saver, input_checkpoint, output_node_names, restore_op_name,
      filename_tensor_name, output_graph, initializer_nodes, variable_names_whitelist,
      variable_names_blacklist, input_meta_graph, input_saved_model_dir, saved_model_tags = "serve";
  std::string input_binary = "false", clear_devices = "true";
  int checkpoint_version = 2;
};

void note(const std::string& text) { std::fprintf(stderr, "freeze_graph: %s\n", text.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"freeze_graph (tfprod): merge a graph and a checkpoint into a frozen GraphDef"};
  app.set_version_flag("--version", std::string("freeze_graph (tfprod) ") + tfprod::kVersion);
  Flags f;
  app.add_option("--input_graph", f.input_graph, "GraphDef file to load (text or binary)");
  app.add_option("--input_saver", f.input_saver, "SaverDef file (accepted; tfprod reads restore ops from the graph)");
  app.add_option("--input_binary", f.input_binary, "Whether the input graph is binary (tfprod detects it)")
      ->expected(0, 1)->default_str("false");
  app.add_option("--input_checkpoint", f.input_checkpoint, "Checkpoint prefix");
  app.add_option("--checkpoint_version", f.checkpoint_version, "Checkpoint format: 1 or 2");
  app.add_option("--output_node_names", f.output_node_names, "Comma-separated output node names");
  app.add_option("--restore_op_name", f.restore_op_name, "Deprecated and ignored");
  app.add_option("--filename_tensor_name", f.filename_tensor_name, "Deprecated and ignored");
  app.add_option("--output_graph", f.output_graph, "Output GraphDef file (binary)");
  app.add_option("--clear_devices", f.clear_devices, "Remove device placements (default true)")
      ->expected(0, 1)->default_str("true");
  app.add_option("--initializer_nodes", f.initializer_nodes, "Accepted; values come from the checkpoint");
  app.add_option("--variable_names_whitelist", f.variable_names_whitelist, "Only freeze these variables");
  app.add_option("--variable_names_blacklist", f.variable_names_blacklist, "Never freeze these variables");
  app.add_option("--input_meta_graph", f.input_meta_graph, "MetaGraphDef file (.meta) to load");
  app.add_option("--input_saved_model_dir", f.input_saved_model_dir, "SavedModel directory to load");
  app.add_option("--saved_model_tags", f.saved_model_tags, "SavedModel tags, comma-separated");
  try {
    std::vector<char*> args = tfprod::cli::without_empty_values(argc, argv);
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  return tfprod::cli::guarded("freeze_graph", [&] {
    using tfprod::cli::split_list;
    tfprod::cli::FreezeJob job;
    job.program = "freeze_graph";
    job.checkpoint_flag = "--input_checkpoint";
    job.outputs_flag = "--output_node_names";
    job.guess_outputs = false;
    bool binary = tfprod::cli::parse_bool("input_binary", f.input_binary);
    job.freeze.clear_devices = tfprod::cli::parse_bool("clear_devices", f.clear_devices);
    if (!f.restore_op_name.empty()) note("--restore_op_name is deprecated and ignored");
    if (!f.filename_tensor_name.empty()) note("--filename_tensor_name is deprecated and ignored");
    if (!f.input_saver.empty()) note("--input_saver ignored: restore mappings are read from the graph");
    if (!f.initializer_nodes.empty())
      note("--initializer_nodes ignored: without a session, variable values come from the checkpoint");
    if (f.checkpoint_version != 1 && f.checkpoint_version != 2)
      tfprod::cli::usage_fail("--checkpoint_version must be 1 or 2, got {}", f.checkpoint_version);
    if (f.output_graph.empty()) tfprod::fail("--output_graph is required");
    if (f.output_node_names.empty()) tfprod::fail("--output_node_names is required");
    job.output = f.output_graph;
    job.freeze.outputs = split_list(f.output_node_names);
    job.freeze.allow = split_list(f.variable_names_whitelist);
    job.freeze.deny = split_list(f.variable_names_blacklist);
    auto tags = split_list(f.saved_model_tags);
    job.source.tags = {tags.begin(), tags.end()};
    if (!f.input_saved_model_dir.empty()) {
      job.input = f.input_saved_model_dir;
    } else if (!f.input_meta_graph.empty()) {
      job.input = f.input_meta_graph;
    } else if (!f.input_graph.empty()) {
      job.input = f.input_graph;
      auto kind = tfprod::load_model_file(job.input).kind;
      if (binary == tfprod::is_text(kind))
        note(tfprod::describe(kind) + " given with --input_binary=" + (binary ? "true" : "false") +
             "; reading it as " + tfprod::describe(kind));
    } else {
      tfprod::fail("one of --input_graph, --input_meta_graph or --input_saved_model_dir is required");
    }
    if (!f.input_checkpoint.empty()) {
      job.source.checkpoint = f.input_checkpoint;
    } else if (f.input_saved_model_dir.empty()) {
      tfprod::fail("--input_checkpoint is required");
    }
    return tfprod::cli::run_freeze_job(job);
  });
}
