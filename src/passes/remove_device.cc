// remove_device: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec remove_device() {
  return {"remove_device", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("remove_device is not implemented yet");
          }};
}

}  // namespace tfprod::passes
