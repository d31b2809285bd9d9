// A dense tensor as read from a checkpoint: raw little-endian element bytes
// (what TensorProto.tensor_content holds), or one std::string per element for
// DT_STRING.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tfprod/dtype.h"

namespace tfprod::tf {
class TensorProto;
class TensorShapeProto;
}  // namespace tfprod::tf

namespace tfprod {

using Shape = std::vector<int64_t>;

struct Tensor {
  DataType dtype = tfprod::tf::DT_INVALID;
  Shape shape;
  std::string data;                  // fixed-size dtypes
  std::vector<std::string> strings;  // DT_STRING

  int64_t num_elements() const;
};

// Product of dims; throws Error on a negative dim or on overflow.
int64_t num_elements(const Shape& shape);
std::string shape_string(const Shape& shape);  // "[5,5,1,32]"

Shape shape_from_proto(const tfprod::tf::TensorShapeProto& proto);
void shape_to_proto(const Shape& shape, tfprod::tf::TensorShapeProto* proto);

// Builds a TensorProto with tensor_content (or string_val); consumes tensor.
void tensor_to_proto(Tensor&& tensor, tfprod::tf::TensorProto* proto);
// Decodes tensor_content or the typed *_val fields (a short *_val list
// repeats its last value). `what` names the tensor in errors.
Tensor tensor_from_proto(const tfprod::tf::TensorProto& proto, const std::string& what);

}  // namespace tfprod
