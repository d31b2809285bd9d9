// set_device: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec set_device() {
  return {"set_device", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("set_device is not implemented yet");
          }};
}

}  // namespace tfprod::passes
