// Shared scalar helpers for the element-wise families: integer arithmetic that
// wraps on overflow as TF's (two's complement) kernels do, without C++ UB.
#pragma once

#include <cstdint>
#include <type_traits>

#include "eval/kernel.h"

namespace tfprod::eval {

template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else return a - b;
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <class T>
T wrap_neg(T a) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(a));
  else return -a;
}

// Select, SelectV2, AddN, ClipByValue (elementwise_select.cc).
void register_elementwise_select(KernelTable& table);

}  // namespace tfprod::eval
