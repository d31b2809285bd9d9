// summarize_graph: a drop-in for TensorFlow's summarize_graph tool.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/summarize.h"
#include "tfprod/model_file.h"
#include "tfprod/version.h"

int main(int argc, char** argv) {
  CLI::App app{"summarize_graph (tfprod): inputs, outputs, parameters and ops of a GraphDef"};
  app.set_version_flag("--version", std::string("summarize_graph (tfprod) ") + tfprod::kVersion);
  std::string in_graph, structure = "false";
  app.add_option("--in_graph", in_graph, "GraphDef file (binary or text)")->required();
  app.add_option("--print_structure", structure, "List every node")->expected(0, 1)->default_str("false");
  try {
    std::vector<char*> args = tfprod::cli::without_empty_values(argc, argv);
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tfprod::cli::guarded("summarize_graph", [&] {
    tfprod::ModelFile f = tfprod::load_model_file(in_graph);
    tfprod::Graph g = tfprod::Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), in_graph);
    std::fputs(tfprod::cli::summarize(g, in_graph, tfprod::cli::parse_bool("print_structure", structure)).c_str(), stdout);
    return 0;
  });
}
