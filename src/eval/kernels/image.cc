// Family: image (kernels to come).
#include "eval/kernel.h"

namespace tfprod::eval {

void register_image(KernelTable& table) { (void)table; }

}  // namespace tfprod::eval
