// V1 (TensorSlice) checkpoints: the input is the whole file; every tensor it
// lists is read.
#include "fuzz_util.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto path = tfprod::fuzz::put("model.ckpt", tfprod::fuzz::as_view(data, size));
  tfprod::fuzz::guarded([&] {
    auto reader = tfprod::open_checkpoint_v1(path.string());
    for (const auto& info : reader->tensors()) {
      try {
        tfprod::Tensor t = reader->read(info.name);
        if (t.dtype != info.dtype || t.shape != info.shape) __builtin_trap();
      } catch (const tfprod::Error&) {
      }
    }
  });
  return 0;
}
