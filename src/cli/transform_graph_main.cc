// transform_graph: a drop-in for TensorFlow's Graph Transform Tool, same
// flags, no Bazel build of TensorFlow needed.
#include <CLI/CLI.hpp>

#include "cli/cli_util.h"
#include "cli/transform_job.h"
#include "tfprod/version.h"

int main(int argc, char** argv) {
  CLI::App app{"transform_graph (tfprod): apply TF graph transforms to a GraphDef"};
  app.set_version_flag("--version", std::string("transform_graph (tfprod) ") + tfprod::kVersion);
  tfprod::cli::TransformJob job;
  job.program = "transform_graph";
  job.out_flag = "--out_graph";
  std::string inputs, outputs, text = "false", in_graph, out_graph;
  app.add_option("--in_graph", in_graph, "Input GraphDef (binary or text)")->required();
  app.add_option("--out_graph", out_graph, "Output GraphDef")->required();
  app.add_option("--inputs", inputs, "Comma-separated input names");
  app.add_option("--outputs", outputs, "Comma-separated output names");
  app.add_option("--transforms", job.transforms, "Transforms, e.g. 'strip_unused_nodes fold_constants(ignore_errors=true)'");
  app.add_option("--output_as_text", text, "Write text format")->expected(0, 1)->default_str("false");
  try {
    std::vector<char*> args = tfprod::cli::without_empty_values(argc, argv);
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tfprod::cli::guarded("transform_graph", [&] {
    job.in_graph = in_graph;
    job.out_graph = out_graph;
    job.inputs = tfprod::cli::split_list(inputs);
    job.outputs = tfprod::cli::split_list(outputs);
    job.output_as_text = tfprod::cli::parse_bool("output_as_text", text);
    return tfprod::cli::run_transform_job(job);
  });
}
