// Family: reduction (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_reduction(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
