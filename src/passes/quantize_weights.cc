// quantize_weights: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec quantize_weights() {
  return {"quantize_weights", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("quantize_weights is not implemented yet");
          }};
}

}  // namespace tfprod::passes
