// fold_batch_norms: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec fold_batch_norms() {
  return {"fold_batch_norms", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("fold_batch_norms is not implemented yet");
          }};
}

}  // namespace tfprod::passes
