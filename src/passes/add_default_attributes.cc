// add_default_attributes: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec add_default_attributes() {
  return {"add_default_attributes", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("add_default_attributes is not implemented yet");
          }};
}

}  // namespace tfprod::passes
