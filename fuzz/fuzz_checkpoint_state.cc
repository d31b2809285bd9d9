// The `checkpoint` state file of a training directory that also holds the
// example's V2 checkpoint (model.ckpt-1000): parse it, resolve the directory
// to a prefix and open what it names.
#include <filesystem>

#include "fuzz_util.h"
#include "tfprod/checkpoint.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fs::path dir = tfprod::fuzz::scratch() / "train";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(tfprod::fuzz::example_dir()))
    if (e.path().filename().string().rfind("model.ckpt", 0) == 0) fs::copy_file(e.path(), dir / e.path().filename());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = tfprod::fuzz::put("train/checkpoint", tfprod::fuzz::as_view(data, size));
  tfprod::fuzz::guarded([&] {
    tfprod::CheckpointState state = tfprod::read_checkpoint_state(file);
    (void)state;
    tfprod::ResolvedCheckpoint resolved = tfprod::resolve_checkpoint(file.parent_path());
    // Only open what lies inside the scratch directory: a fuzzed absolute
    // path could name any file on the machine.
    if (resolved.prefix.rfind(tfprod::fuzz::scratch().string(), 0) == 0)
      (void)tfprod::open_checkpoint(resolved)->tensors();
  });
  return 0;
}
