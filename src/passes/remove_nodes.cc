// remove_nodes: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec remove_nodes() {
  return {"remove_nodes", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("remove_nodes is not implemented yet");
          }};
}

}  // namespace tfprod::passes
