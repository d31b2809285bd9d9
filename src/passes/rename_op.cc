// rename_op: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec rename_op() {
  return {"rename_op", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("rename_op is not implemented yet");
          }};
}

}  // namespace tfprod::passes
