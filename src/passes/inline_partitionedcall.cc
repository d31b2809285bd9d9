// inline_partitionedcall: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec inline_partitionedcall() {
  return {"inline_partitionedcall", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("inline_partitionedcall is not implemented yet");
          }};
}

}  // namespace tfprod::passes
