// A V2 checkpoint's .index: the input is the index file; the data shards are
// the seed bundles' (fuzz_util.h: one, two and three shards, the last
// big-endian), so entries that survive mutation read real bytes. Every tensor
// listed is read, and its stored-bytes location checked.
#include "fuzz_util.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (int v = 0; v < tfprod::fuzz::kSeedBundleVariants; ++v)
    tfprod::fuzz::write_seed_bundle((tfprod::fuzz::scratch() / "fz").string(), v);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfprod::fuzz::put("fz.index", tfprod::fuzz::as_view(data, size));
  tfprod::fuzz::guarded([&] {
    auto reader = tfprod::open_bundle_v2((tfprod::fuzz::scratch() / "fz").string());
    for (const auto& info : reader->tensors()) {
      (void)reader->stored_bytes(info.name);
      try {
        tfprod::Tensor t = reader->read(info.name);
        if (t.dtype != info.dtype || t.shape != info.shape) __builtin_trap();
      } catch (const tfprod::Error&) {
        // one bad tensor: the others are still read
      }
    }
  });
  return 0;
}
