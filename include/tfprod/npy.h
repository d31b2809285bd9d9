// NumPy .npy files (format versions 1, 2 and 3): little- and big-endian
// bool, int8..int64, uint8..uint64, float16, float32, float64; C or Fortran
// order (returned in C order).
#pragma once

#include <filesystem>

#include "tfprod/tensor.h"

namespace tfprod {

// Throws Error naming the file: not .npy, unsupported dtype, size mismatch.
Tensor read_npy(const std::filesystem::path& path);
// Little-endian, C order, version 1.0; written atomically. DT_BFLOAT16 has no
// NumPy dtype: it is written as float32.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace tfprod
