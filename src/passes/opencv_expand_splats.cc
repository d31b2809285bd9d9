// opencv_expand_splats: OpenCV 4.6's TF importer reads a Const only in full.
// A TensorProto may list fewer typed values than its shape holds -- TF then
// repeats the last one (or fills zeros), and its constant folding writes
// every tensor of equal values that way -- but the importer sizes the blob
// from the list and fails "size == (int)dstBlob.total()" (measured on a
// FusedBatchNorm whose statistics are splats). Each such Const gets every
// value, in tensor_content:
//
//   c = Const[shape [4], float_val: 0.5]   =>   c = Const[shape [4], tensor_content: 0.5 0.5 0.5 0.5]
//
// Values are unchanged. 0-D Consts are left alone (one value is all of
// them, and a 0-D Concat / Split axis in tensor_content crashes OpenCV 4.6),
// and so are strings (OpenCV reads none).
// Preconditions: none.
#include "passes/passes.h"
#include "tfprod/tensor.h"
#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod::passes {

namespace {

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    if (n->op != "Const" || !n->attr("value") || !opencv_reads_partially(*n)) continue;
    Tensor full = tensor_from_proto(n->attr("value")->tensor(), n->name());
    tensor_to_proto(std::move(full), n->reset_attr("value").mutable_tensor());
    changed = true;
  }
  return changed;
}

}  // namespace

bool opencv_reads_partially(const Node& n) {
  const auto* v = n.attr("value");
  if (n.op != "Const" || !v || !v->has_tensor()) return false;
  const auto& t = v->tensor();
  if (t.dtype() == tfprod::tf::DT_STRING || t.tensor_shape().dim_size() == 0 || t.tensor_shape().unknown_rank())
    return false;
  int64_t elements = 1;
  for (const auto& d : t.tensor_shape().dim()) {
    if (d.size() < 0) return false;
    if (d.size() > 0 && elements > (int64_t{1} << 40) / d.size()) return false;  // tensor_from_proto refuses it
    elements *= d.size();
  }
  const int64_t stored = stored_values(t);
  return stored >= 0 && stored < elements;
}

int64_t stored_values(const tfprod::tf::TensorProto& proto) {
  const auto dtype = proto.dtype();
  if (dtype == tfprod::tf::DT_STRING) return proto.string_val_size();
  if (!proto.tensor_content().empty()) {
    const std::size_t elem = dtype_size(dtype);
    return elem == 0 ? -1 : static_cast<int64_t>(proto.tensor_content().size() / elem);
  }
  switch (dtype) {
    case tfprod::tf::DT_FLOAT: return proto.float_val_size();
    case tfprod::tf::DT_DOUBLE: return proto.double_val_size();
    case tfprod::tf::DT_INT32:
    case tfprod::tf::DT_QINT32:
    case tfprod::tf::DT_INT16:
    case tfprod::tf::DT_QINT16:
    case tfprod::tf::DT_UINT16:
    case tfprod::tf::DT_QUINT16:
    case tfprod::tf::DT_INT8:
    case tfprod::tf::DT_QINT8:
    case tfprod::tf::DT_UINT8:
    case tfprod::tf::DT_QUINT8: return proto.int_val_size();
    case tfprod::tf::DT_INT64: return proto.int64_val_size();
    case tfprod::tf::DT_UINT32: return proto.uint32_val_size();
    case tfprod::tf::DT_UINT64: return proto.uint64_val_size();
    case tfprod::tf::DT_BOOL: return proto.bool_val_size();
    case tfprod::tf::DT_HALF:
    case tfprod::tf::DT_BFLOAT16: return proto.half_val_size();
    case tfprod::tf::DT_COMPLEX64: return proto.scomplex_val_size() / 2;
    case tfprod::tf::DT_COMPLEX128: return proto.dcomplex_val_size() / 2;
    default: return -1;
  }
}

PassSpec opencv_expand_splats() {
  return {"opencv_expand_splats",
          "Write every value of a Const that lists fewer than its shape holds (TF's splat), as OpenCV 4.6 needs",
          {},
          run};
}

}  // namespace tfprod::passes
