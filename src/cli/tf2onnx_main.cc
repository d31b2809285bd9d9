// tf2onnx: a drop-in for `python -m tf2onnx.convert` with its convert flags,
// without TensorFlow. It runs tfprod export to ONNX: freeze, cut, clean up,
// convert, check with ONNX's checker, verify in OpenCV's ONNX importer, write.
//   tf2onnx --saved-model DIR | --checkpoint X.meta | --graphdef X.pb --output model.onnx
//           [--inputs in:0[1,28,28,1],...] [--outputs out:0,...] [--opset 13]
//           [--inputs-as-nchw in:0] [--outputs-as-nchw out:0] [--tag serve] [--signature_def KEY]
#include <CLI/CLI.hpp>

#include <cstdio>

#include <fmt/format.h>

#include "cli/cli_util.h"
#include "tfprod/error.h"
#include "tfprod/export.h"
#include "tfprod/tensor_name.h"
#include "tfprod/version.h"

namespace {

// "a:0[1,28,28,1],b:0" -> items split at commas outside brackets.
std::vector<std::string> split_outside_brackets(const std::string& text) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(cur);
  return items;
}

// "in:0[1,28,28,1]" -> name in, shape [1,28,28,1]; "in:0" -> declared shape.
tfprod::InputSpec parse_tf2onnx_input(const std::string& item) {
  tfprod::InputSpec spec;
  const auto open = item.find('[');
  spec.name = tfprod::TensorRef::parse(item.substr(0, open)).str();
  if (open != std::string::npos) {
    if (item.back() != ']') throw tfprod::cli::UsageError(fmt::format("--inputs {}: a shape ends with ']'", item));
    tfprod::Shape shape;
    for (const auto& d : tfprod::cli::split_list(item.substr(open + 1, item.size() - open - 2))) {
      try {
        shape.push_back(d == "?" ? -1 : std::stoll(d));
      } catch (const std::exception&) {
        throw tfprod::cli::UsageError(fmt::format("--inputs {}: '{}' is not a dim", item, d));
      }
    }
    spec.shape = shape;
  }
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tf2onnx (tfprod): TensorFlow -> ONNX without TensorFlow, checked and verified in OpenCV"};
  app.set_version_flag("--version", std::string("tf2onnx (tfprod) ") + tfprod::kVersion);
  std::string saved_model, checkpoint, graphdef, output, inputs, outputs, nchw_in, nchw_out, tag, signature;
  int opset = tfprod::kOnnxDefaultOpset;
  bool large_model = false, verbose = false;
  auto* sources = app.add_option_group("source", "one of");
  sources->add_option("--saved-model", saved_model, "SavedModel directory");
  sources->add_option("--checkpoint", checkpoint, "Checkpoint .meta file");
  sources->add_option("--graphdef", graphdef, "Frozen GraphDef .pb");
  sources->require_option(1);
  app.add_option("--output", output, "ONNX model to write")->required();
  app.add_option("--inputs", inputs, "Inputs: name:0[1,28,28,1],... (default: the signature's, else guessed)");
  app.add_option("--outputs", outputs, "Outputs: name:0,... (default: the signature's, else guessed)");
  app.add_option("--opset", opset, "ONNX opset, 11..17")->capture_default_str();
  app.add_option("--inputs-as-nchw", nchw_in, "Inputs given as NCHW (comma-separated)");
  app.add_option("--outputs-as-nchw", nchw_out, "Outputs given as NCHW (comma-separated)");
  app.add_option("--tag", tag, "SavedModel tag(s), comma-separated (default: serve)");
  app.add_option("--signature_def", signature, "SavedModel signature (default: serving_default)");
  app.add_flag("--large_model", large_model,
               "Weights to OUTPUT.data beside the model (ONNX external data; not tf2onnx's zip)");
  app.add_flag("--verbose,-v", verbose, "Accepted");
  try {
    std::vector<char*> args = tfprod::cli::without_empty_values(argc, argv);
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tfprod::cli::guarded("tf2onnx", [&] {
    tfprod::ExportOptions options;
    options.source = !saved_model.empty() ? saved_model : !checkpoint.empty() ? checkpoint : graphdef;
    options.format = tfprod::ModelFormat::kOnnx;
    if (!tag.empty()) options.source_options.tags = tfprod::cli::parse_tags({tag});
    if (!signature.empty()) options.source_options.signature = signature;
    for (const auto& item : split_outside_brackets(inputs)) options.inputs.push_back(parse_tf2onnx_input(item));
    for (const auto& o : tfprod::cli::split_list(outputs)) options.outputs.push_back(tfprod::TensorRef::parse(o).str());
    options.onnx.opset = opset;
    options.onnx.external_data = large_model;
    options.onnx.inputs_as_nchw = tfprod::cli::split_list(nchw_in);
    options.onnx.outputs_as_nchw = tfprod::cli::split_list(nchw_out);
    options.on_step = [](const std::string& s) { std::fprintf(stderr, "tf2onnx: %s\n", s.c_str()); };
    tfprod::ExportReport report = tfprod::export_model(options, output);
    std::fputs(report.text().c_str(), stdout);
    if (!report.failure.empty()) {
      std::fprintf(stderr, "tfprod: error: %s: not written: %s\n", output.c_str(), report.failure.c_str());
      const bool checked = !report.verification.opencv_error.empty() || !report.verification.outputs.empty();
      return static_cast<int>(checked ? tfprod::cli::kExitCheckFailed : tfprod::cli::kExitError);
    }
    std::printf("wrote %s in %.2f s\n", output.c_str(), report.seconds);
    return 0;
  });
}
