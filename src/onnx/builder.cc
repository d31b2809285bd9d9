// The handlers' view of the conversion (see builder.h).
#include "onnx/builder.h"

#include <cstring>

#include <fmt/format.h>

#include "tfprod/dtype.h"
#include "tfprod/error.h"
#include "tfprod/onnx.h"
#include "tfprod/tensor_name.h"

namespace tfprod::onnx_export {

int onnx_dtype(DataType t, const std::string& what) {
  using P = onnx::TensorProto;
  switch (t) {
    case tfprod::tf::DT_FLOAT: return P::FLOAT;
    case tfprod::tf::DT_DOUBLE: return P::DOUBLE;
    case tfprod::tf::DT_HALF: return P::FLOAT16;
    case tfprod::tf::DT_BFLOAT16: return P::BFLOAT16;
    case tfprod::tf::DT_INT8: return P::INT8;
    case tfprod::tf::DT_INT16: return P::INT16;
    case tfprod::tf::DT_INT32: return P::INT32;
    case tfprod::tf::DT_INT64: return P::INT64;
    case tfprod::tf::DT_UINT8: return P::UINT8;
    case tfprod::tf::DT_UINT16: return P::UINT16;
    case tfprod::tf::DT_UINT32: return P::UINT32;
    case tfprod::tf::DT_UINT64: return P::UINT64;
    case tfprod::tf::DT_BOOL: return P::BOOL;
    default: fail("{}: dtype {} has no ONNX tensor type", what, dtype_name(t));
  }
}

namespace {

// The proto's tensor_content holds exactly the bytes of `shape`'s elements
// (else tensor_from_proto decodes the typed fields, or names what is wrong).
bool content_matches(const tfprod::tf::TensorProto& proto, const Shape& shape) {
  const std::size_t size = proto.tensor_content().size(), elem = dtype_size(proto.dtype());
  if (size == 0 || elem == 0) return false;
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && count > size / static_cast<uint64_t>(d))) return false;
    count *= static_cast<uint64_t>(d);
  }
  return count * elem == size;
}

}  // namespace

Builder::Builder(onnx::GraphProto* graph, int opset, std::map<std::pair<const Node*, int>, TensorInfo> infos)
    : graph_(graph), opset_(opset), infos_(std::move(infos)) {
  // TF names are the converted nodes' output names: fresh() never hands them out.
  for (const auto& [key, info] : infos_)
    if (key.first->op != "Const") taken_.insert(out(*key.first, key.second));
}

std::string Builder::out(const Node& n, int port) const {
  return port == 0 ? n.name() : n.name() + ":" + std::to_string(port);
}

const TensorInfo& Builder::info(const Endpoint& e) const {
  auto it = infos_.find({e.node, e.index});
  if (it == infos_.end()) fail("{}:{}: internal: no shape known for this tensor", e.node->name(), e.index);
  return it->second;
}

const TensorInfo& Builder::out_info(const Node& n, int port) const { return info(Endpoint{const_cast<Node*>(&n), port}); }

const Tensor* Builder::constant(const Node& n, std::size_t i) {
  const Node* p = n.inputs[i].node;
  if (p->op != "Const") return nullptr;
  auto it = const_values_.find(p);
  if (it == const_values_.end()) {
    const auto* v = p->attr("value");
    if (!v) fail("{}: Const without a value", p->name());
    if (auto moved = moved_.find(p); moved != moved_.end()) {  // its bytes are in the initializer now
      Tensor t;
      t.dtype = v->tensor().dtype();
      t.shape = shape_from_proto(v->tensor().tensor_shape());
      t.data = graph_->initializer(moved->second).raw_data();
      it = const_values_.emplace(p, std::move(t)).first;
    } else {
      it = const_values_.emplace(p, tensor_from_proto(v->tensor(), p->name())).first;
    }
  }
  return &it->second;
}

std::string Builder::in(const Endpoint& e) {
  auto it = bound_.find({e.node, e.index});
  if (it != bound_.end()) return it->second;
  if (e.node->op == "Const") {
    if (!emitted_consts_.count(e.node)) {
      emitted_consts_.insert(e.node);
      const Node& c = *e.node;
      const auto* attr = c.attr("value");
      if (!attr) fail("{}: Const without a value", c.name());
      const tfprod::tf::TensorProto& proto = attr->tensor();
      const std::string name = fresh(c.name());
      onnx::TensorProto* t = graph_->add_initializer();
      t->set_name(name);
      if (proto.dtype() == tfprod::tf::DT_STRING) fail("{}: string constants have no ONNX export", c.name());
      // The weights' bytes are copied once, straight from the TF proto (or
      // the value constant() decoded) into the initializer.
      const Shape shape = shape_from_proto(proto.tensor_shape());
      if (auto cached = const_values_.find(e.node); cached != const_values_.end()) {
        t->set_raw_data(cached->second.data);
      } else if (content_matches(proto, shape) && take_weights) {
        // The graph is ours: the bytes move (a node whose storage a clone
        // still shares gets its own copy first, which then moves).
        for (auto& entry : const_cast<Node&>(c).attrs())
          if (entry.key() == "value") {
            t->set_raw_data(std::move(*entry.mutable_value()->mutable_tensor()->mutable_tensor_content()));
            break;
          }
        moved_[e.node] = graph_->initializer_size() - 1;
      } else if (content_matches(proto, shape)) {
        t->set_raw_data(proto.tensor_content());
      } else {
        Tensor value = tensor_from_proto(proto, c.name());  // the typed fields (float_val, ...), checked
        t->set_raw_data(std::move(value.data));
      }
      t->set_data_type(onnx_dtype(proto.dtype(), c.name()));
      for (int64_t d : shape) t->add_dims(d);
      bound_[{e.node, 0}] = name;
      return name;
    }
  }
  return out(*e.node, e.index);
}

