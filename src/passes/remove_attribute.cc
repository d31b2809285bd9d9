// remove_attribute: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec remove_attribute() {
  return {"remove_attribute", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("remove_attribute is not implemented yet");
          }};
}

}  // namespace tfprod::passes
