// rename_node: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec rename_node() {
  return {"rename_node", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("rename_node is not implemented yet");
          }};
}

}  // namespace tfprod::passes
