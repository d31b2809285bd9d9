// IEEE half and bfloat16 <-> float32, rounding to nearest even, as TF does.
// Kernels compute half and bfloat16 tensors in float32.
#pragma once

#include <cstdint>
#include <cstring>

namespace tfprod::eval {

// Branch-free, so that widening a tensor of weights is a tight loop: the
// exponent is rebiased (15 -> 127) in place; Inf/NaN get the rest of the
// exponent range (payload kept); a subnormal is rebuilt as the float
// 2^-14 * (1 + m/1024) minus 2^-14, which is exact.
inline float half_to_float(uint16_t h) {
  const uint32_t magnitude = static_cast<uint32_t>(h & 0x7fff) << 13;  // exponent and mantissa in float's place
  const uint32_t exp = magnitude & 0x0f800000u;
  uint32_t bits = magnitude + 0x38000000u;                 // rebias: (127 - 15) << 23
  if (exp == 0x0f800000u) bits += 0x38000000u;             // Inf / NaN: exponent 255
  if (exp == 0) {                                          // zero / subnormal
    bits += 0x00800000u;
    float f;
    std::memcpy(&f, &bits, 4);
    f -= 6.103515625e-05f;                                 // 2^-14
    std::memcpy(&bits, &f, 4);
  }
  bits |= static_cast<uint32_t>(h & 0x8000) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0);  // inf / nan
  if (abs >= 0x477ff000u) return sign | 0x7c00;                                      // overflow -> inf
  if (abs < 0x38800000u) {                                                           // subnormal or zero
    if (abs < 0x33000000u) return sign;
    // value = m * 2^(e-150); in units of 2^-24 that is m >> (126 - e).
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t h = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;  // nearest even
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);
  const uint32_t rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float bfloat16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t float_to_bfloat16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);  // quiet nan
  const uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

}  // namespace tfprod::eval
