// CRC-32C (Castagnoli), as used by LevelDB tables and TF checkpoints, with
// TF's masking. Uses the SSE4.2 instruction when the CPU has it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tfprod::crc32c {

uint32_t extend(uint32_t crc, const void* data, std::size_t size);
inline uint32_t value(const void* data, std::size_t size) { return extend(0, data, size); }
// The table-driven path, used where the CPU lacks SSE4.2 (exposed for tests).
uint32_t extend_portable(uint32_t crc, const void* data, std::size_t size);

constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tfprod::crc32c
