// Family: shape (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_shape(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
