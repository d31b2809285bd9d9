// Binary GraphDef / MetaGraphDef / SavedModel import. The first byte picks the
// file name (and so the kind load_model_file expects); the rest is the file.
// Whatever parses is imported into a Graph, validated, ordered, exported, and
// its function calls inlined (nesting depth, recursion).
#include "fuzz_util.h"
#include "graph_checks.h"
#include "tfprod/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* kNames[] = {"model.pb", "model.meta", "saved_model.pb", "model.bin"};
  auto path = tfprod::fuzz::put(kNames[data[0] % 4], tfprod::fuzz::as_view(data + 1, size - 1));
  tfprod::fuzz::guarded([&] {
    tfprod::ModelFile file = tfprod::load_model_file(path);
    tfprod::fuzz::exercise_model(file);
  });
  return 0;
}
