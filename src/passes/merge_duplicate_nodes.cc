// merge_duplicate_nodes: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec merge_duplicate_nodes() {
  return {"merge_duplicate_nodes", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("merge_duplicate_nodes is not implemented yet");
          }};
}

}  // namespace tfprod::passes
