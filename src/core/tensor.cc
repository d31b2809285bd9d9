#include "tfprod/tensor.h"

#include <cstdlib>

#include <cstring>
#include <limits>

#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"

namespace tfprod {

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("shape {} has a negative or unknown dimension", shape_string(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      fail("shape {} has more elements than fit in 64 bits", shape_string(shape));
    n *= d;
  }
  return n;
}

int64_t Tensor::num_elements() const { return tfprod::num_elements(shape); }

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Shape shape_from_proto(const tfprod::tf::TensorShapeProto& proto) {
  Shape shape;
  shape.reserve(proto.dim_size());
  for (const auto& d : proto.dim()) shape.push_back(d.size());
  return shape;
}

void shape_to_proto(const Shape& shape, tfprod::tf::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape) proto->add_dim()->set_size(d);
}

void tensor_to_proto(Tensor&& tensor, tfprod::tf::TensorProto* proto) {
  proto->Clear();
  proto->set_dtype(tensor.dtype);
  shape_to_proto(tensor.shape, proto->mutable_tensor_shape());
  if (tensor.dtype == tfprod::tf::DT_STRING) {
    for (auto& s : tensor.strings) proto->add_string_val(std::move(s));
  } else {
    proto->set_tensor_content(std::move(tensor.data));
  }
  tensor = Tensor{};
}

namespace {

// Fills `n` elements of type Out from a repeated field, repeating the last
// value when the field is shorter (TF's splat rule).
template <class Out, class Field>
std::string fill_from(const Field& field, int64_t n, const std::string& what) {
  if (field.size() > n) fail("{}: holds {} values but its shape has {} elements", what, field.size(), n);
  std::string out(static_cast<std::size_t>(n) * sizeof(Out), '\0');
  Out last{};
  for (int64_t i = 0; i < n; ++i) {
    if (i < field.size()) last = static_cast<Out>(field.Get(static_cast<int>(i)));
    std::memcpy(out.data() + i * sizeof(Out), &last, sizeof(Out));
  }
  return out;
}

}  // namespace

namespace {

// The most bytes one tensor decoded from a TensorProto may take in memory,
// checked before allocating: 4 GiB, or the environment's
// TFPROD_MAX_TENSOR_BYTES (a byte count).
uint64_t max_tensor_bytes() {
  static const uint64_t cap = [] {
    const char* env = std::getenv("TFPROD_MAX_TENSOR_BYTES");
    if (env && *env) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(env, &end, 10);
      if (end && *end == '\0' && v > 0) return static_cast<uint64_t>(v);
    }
    return uint64_t{4} << 30;
  }();
  return cap;
}

}  // namespace

Tensor tensor_from_proto(const tfprod::tf::TensorProto& proto, const std::string& what) {
  Tensor t;
  t.dtype = proto.dtype();
  t.shape = shape_from_proto(proto.tensor_shape());
  int64_t n;
  try {
    n = t.num_elements();
  } catch (const Error& e) {
    fail("{}: {}", what, e.what());
  }
  if (t.dtype == tfprod::tf::DT_STRING) {
    if (proto.string_val_size() > n) fail("{}: holds more strings than its shape", what);
    if (n > (int64_t{1} << 26)) fail("{}: shape {} holds too many strings", what, shape_string(t.shape));
    t.strings.reserve(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n && proto.string_val_size() > 0; ++i)
      t.strings.push_back(proto.string_val(static_cast<int>(std::min<int64_t>(i, proto.string_val_size() - 1))));
    if (proto.string_val_size() == 0) t.strings.assign(static_cast<std::size_t>(n), std::string());
    return t;
  }
  std::size_t elem = dtype_size(t.dtype);
  if (elem == 0) fail("{}: dtype {} has no fixed element size", what, dtype_name(t.dtype));
  // A splat (one value for a large shape) expands in memory: cap it, before
  // anything is allocated (4 GiB, or TFPROD_MAX_TENSOR_BYTES).
  const uint64_t cap = max_tensor_bytes();
  if (static_cast<uint64_t>(n) > cap / elem)
    fail("{}: shape {} of {} needs more than {} bytes, the cap on one tensor (TFPROD_MAX_TENSOR_BYTES)", what,
         shape_string(t.shape), dtype_name(t.dtype), cap);
  if (!proto.tensor_content().empty()) {
    if (proto.tensor_content().size() != static_cast<std::size_t>(n) * elem)
      fail("{}: tensor_content holds {} bytes, shape {} of {} needs {}", what,
           proto.tensor_content().size(), shape_string(t.shape), dtype_name(t.dtype), n * elem);
    t.data = proto.tensor_content();
    return t;
  }
  using tfprod::tf::DataType;
  switch (t.dtype) {
    case tfprod::tf::DT_FLOAT: t.data = fill_from<float>(proto.float_val(), n, what); break;
    case tfprod::tf::DT_DOUBLE: t.data = fill_from<double>(proto.double_val(), n, what); break;
    case tfprod::tf::DT_INT32:
    case tfprod::tf::DT_QINT32: t.data = fill_from<int32_t>(proto.int_val(), n, what); break;
    case tfprod::tf::DT_INT16:
    case tfprod::tf::DT_QINT16: t.data = fill_from<int16_t>(proto.int_val(), n, what); break;
    case tfprod::tf::DT_UINT16:
    case tfprod::tf::DT_QUINT16: t.data = fill_from<uint16_t>(proto.int_val(), n, what); break;
    case tfprod::tf::DT_INT8:
    case tfprod::tf::DT_QINT8: t.data = fill_from<int8_t>(proto.int_val(), n, what); break;
    case tfprod::tf::DT_UINT8:
    case tfprod::tf::DT_QUINT8: t.data = fill_from<uint8_t>(proto.int_val(), n, what); break;
    case tfprod::tf::DT_INT64: t.data = fill_from<int64_t>(proto.int64_val(), n, what); break;
    case tfprod::tf::DT_UINT32: t.data = fill_from<uint32_t>(proto.uint32_val(), n, what); break;
    case tfprod::tf::DT_UINT64: t.data = fill_from<uint64_t>(proto.uint64_val(), n, what); break;
    case tfprod::tf::DT_BOOL: t.data = fill_from<uint8_t>(proto.bool_val(), n, what); break;
    case tfprod::tf::DT_HALF:
    case tfprod::tf::DT_BFLOAT16: t.data = fill_from<uint16_t>(proto.half_val(), n, what); break;
    case tfprod::tf::DT_COMPLEX64: t.data = fill_from<float>(proto.scomplex_val(), 2 * n, what); break;
    case tfprod::tf::DT_COMPLEX128: t.data = fill_from<double>(proto.dcomplex_val(), 2 * n, what); break;
    default: fail("{}: cannot decode values of dtype {}", what, dtype_name(t.dtype));
  }
  return t;
}

}  // namespace tfprod
