// Family: array (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_array(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
