// Family: unary (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_unary(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
