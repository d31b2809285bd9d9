// The transpose optimizer's folds that need shapes (see
// transpose_rewrites.h): with the shapes ONNX's inference gives, a Transpose
// before a flatten into a dense layer goes into the weights' rows, one after a
// dense layer reshaped to an image into its columns, and a Transpose that
// moves only size-1 dims becomes a Reshape.
#include <algorithm>
#include <numeric>
#include <optional>

#include <onnx/shape_inference/implementation.h>

#include "onnx/transpose_rewrites.h"

namespace tfprod::onnx_export::transposes {

namespace {

// dst[i] = src[source[i]] for blocks of `size` bytes, dst and src apart.
void gather_blocks(char* dst, const char* src, const std::vector<int64_t>& source, std::size_t size) {
  for (std::size_t i = 0; i < source.size(); ++i)
    std::memcpy(dst + i * size, src + static_cast<std::size_t>(source[i]) * size, size);
}

// The same in place: each cycle of the permutation is followed with one
// block of scratch.
void gather_blocks_in_place(char* data, const std::vector<int64_t>& source, std::size_t size) {
  std::vector<bool> done(source.size());
  std::string scratch(size, '\0');
  for (std::size_t start = 0; start < source.size(); ++start) {
    if (done[start] || static_cast<std::size_t>(source[start]) == start) continue;
    std::memcpy(scratch.data(), data + start * size, size);
    std::size_t at = start;
    for (;;) {
      done[at] = true;
      const std::size_t from = static_cast<std::size_t>(source[at]);
      if (from == start) {
        std::memcpy(data + at * size, scratch.data(), size);
        break;
      }
      std::memcpy(data + at * size, data + from * size, size);
      at = from;
    }
  }
}

}  // namespace

onnx::TensorProto* Optimizer::sole_initializer(const std::string& name, int reader) {
  auto it = init_.find(name);
  if (it == init_.end() || only_consumer(name) != reader || consumers_.at(name).size() != 1 || outputs_.count(name))
    return nullptr;
  return g_.mutable_initializer(it->second);
}

std::string Optimizer::renew_initializer(const std::string& name, const std::string& base) {
  auto* list = g_.mutable_initializer();
  const int at = init_.at(name);
  onnx::TensorProto* t = list->Add();
  t->Swap(list->Mutable(at));
  list->DeleteSubrange(at, 1);
  t->set_name(fresh(base));
  init_.clear();
  for (int i = 0; i < list->size(); ++i) init_[list->Get(i).name()] = i;
  return t->name();
}

std::string Optimizer::permuted_rows(const std::string& name, const std::string& base, int reader,
                                     const std::vector<int64_t>& source, std::size_t row_bytes) {
  if (onnx::TensorProto* own = sole_initializer(name, reader)) {
    gather_blocks_in_place(own->mutable_raw_data()->data(), source, row_bytes);
    return renew_initializer(name, base);
  }
  const onnx::TensorProto& w = g_.initializer(init_.at(name));
  Tensor value;
  value.shape.assign(w.dims().begin(), w.dims().end());
  value.data.resize(w.raw_data().size());
  gather_blocks(value.data.data(), w.raw_data().data(), source, row_bytes);
  return add_initializer_like(name, base, std::move(value));
}

std::string Optimizer::permuted_columns(const std::string& name, const std::string& base, int reader,
                                        const std::vector<int64_t>& source, std::size_t elem) {
  const std::size_t row = source.size() * elem;
  if (onnx::TensorProto* own = sole_initializer(name, reader)) {
    std::string& data = *own->mutable_raw_data();
    std::string scratch(row, '\0');
    for (std::size_t at = 0; at + row <= data.size(); at += row) {
      std::memcpy(scratch.data(), data.data() + at, row);
      gather_blocks(data.data() + at, scratch.data(), source, elem);
    }
    return renew_initializer(name, base);
  }
  const onnx::TensorProto& w = g_.initializer(init_.at(name));
  Tensor value;
  value.shape.assign(w.dims().begin(), w.dims().end());
  value.data.resize(w.raw_data().size());
  for (std::size_t at = 0; at + row <= value.data.size(); at += row)
    gather_blocks(value.data.data() + at, w.raw_data().data() + at, source, elem);
  return add_initializer_like(name, base, std::move(value));
}

bool Optimizer::fold_with_shapes() {
  index();
  std::unordered_map<std::string, std::vector<int64_t>> shapes;
  try {
    onnx::shape_inference::InferShapes(model_);
  } catch (const std::exception&) {
    g_.clear_value_info();
    return false;
  }
  auto record = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().tensor_type().has_shape()) return;
    std::vector<int64_t> s;
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value()) return;
      s.push_back(d.dim_value());
    }
    shapes[v.name()] = s;
  };
  for (const auto& v : g_.value_info()) record(v);
  for (const auto& v : g_.input()) record(v);
  g_.clear_value_info();
  bool changed = fold_flatten(shapes);
  changed = fold_unflatten(shapes) || changed;
  // A Transpose that moves only dims of size 1 keeps the memory order: a Reshape.
  for (int i = 0; i < g_.node_size(); ++i) {
    onnx::NodeProto& t = *g_.mutable_node(i);
    if (t.op_type() != "Transpose") continue;
    const Perm perm = ints_attr(t, "perm");
    auto xs = shapes.find(t.input(0));
    if (!valid_perm(perm) || xs == shapes.end() || xs->second.size() != perm.size()) continue;
    std::vector<int64_t> kept, out;
    for (int64_t p : perm) {
      out.push_back(xs->second[static_cast<std::size_t>(p)]);
      if (out.back() != 1) kept.push_back(p);
    }
    if (!std::is_sorted(kept.begin(), kept.end())) continue;
    const std::string shape = ints_initializer(t.output(0) + "/shape", out);
    t.set_op_type("Reshape");
    t.clear_attribute();
    t.add_input(shape);
    changed = true;
  }
  // Last, once the Transposes are settled (their folds match MatMul + Add).
  if (!changed) changed = fuse_gemm(shapes);
  return changed;
}

