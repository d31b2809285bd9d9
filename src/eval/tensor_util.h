// Kernel-side tensor helpers: the public typed access (tfprod/tensor_values.h)
// plus half/bfloat16 conversions, which stay private to the evaluator.
#pragma once

#include "eval/half.h"
#include "tfprod/tensor_values.h"
