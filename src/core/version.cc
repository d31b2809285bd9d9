// The library's version (tfprod/version.h is generated from project(VERSION)).
#include "tfprod/version.h"

namespace tfprod {

const char* version() { return TFPROD_VERSION; }

}  // namespace tfprod