bool Optimizer::fold_unflatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes) {
  bool changed = false;
  for (int i = 0; i < g_.node_size(); ++i) {
    const onnx::NodeProto& t = g_.node(i);
    if (t.op_type() != "Transpose" || outputs_.count(t.output(0))) continue;
    const Perm perm = ints_attr(t, "perm");
    auto ys = shapes.find(t.input(0));
    if (!valid_perm(perm) || perm[0] != 0 || ys == shapes.end() || ys->second.size() != perm.size()) continue;
    // Up through unary ops with one consumer each, to a Reshape.
    std::string v = t.input(0);
    int r_idx = -1;
    bool ok = true;
    while (ok) {
      auto p = producer_.find(v);
      if (p == producer_.end() || outputs_.count(v) || only_consumer(v) < 0) { ok = false; break; }
      const onnx::NodeProto& n = g_.node(p->second);
      if (n.op_type() == "Reshape") { r_idx = p->second; break; }
      if (!kUnary.count(n.op_type()) || n.input_size() != 1) { ok = false; break; }
      v = n.input(0);
    }
    if (!ok || r_idx < 0) continue;
    const onnx::NodeProto& reshape = g_.node(r_idx);
    auto xs = shapes.find(reshape.input(0));
    if (xs == shapes.end() || xs->second.size() != 2 || xs->second[0] != ys->second[0]) continue;
    const int64_t k = xs->second[1];
    // Below the Reshape: an optional Add of a constant bias, then a MatMul by a constant.
    std::string m_in = reshape.input(0);
    if (only_consumer(m_in) < 0 || outputs_.count(m_in)) continue;
    int add_idx = -1;
    std::string bias;
    auto p = producer_.find(m_in);
    if (p == producer_.end()) continue;
    if (g_.node(p->second).op_type() == "Add") {
      add_idx = p->second;
      const onnx::NodeProto& add = g_.node(add_idx);
      const int b_at = init_.count(add.input(1)) ? 1 : init_.count(add.input(0)) ? 0 : -1;
      if (b_at < 0) continue;
      bias = add.input(b_at);
      m_in = add.input(1 - b_at);
      if (only_consumer(m_in) < 0 || outputs_.count(m_in)) continue;
      p = producer_.find(m_in);
      if (p == producer_.end()) continue;
    }
    const int m_idx = p->second;
    if (g_.node(m_idx).op_type() != "MatMul") continue;
    const onnx::TensorProto* w = raw_initializer(g_.node(m_idx).input(1));
    if (!w || w->dims_size() != 2 || w->dims(1) != k) continue;
    std::optional<Tensor> b;
    if (add_idx >= 0) {
      b = initializer_value(bias);
      if (!b || b->num_elements() != k || (b->shape.size() == 2 && b->shape[0] != 1) || b->shape.size() > 2) continue;
    }
    // Column c' of the new W (Transpose's order) is column c of W (the Reshape's order).
    const std::vector<int64_t>& y = ys->second;
    std::vector<int64_t> out(perm.size()), ystride(perm.size(), 1);
    for (std::size_t a = 0; a < perm.size(); ++a) out[a] = y[static_cast<std::size_t>(perm[a])];
    for (std::size_t a = perm.size() - 1; a-- > 1;) ystride[a] = ystride[a + 1] * y[a + 1];
    std::vector<int64_t> source(static_cast<std::size_t>(k));
    std::vector<int64_t> idx(perm.size(), 0);  // over out's dims 1..
    for (int64_t c2 = 0; c2 < k; ++c2) {
      int64_t c = 0;
      for (std::size_t a = 1; a < perm.size(); ++a) c += idx[a] * ystride[static_cast<std::size_t>(perm[a])];
      source[static_cast<std::size_t>(c2)] = c;
      for (std::size_t a = perm.size(); a-- > 1;) {
        if (++idx[a] < out[a]) break;
        idx[a] = 0;
      }
    }
    const std::string wname = g_.node(m_idx).input(1);
    const int64_t rows = w->dims(0);
    if (rows <= 0 || k <= 0 || w->raw_data().size() % static_cast<std::size_t>(rows * k)) continue;
    const std::size_t elem = w->raw_data().size() / static_cast<std::size_t>(rows * k);
    g_.mutable_node(m_idx)->set_input(1, permuted_columns(wname, wname + "/nchw_columns", m_idx, source, elem));
    if (b) {
      Tensor nb = *b;
      for (int64_t c2 = 0; c2 < k; ++c2)
        std::memcpy(nb.data.data() + static_cast<std::size_t>(c2) * elem,
                    b->data.data() + static_cast<std::size_t>(source[static_cast<std::size_t>(c2)]) * elem, elem);
      onnx::NodeProto& add = *g_.mutable_node(add_idx);
      const std::string nbias = add_initializer_like(bias, bias + "/nchw_columns", std::move(nb));
      for (auto& in : *add.mutable_input())
        if (in == bias) in = nbias;
    }
    g_.mutable_node(r_idx)->set_input(1, ints_initializer(reshape.output(0) + "/nchw_shape", out));
    // The Transpose's readers now read its input, which is NCHW already.
    const std::string from = t.output(0), to = t.input(0);
    for (auto& n : *g_.mutable_node())
      for (auto& in : *n.mutable_input())
        if (in == from) in = to;
    g_.mutable_node(i)->clear_input();
    g_.mutable_node(i)->clear_output();
    g_.mutable_node(i)->set_op_type("");  // dead: pruned
    index();
    changed = true;
  }
  return changed;
}

