// `tfprod inspect PATH [--output NAME]... [--json]`: what a path is and what
// it holds (tfprod::inspect_model collects the facts, src/inspect/render.cc
// renders them as text for people or JSON for scripts).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "tfprod/file_util.h"
#include "tfprod/onnx.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/inspect.h"

namespace tfprod::cli {

namespace {

// An .onnx file: its inputs (with shapes), outputs, opset, node and
// Transpose counts, and ONNX's checker's verdict.
std::string onnx_inspect_text(const std::string& path, bool json) {
  const OnnxFileInfo info = read_onnx_info(path);
  const std::string checker = onnx_check_file(path);  // external data found beside it
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < info.inputs.size(); ++i)
    inputs.push_back(info.inputs[i] + " " + shape_string(info.input_shapes[i]));
  if (json) {
    nlohmann::json j;
    j["format"] = "onnx";
    j["opset"] = info.opset;
    j["inputs"] = info.inputs;
    j["input_shapes"] = info.input_shapes;
    j["outputs"] = info.outputs;
    j["nodes"] = info.nodes;
    j["transposes"] = info.transposes;
    j["checker"] = checker.empty() ? "passed" : checker;
    return j.dump(2) + "\n";
  }
  return fmt::format("format: ONNX, opset {}\ninputs: {}\noutputs: {}\nnodes: {}, Transposes: {}\nchecker: {}\n", info.opset,
                     fmt::join(inputs, ", "), fmt::join(info.outputs, ", "), info.nodes, info.transposes,
                     checker.empty() ? "passed (full check, with shape inference)" : checker);
}

}  // namespace

void add_inspect_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string path;
    std::vector<std::string> outputs;
    std::vector<std::string> inputs;
    std::vector<std::string> tags;
    std::string signature = "serving_default";
    bool json = false;
    bool no_opencv = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Say what a training dir, graph, checkpoint, SavedModel or frozen graph is and holds: format, checkpoints, "
      "variables, ops, likely inputs and outputs, training-only parts, and whether OpenCV 4.6 would import it");
  cmd->add_option("path", args->path, "Graph file, training or SavedModel directory, or checkpoint prefix")->required();
  cmd->add_option("--output", args->outputs, "Output node (repeatable, or comma-separated); default: guessed");
  cmd->add_option("--input", args->inputs,
                  "Input for the OpenCV verdict, NAME[:DTYPE][:SHAPE] (repeatable), as for tfprod export");
  add_tags_option(cmd, args->tags);
  cmd->add_option("--signature", args->signature, "SavedModel signature")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the facts as one JSON object");
  cmd->add_flag("--no-opencv", args->no_opencv, "Skip the OpenCV verdict (which freezes the model in memory)");
  cmd->callback([=] {
    *action = [=] {
      if (std::filesystem::path(args->path).extension() == ".onnx") {
        std::fputs(onnx_inspect_text(args->path, args->json).c_str(), stdout);
        return 0;
      }
      InspectOptions options;
      options.outputs = split_list(args->outputs);
      options.opencv_verdict = !args->no_opencv;
      options.source_options.tags = parse_tags(args->tags);
      options.source_options.signature = args->signature;
      for (const auto& i : args->inputs) options.inputs.push_back(parse_input_flag(i));
      const ModelFacts facts = inspect_model(args->path, options);
      std::fputs((args->json ? inspect_json(facts) : inspect_text(facts)).c_str(), stdout);
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace tfprod::cli
