// TensorFlow data types: sizes, names, and the *_REF variants.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tfprod/tf/framework/types.pb.h"

namespace tfprod {

using tfprod::tf::DataType;

// DT_FLOAT_REF -> DT_FLOAT; other types unchanged.
DataType base_type(DataType type);
bool is_ref_type(DataType type);

// Bytes per element for fixed-size types; 0 for string, resource, variant and
// unknown enum values.
std::size_t dtype_size(DataType type);

// "DT_FLOAT" style name, or "DT_<number>" for values this build does not know.
std::string dtype_name(DataType type);

// Accepts TF's spellings: "float", "float32", "half", "float16", "DT_HALF",
// "bfloat16", "int32", "uint8", "bool", "string", ... and enum numbers.
std::optional<DataType> parse_dtype(std::string_view text);

}  // namespace tfprod
