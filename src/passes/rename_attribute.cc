// rename_attribute: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec rename_attribute() {
  return {"rename_attribute", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("rename_attribute is not implemented yet");
          }};
}

}  // namespace tfprod::passes
