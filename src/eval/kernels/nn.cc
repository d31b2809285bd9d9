// Family: nn (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_nn(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
