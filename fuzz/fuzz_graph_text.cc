// Text-format GraphDef / MetaGraphDef / SavedModel import: the first byte
// picks the file name, the rest is the text. Then as fuzz_graph_binary.
#include "fuzz_util.h"
#include "graph_checks.h"
#include "tfprod/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* kNames[] = {"graph.pbtxt", "model.meta", "saved_model.pbtxt", "graph.txt"};
  auto path = tfprod::fuzz::put(kNames[data[0] % 4], tfprod::fuzz::as_view(data + 1, size - 1));
  tfprod::fuzz::guarded([&] {
    tfprod::ModelFile file = tfprod::load_model_file(path);
    tfprod::fuzz::exercise_model(file);
  });
  return 0;
}
