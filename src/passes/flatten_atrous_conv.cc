// flatten_atrous_conv: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec flatten_atrous_conv() {
  return {"flatten_atrous_conv", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("flatten_atrous_conv is not implemented yet");
          }};
}

}  // namespace tfprod::passes
