// tfprod as a library: writes the bundled example training directory, freezes
// its checkpoint into the graph, and evaluates the frozen graph on one input.
//
//   tfprod_consumer DIR
#include <cstdio>
#include <exception>

#include "tfprod/checkpoint.h"
#include "tfprod/eval.h"
#include "tfprod/example_model.h"
#include "tfprod/freeze.h"
#include "tfprod/graph.h"
#include "tfprod/tensor_values.h"
#include "tfprod/version.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    std::printf("tfprod %s (headers %s)\n", tfprod::version(), tfprod::kVersion);
    tfprod::write_example_training_dir(argv[1]);

    tfprod::Graph graph = tfprod::Graph::from_graphdef(tfprod::example_training_graph(), "example");
    const auto checkpoint = tfprod::open_checkpoint(tfprod::resolve_checkpoint(argv[1]));
    tfprod::FreezeOptions options;
    options.outputs = {"softmax_tensor"};
    tfprod::FreezeReport report;
    tfprod::Graph frozen = tfprod::freeze(std::move(graph), *checkpoint, options, &report);
    std::printf("frozen %zu variables: %zu nodes -> %zu\n", report.frozen.size(), report.nodes_before,
                report.nodes_after);

    // One 8x8 grey image: a bright vertical bar.
    tfprod::Tensor image = tfprod::eval::make_tensor(tfprod::tf::DT_FLOAT, {1, 8, 8, 1});
    auto pixels = tfprod::eval::values<float>(image);
    for (int y = 0; y < 8; ++y) pixels[static_cast<std::size_t>(y * 8 + 3)] = 1.0f;

    tfprod::Evaluator evaluator(frozen);
    const auto outputs = evaluator.run({{"IteratorGetNext:0", image}}, {"softmax_tensor"});
    const auto probs = tfprod::eval::values<float>(outputs.at(0));
    double sum = 0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < probs.size(); ++i) {
      sum += probs[i];
      if (probs[i] > probs[best]) best = i;
    }
    std::printf("softmax_tensor: %s, %zu classes, sum %.4f, top class %zu\n",
                tfprod::shape_string(outputs.at(0).shape).c_str(), probs.size(), sum, best);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfprod_consumer: %s\n", e.what());
    return 1;
  }
}
