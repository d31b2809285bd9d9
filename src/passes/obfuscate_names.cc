// obfuscate_names: not written yet.
#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

PassSpec obfuscate_names() {
  return {"obfuscate_names", "(not implemented yet)", {}, [](Graph&, const PassOptions&, PassContext&) {
            fail("obfuscate_names is not implemented yet");
          }};
}

}  // namespace tfprod::passes
