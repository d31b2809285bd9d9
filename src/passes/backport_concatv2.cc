// backport_concatv2: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec backport_concatv2() {
  return {"backport_concatv2", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("backport_concatv2 is not implemented yet");
          }};
}

}  // namespace tfprod::passes
