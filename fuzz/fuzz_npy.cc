// The .npy reader (versions 1-3, every dtype, both byte orders and layouts).
#include "fuzz_util.h"
#include "tfprod/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto path = tfprod::fuzz::put("input.npy", tfprod::fuzz::as_view(data, size));
  tfprod::fuzz::guarded([&] {
    tfprod::Tensor t = tfprod::read_npy(path);
    int64_t n = t.num_elements();
    if (t.dtype != tfprod::tf::DT_STRING &&
        static_cast<uint64_t>(n) * tfprod::dtype_size(t.dtype) != t.data.size())
      __builtin_trap();
  });
  return 0;
}
