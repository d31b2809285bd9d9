// fuse_pad_and_conv: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec fuse_pad_and_conv() {
  return {"fuse_pad_and_conv", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("fuse_pad_and_conv is not implemented yet");
          }};
}

}  // namespace tfprod::passes