std::string Builder::fresh(const std::string& base) {
  std::string name = base;
  for (int i = 1; taken_.count(name); ++i) name = base + "_" + std::to_string(i);
  taken_.insert(name);
  return name;
}

onnx::NodeProto& Builder::add(const std::string& op, const std::vector<std::string>& inputs,
                              const std::vector<std::string>& outputs, const std::string& name) {
  onnx::NodeProto* n = graph_->add_node();
  n->set_op_type(op);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) {
    n->add_output(o);
    taken_.insert(o);
  }
  n->set_name(name.empty() ? (outputs.empty() ? fresh(op) : outputs[0]) : name);
  return *n;
}

onnx::NodeProto& Builder::add(const std::string& op, std::initializer_list<std::string> inputs,
                              std::initializer_list<std::string> outputs, const std::string& name) {
  return add(op, std::vector<std::string>(inputs), std::vector<std::string>(outputs), name);
}

std::string Builder::initializer(const std::string& base, const Tensor& value) {
  const std::string name = fresh(base);
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx_dtype(value.dtype, base));
  for (int64_t d : value.shape) t->add_dims(d);
  t->set_raw_data(value.data);
  return name;
}

std::string Builder::initializer(const std::string& base, Tensor&& value) {
  const std::string name = fresh(base);
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx_dtype(value.dtype, base));
  for (int64_t d : value.shape) t->add_dims(d);
  t->set_raw_data(std::move(value.data));
  return name;
}

std::string Builder::ints(const std::string& base, const std::vector<int64_t>& values) {
  Tensor t;
  t.dtype = tfprod::tf::DT_INT64;
  t.shape = {static_cast<int64_t>(values.size())};
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t));
  return initializer(base, t);
}

std::string Builder::scalar(const std::string& base, DataType dtype, double value) {
  Tensor t;
  t.dtype = dtype;
  auto put = [&](auto v) { t.data.assign(reinterpret_cast<const char*>(&v), sizeof v); };
  switch (dtype) {
    case tfprod::tf::DT_FLOAT: put(static_cast<float>(value)); break;
    case tfprod::tf::DT_DOUBLE: put(value); break;
    case tfprod::tf::DT_INT32: put(static_cast<int32_t>(value)); break;
    case tfprod::tf::DT_INT64: put(static_cast<int64_t>(value)); break;
    default: fail("{}: internal: no scalar of dtype {}", base, dtype_name(dtype));
  }
  return initializer(base, t);
}

std::string Builder::transpose(const std::string& value, const std::vector<int64_t>& perm, const std::string& base,
                               const std::string& to) {
  const std::string out = to.empty() ? fresh(base) : to;
  set_attr(add("Transpose", {value}, {out}), "perm", perm);
  return out;
}

void Builder::bind(const Node& n, int port, const std::string& value) { bound_[{&n, port}] = value; }

Tensor permute_tensor(const Tensor& t, const std::vector<int64_t>& perm) {
  const std::size_t rank = t.shape.size();
  if (perm.size() != rank) fail("internal: permutation of rank {} for a tensor of rank {}", perm.size(), rank);
  Tensor out;
  out.dtype = t.dtype;
  out.shape.resize(rank);
  for (std::size_t i = 0; i < rank; ++i) out.shape[i] = t.shape[static_cast<std::size_t>(perm[i])];
  const int64_t count = t.num_elements();
  const std::size_t size = count ? t.data.size() / static_cast<std::size_t>(count) : 0;
  out.data.resize(t.data.size());
  std::vector<int64_t> in_stride(rank, 1);
  for (std::size_t i = rank; i-- > 1;) in_stride[i - 1] = in_stride[i] * t.shape[i];
  std::vector<int64_t> idx(rank, 0);  // index into `out`
  for (int64_t o = 0; o < count; ++o) {
    int64_t src = 0;
    for (std::size_t k = 0; k < rank; ++k) src += idx[k] * in_stride[static_cast<std::size_t>(perm[k])];
    std::memcpy(out.data.data() + static_cast<std::size_t>(o) * size, t.data.data() + static_cast<std::size_t>(src) * size,
                size);
    for (std::size_t k = rank; k-- > 0;) {
      if (++idx[k] < out.shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

void set_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void set_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void set_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

void set_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::vector<int64_t> tf_ints(const Node& n, const char* key) {
  const auto* a = n.attr(key);
  if (!a) fail("{} ({}): attribute '{}' is missing", n.name(), n.op, key);
  return {a->list().i().begin(), a->list().i().end()};
}

std::string tf_string(const Node& n, const char* key, const std::string& fallback) {
  const auto* a = n.attr(key);
  return a ? a->s() : fallback;
}

bool tf_bool(const Node& n, const char* key, bool fallback) {
  const auto* a = n.attr(key);
  return a ? a->b() : fallback;
}

float tf_float(const Node& n, const char* key, float fallback) {
  const auto* a = n.attr(key);
  return a ? a->f() : fallback;
}

void unsupported(const Node& n, const std::string& what) {
  fail("{} ({}): no ONNX export for {}", n.name(), n.op, what);
}

}  // namespace tfprod::onnx_export

namespace tfprod {

Tensor permute_dims(const Tensor& t, const std::vector<int64_t>& perm) { return onnx_export::permute_tensor(t, perm); }

}  // namespace tfprod
