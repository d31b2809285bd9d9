// round_weights: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec round_weights() {
  return {"round_weights", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("round_weights is not implemented yet");
          }};
}

}  // namespace tfprod::passes
