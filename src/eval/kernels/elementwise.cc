// Family: elementwise (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_elementwise(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
