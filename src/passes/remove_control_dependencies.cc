// remove_control_dependencies: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec remove_control_dependencies() {
  return {"remove_control_dependencies", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("remove_control_dependencies is not implemented yet");
          }};
}

}  // namespace tfprod::passes
