// `tfprod view GRAPH -o graph.svg|graph.html|graph.dot`: the graph as a
// picture, training-only nodes coloured by role, likely inputs and outputs
// and the cut marked (the drawing is src/view, graph_view.h).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/graph_view.h"
#include "tfprod/model_source.h"

namespace tfprod::cli {

namespace fs = std::filesystem;

namespace {

struct ViewArgs {
  std::string graph, out;
  std::vector<std::string> outputs;
  bool inference_only = false, all = false;
  std::size_t collapse = 0;
  std::vector<std::string> tags;
  std::string signature = "serving_default";
};

std::string names(const std::vector<IoCandidate>& list) {
  std::string out;
  for (const auto& c : list) out += (out.empty() ? "" : ", ") + c.name + (c.cut ? " (cut)" : "");
  return out.empty() ? "none found" : out;
}

int view(const ViewArgs& args) {
  const fs::path out = args.out;
  std::string ext = out.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool svg = ext == ".svg", html = ext == ".html" || ext == ".htm", dot = ext == ".dot" || ext == ".gv";
  if (!svg && !html && !dot) fail("{}: unknown picture format '{}': use .svg, .html or .dot", args.out, ext);
  std::error_code ec;
  if (!fs::exists(args.graph, ec) && !fs::exists(args.graph + ".index", ec) && !fs::exists(args.graph + ".meta", ec))
    fail("{}: no such file, directory or checkpoint prefix", args.graph);
  if (same_file(out, args.graph)) fail("{}: the output would overwrite the input graph", args.out);
  if ((svg || html) && find_dot().empty())
    fail("Graphviz's 'dot' is not on PATH: install graphviz (apt-get install graphviz) or write DOT text (-o {})",
         out.stem().string() + ".dot");

  SourceOptions so;
  so.tags = parse_tags(args.tags);
  so.signature = args.signature;
  const ModelSource src = open_model_source(args.graph, so);
  if (same_file(out, src.graph_path)) fail("{}: the output would overwrite the input graph", args.out);
  const Graph graph = Graph::from_graphdef(src.meta.graph_def(), src.graph_path.string());

  GraphViewOptions options;
  options.outputs = args.outputs.empty() ? src.signature_outputs : args.outputs;
  options.inference_only = args.inference_only;
  options.expand_all = args.all;
  options.collapse = args.collapse;
  const GraphView v = graph_view(graph, options);

  if (dot) {
    write_file_atomically(out, v.dot);
  } else {
    const std::string picture = dot_to_svg(v.dot);
    write_file_atomically(out, svg ? picture : graph_view_html(v, picture, src.graph_path.filename().string()));
  }
  std::printf("%s: %zu of %zu nodes drawn as %zu boxes\n", args.out.c_str(), v.nodes_drawn, v.nodes_total, v.boxes);
  if (!v.collapsed.empty()) {
    std::string scopes;
    for (const auto& s : v.collapsed) scopes += " " + s;
    std::printf("  collapsed (--all to expand):%s\n", scopes.c_str());
  }
  std::printf("  likely inputs: %s\n  likely outputs: %s\n", names(v.io.inputs).c_str(), names(v.io.outputs).c_str());
  return 0;
}

}  // namespace

void add_view_command(CLI::App& app, std::function<int()>* action) {
  auto args = std::make_shared<ViewArgs>();
  CLI::App* cmd = app.add_subcommand(
      "view", "Draw a graph (SVG, HTML with search, or DOT): training-only nodes coloured, inputs/outputs and the cut marked");
  cmd->add_option("graph", args->graph,
                  "Training directory, graph file, .meta, checkpoint prefix, SavedModel or frozen graph")
      ->required();
  cmd->add_option("-o,--out", args->out, "Picture to write: .svg, .html (with a search box) or .dot")->required();
  cmd->add_option("--output", args->outputs, "Output node (repeatable; default: the likely outputs)");
  cmd->add_flag("--inference-only", args->inference_only,
                "Only what the outputs need, down to the inputs: what an exported model holds");
  cmd->add_option("--collapse", args->collapse,
                  "Also draw each top-level name scope with more than N nodes as one box");
  cmd->add_flag("--all", args->all, "Draw every node: collapse no scope (training-only scopes are collapsed by default)");
  add_tags_option(cmd, args->tags);
  cmd->add_option("--signature", args->signature, "SavedModel signature")->capture_default_str();
  cmd->callback([=] { *action = [=] { return view(*args); }; });
}

}  // namespace tfprod::cli
