// `tfprod classify MODEL IMAGE [--size WxH] [--gray] [--labels FILE] [--top K]
// [--input NAME[:DTYPE][:SHAPE]] [--output NAME]`:
// runs a model in OpenCV DNN on an image (pixels 0..255, TF's NHWC layout
// converted as OpenCV needs) and prints the top classes: the production use.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "tfprod/tensor_values.h"
#include "tfprod/error.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_runner.h"

namespace tfprod::cli {

void add_classify_command(CLI::App& app, std::function<int()>* action) {
  struct Args {
    std::string model, image, size, labels, input, output;
    bool gray = false;
    int top = 5;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("classify", "Run a model in OpenCV DNN on an image and print the top classes");
  cmd->add_option("model", args->model, "Frozen GraphDef (e.g. from optimize_for_inference)")->required();
  cmd->add_option("image", args->image, "Image file")->required();
  cmd->add_option("--size", args->size, "Resize to WxH first (default: the input placeholder's shape)");
  cmd->add_flag("--gray", args->gray, "Read the image as one grey channel");
  cmd->add_option("--labels", args->labels, "Text file, one class name per line");
  cmd->add_option("--top", args->top, "How many classes to print")->capture_default_str();
  cmd->add_option("--input", args->input,
                  "Input placeholder NAME[:DTYPE][:SHAPE] (default: the only one); a 4-D SHAPE N,H,W,C sizes the "
                  "image when --size is not given");
  cmd->add_option("--output", args->output, "Output tensor (default: the only likely output)");
  cmd->callback([=] {
    *action = [=] {
      ModelFile f = load_model_file(args->model);
      Graph g = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), args->model);
      const std::optional<InputSpec> spec =
          args->input.empty() ? std::nullopt : std::optional<InputSpec>(parse_input_flag(args->input));
      std::string input = spec ? spec->name : "", output = args->output;
      const Node* placeholder = nullptr;
      if (input.empty()) {
        for (const Node* n : g.nodes())
          if (n->op == "Placeholder") {
            if (placeholder) fail("{}: several placeholders; pass --input", args->model);
            placeholder = n;
          }
        if (!placeholder) fail("{}: no Placeholder to feed the image to", args->model);
        input = placeholder->name();
      } else {
        placeholder = g.find(input);
        if (!placeholder) fail("{}: --input {}: no node of that name", args->model, input);
      }
      if (output.empty()) {
        auto outs = candidate_outputs(g);
        if (outs.size() != 1) fail("{}: {} likely outputs; pass --output", args->model, outs.size());
        output = outs[0];
      }
      int width = 0, height = 0;
      if (!args->size.empty()) {
        if (std::sscanf(args->size.c_str(), "%dx%d", &width, &height) != 2 || width <= 0 || height <= 0)
          usage_fail("--size '{}': expected WxH, e.g. 20x20", args->size);
      } else if (spec && spec->shape && spec->shape->size() == 4) {
        height = static_cast<int>((*spec->shape)[1]);
        width = static_cast<int>((*spec->shape)[2]);
      } else if (const auto* s = placeholder->attr("shape"); s && s->has_shape() && s->shape().dim_size() == 4) {
        height = static_cast<int>(s->shape().dim(1).size());
        width = static_cast<int>(s->shape().dim(2).size());
      }
      Tensor image = load_image(args->image, args->gray, width, height);
      OpenCvRun run = run_in_opencv(args->model, {{input, image}}, {{output}}, true);
      if (!run.error.empty()) fail("{}: OpenCV {}: {}", args->model, opencv_version(), run.error);
      Tensor scores = eval::cast(run.outputs[0], tfprod::tf::DT_FLOAT);
      auto v = eval::values<float>(scores);
      std::vector<std::string> labels;
      if (!args->labels.empty()) {
        std::ifstream in(args->labels);
        if (!in) fail("{}: cannot read labels", args->labels);
        for (std::string line; std::getline(in, line);) labels.push_back(line);
      }
      std::vector<std::size_t> order(v.size());
      std::iota(order.begin(), order.end(), 0);
      const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(std::max(args->top, 1)), v.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                        [&](std::size_t a, std::size_t b) { return v[a] > v[b]; });
      for (std::size_t i = 0; i < k; ++i) {
        const std::size_t c = order[i];
        std::printf("%zu\t%.6f%s%s\n", c, v[c], c < labels.size() ? "\t" : "", c < labels.size() ? labels[c].c_str() : "");
      }
      return 0;
    };
  });
}

}  // namespace tfprod::cli