bool Optimizer::fold_flatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes) {
  bool changed = false;
  for (int i = 0; i < g_.node_size(); ++i) {
    const onnx::NodeProto& t = g_.node(i);
    if (t.op_type() != "Transpose" || outputs_.count(t.output(0))) continue;
    const Perm perm = ints_attr(t, "perm");
    auto xs = shapes.find(t.input(0));
    if (!valid_perm(perm) || perm[0] != 0 || xs == shapes.end() || xs->second.size() != perm.size()) continue;
    const int r_idx = only_consumer(t.output(0));
    if (r_idx < 0 || g_.node(r_idx).op_type() != "Reshape" || g_.node(r_idx).input(0) != t.output(0)) continue;
    const onnx::NodeProto& reshape = g_.node(r_idx);
    if (outputs_.count(reshape.output(0))) continue;
    const int m_idx = only_consumer(reshape.output(0));
    if (m_idx < 0 || g_.node(m_idx).op_type() != "MatMul" || g_.node(m_idx).input(0) != reshape.output(0)) continue;
    const std::vector<int64_t>& x = xs->second;
    const int64_t k = std::accumulate(x.begin() + 1, x.end(), int64_t{1}, std::multiplies<>());
    const onnx::TensorProto* target = raw_initializer(reshape.input(1));
    const onnx::TensorProto* w = raw_initializer(g_.node(m_idx).input(1));
    if (!target || target->raw_data().size() != 2 * sizeof(int64_t) || !w || w->dims_size() != 2 || w->dims(0) != k)
      continue;
    int64_t dims[2];
    std::memcpy(dims, target->raw_data().data(), sizeof dims);
    if (dims[1] != k || (dims[0] != x[0] && dims[0] != -1)) continue;
    // Row i of the new W (x flattened) is row j of W (Transpose(x) flattened).
    const std::string& wdata = w->raw_data();
    if (k <= 0 || wdata.size() % static_cast<std::size_t>(k)) continue;
    const std::size_t row = wdata.size() / static_cast<std::size_t>(k);
    std::vector<int64_t> tshape(perm.size()), tstride(perm.size(), 1);
    for (std::size_t a = 0; a < perm.size(); ++a) tshape[a] = x[static_cast<std::size_t>(perm[a])];
    for (std::size_t a = perm.size() - 1; a-- > 1;) tstride[a] = tstride[a + 1] * tshape[a + 1];
    std::vector<int64_t> source(static_cast<std::size_t>(k));
    std::vector<int64_t> idx(x.size(), 0);  // over x's dims 1..
    for (int64_t i_row = 0; i_row < k; ++i_row) {
      int64_t j = 0;
      for (std::size_t a = 1; a < perm.size(); ++a) j += idx[static_cast<std::size_t>(perm[a])] * tstride[a];
      source[static_cast<std::size_t>(i_row)] = j;
      for (std::size_t a = x.size(); a-- > 1;) {
        if (++idx[a] < x[a]) break;
        idx[a] = 0;
      }
    }
    const std::string wname = g_.node(m_idx).input(1);
    const std::string x_name = t.input(0);
    g_.mutable_node(m_idx)->set_input(1, permuted_rows(wname, wname + "/nchw_rows", m_idx, source, row));    g_.mutable_node(r_idx)->set_input(0, x_name);
    index();
    changed = true;
  }
  return changed;
}

}  // namespace tfprod::onnx_export::transposes
