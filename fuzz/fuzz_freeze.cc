// Freeze end to end on the example training directory (tfprod example): the
// first byte picks what the input replaces:
//   0  the graph, as a binary GraphDef (checkpoint: the example's)
//   1  the graph, as a text GraphDef
//   2  the checkpoint's .index (graph: the example's)
// then the model source is opened, the graph frozen (outputs from the graph's
// candidates, else softmax_tensor) and written, as `tfprod freeze` does.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz_util.h"
#include "tfprod/freeze.h"
#include "tfprod/graph_stream_writer.h"
#include "tfprod/model_source.h"

namespace fs = std::filesystem;

namespace {
fs::path g_dir;
std::string g_index;  // the example's own index, restored after mode 2
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_dir = tfprod::fuzz::scratch() / "freeze";
  fs::create_directories(g_dir);
  for (const auto& e : fs::directory_iterator(tfprod::fuzz::example_dir()))
    if (e.path().filename().string().rfind("model.ckpt", 0) == 0) fs::copy_file(e.path(), g_dir / e.path().filename());
  tfprod::ModelFile graph = tfprod::load_model_file(tfprod::fuzz::example_dir() / "graph.pbtxt");
  tfprod::fuzz::put("freeze/example.pb", graph.model.meta_graphs(0).graph_def().SerializeAsString());
  std::ifstream in(g_dir / "model.ckpt-1000.index", std::ios::binary);
  g_index.assign(std::istreambuf_iterator<char>(in), {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 3;
  auto body = tfprod::fuzz::as_view(data + 1, size - 1);
  fs::path graph_path = g_dir / "example.pb";
  if (mode == 0) graph_path = tfprod::fuzz::put("freeze/graph.pb", body);
  if (mode == 1) graph_path = tfprod::fuzz::put("freeze/graph.pbtxt", body);
  if (mode == 2) tfprod::fuzz::put("freeze/model.ckpt-1000.index", body);
  tfprod::fuzz::guarded([&] {
    tfprod::SourceOptions options;
    options.checkpoint = g_dir / "model.ckpt-1000";
    tfprod::ModelSource src = tfprod::open_model_source(graph_path, options);
    if (!src.checkpoint) return;
    auto reader = tfprod::open_checkpoint(*src.checkpoint);
    tfprod::Graph graph =
        tfprod::Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());
    tfprod::FreezeOptions freeze;
    freeze.outputs = tfprod::candidate_outputs(graph);
    if (freeze.outputs.size() > 4) freeze.outputs.resize(4);
    if (freeze.outputs.empty()) freeze.outputs = {"softmax_tensor"};
    freeze.stream_threshold = 64;
    tfprod::FreezeReport report;
    tfprod::Graph frozen = tfprod::freeze(std::move(graph), *reader, freeze, &report);
    tfprod::save_graphdef_streaming(std::move(frozen).release_graphdef(), report.streamed, g_dir / "out.pb");
  });
  if (mode == 2) tfprod::fuzz::put("freeze/model.ckpt-1000.index", g_index);
  return 0;
}
