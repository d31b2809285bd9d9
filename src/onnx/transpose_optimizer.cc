// The transpose optimizer (see transpose_optimizer.h). Each rewrite edits
// the graph in place; indexes are rebuilt after every rewrite, and prune()
// sorts the nodes again, so rewrites need not care about node order.
#include "onnx/transpose_optimizer.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <onnx/shape_inference/implementation.h>

#include "onnx/builder.h"

namespace tfprod::onnx_export {

namespace {

using Perm = std::vector<int64_t>;

Perm ints_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

std::optional<int64_t> int_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return std::nullopt;
}

void replace_attr(onnx::NodeProto& n, const std::string& name, const Perm& v) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) {
      a.clear_ints();
      for (int64_t x : v) a.add_ints(x);
      return;
    }
  set_attr(n, name, v);
}

void replace_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) {
      a.set_i(v);
      return;
    }
  set_attr(n, name, v);
}

// p then q: Transpose(q)(Transpose(p)(x)) = Transpose(p[q])(x).
Perm compose(const Perm& p, const Perm& q) {
  Perm r(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) r[i] = p[static_cast<std::size_t>(q[i])];
  return r;
}

Perm inverse(const Perm& p) {
  Perm r(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) r[static_cast<std::size_t>(p[i])] = static_cast<int64_t>(i);
  return r;
}

bool is_identity(const Perm& p) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

bool valid_perm(const Perm& p) {
  std::vector<bool> seen(p.size());
  for (int64_t v : p) {
    if (v < 0 || v >= static_cast<int64_t>(p.size()) || seen[static_cast<std::size_t>(v)]) return false;
    seen[static_cast<std::size_t>(v)] = true;
  }
  return !p.empty();
}

const std::set<std::string> kUnary{"Relu",  "Sigmoid", "Tanh",     "Exp",      "Log",  "Sqrt", "Neg",  "Abs",
                                   "Identity", "LeakyRelu", "Elu", "Selu", "Clip", "Reciprocal", "Floor",
                                   "Ceil", "Softplus", "Softsign", "Cast", "Erf", "Not", "Sign", "Round",
                                   "Sin", "Cos"};
const std::set<std::string> kBroadcast{"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Sum",
                                       "Equal", "Greater", "Less", "And", "Or", "Where"};
const std::set<std::string> kReduce{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"};

class Optimizer {
 public:
  explicit Optimizer(onnx::ModelProto& model) : model_(model), g_(*model.mutable_graph()) {
    for (const auto& o : model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(o.version());
  }

  void run() {
    for (int round = 0; round < 16; ++round) {
      while (step()) prune(g_);
      if (!fold_with_shapes()) break;
      prune(g_);
    }
  }

 private:
  onnx::ModelProto& model_;
  onnx::GraphProto& g_;
  int opset_ = 13;
  std::unordered_map<std::string, int> producer_, init_;
  std::unordered_map<std::string, std::vector<int>> consumers_;  // node indices, one per read
  std::unordered_set<std::string> outputs_, names_;

  void index() {
    producer_.clear();
    init_.clear();
    consumers_.clear();
    outputs_.clear();
    names_.clear();
    for (int i = 0; i < g_.node_size(); ++i) {
      for (const auto& o : g_.node(i).output()) {
        producer_[o] = i;
        names_.insert(o);
      }
      for (const auto& in : g_.node(i).input()) consumers_[in].push_back(i);
    }
    for (int i = 0; i < g_.initializer_size(); ++i) {
      init_[g_.initializer(i).name()] = i;
      names_.insert(g_.initializer(i).name());
    }
    for (const auto& o : g_.output()) outputs_.insert(o.name());
    for (const auto& in : g_.input()) names_.insert(in.name());
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  // The node that alone reads `value`, or -1.
  int only_consumer(const std::string& value) const {
    auto it = consumers_.find(value);
    if (it == consumers_.end() || it->second.empty()) return -1;
    for (int c : it->second)
      if (c != it->second.front()) return -1;
    return it->second.front();
  }

  const onnx::NodeProto* transpose_producing(const std::string& value) const {
    auto it = producer_.find(value);
    if (it == producer_.end()) return nullptr;
    const auto& n = g_.node(it->second);
    return n.op_type() == "Transpose" ? &n : nullptr;
  }

  std::optional<Tensor> initializer_value(const std::string& name) const {
    auto it = init_.find(name);
    if (it == init_.end()) return std::nullopt;
    const onnx::TensorProto& t = g_.initializer(it->second);
    if (!t.has_raw_data() || t.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
    Tensor v;
    v.dtype = tfprod::tf::DT_UINT8;  // permute_tensor needs only the element size, from the data
    v.shape.assign(t.dims().begin(), t.dims().end());
    v.data = t.raw_data();
    if (v.num_elements() == 0) return std::nullopt;
    return v;
  }

  std::string add_initializer_like(const std::string& like, const std::string& base, const Tensor& value) {
    const onnx::TensorProto& src = g_.initializer(init_.at(like));
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(src.data_type());
    for (int64_t d : value.shape) t->add_dims(d);
    t->set_raw_data(value.data);
    init_[t->name()] = g_.initializer_size() - 1;
    return t->name();
  }

  std::string ints_initializer(const std::string& base, const Perm& v) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(fresh(base));
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t)));
    init_[t->name()] = g_.initializer_size() - 1;
    return t->name();
  }

  // One rewrite, or false at the fixed point.
  bool step() {
    index();
    for (int i = 0; i < g_.node_size(); ++i) {
      const auto& t = g_.node(i);
      if (t.op_type() == "Reshape") {  // Reshape(Reshape(x)) = Reshape(x)
        auto p = producer_.find(t.input(0));
        if (p != producer_.end() && g_.node(p->second).op_type() == "Reshape") {
          g_.mutable_node(i)->set_input(0, g_.node(p->second).input(0));
          return true;
        }
      }
      if (t.op_type() != "Transpose") continue;
      if (cancel(i)) return true;
      if (push(i)) return true;
    }
    return false;
  }

  // Transpose(p) -> Transpose(q) at node i (the second).
  bool cancel(int i) {
    onnx::NodeProto& t2 = *g_.mutable_node(i);
    const onnx::NodeProto* t1 = transpose_producing(t2.input(0));
    if (!t1) return false;
    const Perm p = ints_attr(*t1, "perm"), q = ints_attr(t2, "perm");
    if (!valid_perm(p) || p.size() != q.size()) return false;
    const Perm r = compose(p, q);
    const std::string x = t1->input(0), y = t2.output(0);
    if (!is_identity(r)) {
      t2.set_input(0, x);
      replace_attr(t2, "perm", r);
      return true;
    }
    const bool x_is_node_value = producer_.count(x) && !outputs_.count(x);
    if (!outputs_.count(y)) {
      for (auto& n : *g_.mutable_node())
        for (auto& in : *n.mutable_input())
          if (in == y) in = x;
      t2.clear_input();  // dead: pruned
      t2.clear_output();
      return true;
    }
    if (x_is_node_value) {  // y is a graph output: x's producer writes y instead
      t2.clear_input();
      t2.clear_output();
      for (auto& n : *g_.mutable_node()) {
        for (auto& in : *n.mutable_input())
          if (in == x) in = y;
        for (auto& o : *n.mutable_output())
          if (o == x) o = y;
      }
      return true;
    }
    t2.set_op_type("Identity");
    t2.set_input(0, x);
    t2.clear_attribute();
    return true;
  }

  // The inputs of `n` with the Transpose(perm) read through (`t` its
  // output): Transposes of the same perm give their input, initializers are
  // permuted back. Empty when some input is neither.
  std::optional<std::vector<std::string>> read_through(const onnx::NodeProto& n, const std::string& t,
                                                       const Perm& perm, const std::set<int>& skip = {}) {
    std::vector<std::string> ins;
    const Perm inv = inverse(perm);
    for (int k = 0; k < n.input_size(); ++k) {
      const std::string& in = n.input(k);
      if (skip.count(k) || in.empty()) {
        ins.push_back(in);
        continue;
      }
      if (const onnx::NodeProto* other = transpose_producing(in); other && ints_attr(*other, "perm") == perm) {
        ins.push_back(other->input(0));
        continue;
      }
      std::optional<Tensor> c = initializer_value(in);
      if (!c || c->shape.size() > perm.size()) return std::nullopt;
      if (c->num_elements() == 1) {
        ins.push_back(in);
        continue;
      }
      Tensor full = *c;
      while (full.shape.size() < perm.size()) full.shape.insert(full.shape.begin(), 1);
      ins.push_back(add_initializer_like(in, in + "/nchw", permute_tensor(full, inv)));
    }
    (void)t;
    return ins;
  }

  // Transpose at node i with one consumer, pushed below that consumer.
  bool push(int i) {
    const onnx::NodeProto& t = g_.node(i);
    const std::string tv = t.output(0);
    if (outputs_.count(tv)) return false;
    const int c = only_consumer(tv);
    if (c < 0) return false;
    const Perm perm = ints_attr(t, "perm");
    if (!valid_perm(perm)) return false;
    onnx::NodeProto n = g_.node(c);  // edited copy
    if (n.output_size() != 1) return false;
    const std::string& op = n.op_type();
    std::optional<std::vector<std::string>> ins;
    if (kUnary.count(op)) {
      if (n.input(0) != tv) return false;
      for (int k = 1; k < n.input_size(); ++k)
        if (n.input(k) == tv) return false;
      ins = std::vector<std::string>(n.input().begin(), n.input().end());
      (*ins)[0] = t.input(0);
    } else if (kBroadcast.count(op) || op == "Concat") {
      ins = read_through(n, tv, perm);
      if (ins && op == "Concat") {
        int64_t axis = int_attr(n, "axis").value_or(0);
        if (axis < 0) axis += static_cast<int64_t>(perm.size());
        replace_attr(n, "axis", perm[static_cast<std::size_t>(axis)]);
      }
    } else if (kReduce.count(op)) {
      if (int_attr(n, "keepdims").value_or(1) != 1 || n.input(0) != tv) return false;
      ins = std::vector<std::string>(n.input().begin(), n.input().end());
      (*ins)[0] = t.input(0);
      auto map_axes = [&](Perm axes) {
        for (int64_t& a : axes) a = perm[static_cast<std::size_t>(a < 0 ? a + static_cast<int64_t>(perm.size()) : a)];
        std::sort(axes.begin(), axes.end());
        return axes;
      };
      if (n.input_size() > 1 && !n.input(1).empty()) {
        std::optional<Tensor> axes = initializer_value(n.input(1));
        if (!axes) return false;
        Perm a(static_cast<std::size_t>(axes->num_elements()));
        std::memcpy(a.data(), axes->data.data(), a.size() * sizeof(int64_t));
        (*ins)[1] = ints_initializer(n.input(1) + "/nchw", map_axes(a));
      } else if (Perm a = ints_attr(n, "axes"); !a.empty()) {
        replace_attr(n, "axes", map_axes(a));
      }
    } else if (op == "Pad") {
      if (n.input(0) != tv || n.input_size() < 2) return false;
      std::optional<Tensor> pads = initializer_value(n.input(1));
      const std::size_t r = perm.size();
      if (!pads || static_cast<std::size_t>(pads->num_elements()) != 2 * r || n.input_size() > 3) return false;
      Perm p(2 * r), q(2 * r);
      std::memcpy(p.data(), pads->data.data(), p.size() * sizeof(int64_t));
      for (std::size_t k = 0; k < r; ++k) {
        q[static_cast<std::size_t>(perm[k])] = p[k];
        q[r + static_cast<std::size_t>(perm[k])] = p[r + k];
      }
      ins = std::vector<std::string>(n.input().begin(), n.input().end());
      (*ins)[0] = t.input(0);
      (*ins)[1] = ints_initializer(n.input(1) + "/nchw", q);
    } else if ((op == "Softmax" || op == "LogSoftmax") && opset_ >= 13) {
      int64_t axis = int_attr(n, "axis").value_or(-1);
      if (axis < 0) axis += static_cast<int64_t>(perm.size());
      ins = std::vector<std::string>{t.input(0)};
      replace_attr(n, "axis", perm[static_cast<std::size_t>(axis)]);
    }
    if (!ins) return false;
    const std::string y = n.output(0);
    const std::string y_inner = fresh(y + "/nchw");
    n.clear_input();
    for (const auto& s : *ins) n.add_input(s);
    n.set_output(0, y_inner);
    *g_.mutable_node(c) = std::move(n);
    onnx::NodeProto* moved = g_.mutable_node(i);  // the Transpose now follows the consumer
    moved->set_input(0, y_inner);
    moved->set_output(0, y);
    moved->set_name(y + "/transpose");
    return true;
  }

  // With the shapes ONNX's inference gives: Transpose(p, p[0] = 0) ->
  // Reshape([N, K]) -> MatMul(., W[K, M]): the Reshape reads the Transpose's
  // input and W's rows are permuted; a Transpose of size-1 dims is a Reshape.
  bool fold_with_shapes() {
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
    return changed;
  }

  // The mirror of fold_flatten, for a dense layer reshaped to an image:
  //   MatMul(x, W) [-> Add(b)] -> Reshape([N,H,W,C]) [-> unary ...] -> Transpose(0,3,1,2)
  //   => MatMul(x, W') [-> Add(b')] -> Reshape([N,C,H,W]) [-> unary ...]
  // with W's columns (and b) permuted into the Transpose's order.
  bool fold_unflatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes) {
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
      std::optional<Tensor> w = initializer_value(g_.node(m_idx).input(1));
      if (!w || w->shape.size() != 2 || w->shape[1] != k) continue;
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
      const std::size_t elem = w->data.size() / static_cast<std::size_t>(w->num_elements());
      Tensor nw = *w;
      for (int64_t row = 0; row < w->shape[0]; ++row)
        for (int64_t c2 = 0; c2 < k; ++c2)
          std::memcpy(nw.data.data() + static_cast<std::size_t>(row * k + c2) * elem,
                      w->data.data() + static_cast<std::size_t>(row * k + source[static_cast<std::size_t>(c2)]) * elem,
                      elem);
      const std::string wname = g_.node(m_idx).input(1);
      g_.mutable_node(m_idx)->set_input(1, add_initializer_like(wname, wname + "/nchw_columns", nw));
      if (b) {
        Tensor nb = *b;
        for (int64_t c2 = 0; c2 < k; ++c2)
          std::memcpy(nb.data.data() + static_cast<std::size_t>(c2) * elem,
                      b->data.data() + static_cast<std::size_t>(source[static_cast<std::size_t>(c2)]) * elem, elem);
        onnx::NodeProto& add = *g_.mutable_node(add_idx);
        const std::string nbias = add_initializer_like(bias, bias + "/nchw_columns", nb);
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

  bool fold_flatten(const std::unordered_map<std::string, std::vector<int64_t>>& shapes) {
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
      std::optional<Tensor> target = initializer_value(reshape.input(1));
      std::optional<Tensor> w = initializer_value(g_.node(m_idx).input(1));
      if (!target || target->num_elements() != 2 || !w || w->shape.size() != 2 || w->shape[0] != k) continue;
      int64_t dims[2];
      std::memcpy(dims, target->data.data(), sizeof dims);
      if (dims[1] != k || (dims[0] != x[0] && dims[0] != -1)) continue;
      // Row i of the new W (x flattened) is row j of W (Transpose(x) flattened).
      const std::size_t row = w->data.size() / static_cast<std::size_t>(k);
      std::vector<int64_t> tshape(perm.size()), tstride(perm.size(), 1);
      for (std::size_t a = 0; a < perm.size(); ++a) tshape[a] = x[static_cast<std::size_t>(perm[a])];
      for (std::size_t a = perm.size() - 1; a-- > 1;) tstride[a] = tstride[a + 1] * tshape[a + 1];
      Tensor nw = *w;
      std::vector<int64_t> idx(x.size(), 0);  // over x's dims 1..
      for (int64_t i_row = 0; i_row < k; ++i_row) {
        int64_t j = 0;
        for (std::size_t a = 1; a < perm.size(); ++a) j += idx[static_cast<std::size_t>(perm[a])] * tstride[a];
        std::memcpy(nw.data.data() + static_cast<std::size_t>(i_row) * row,
                    w->data.data() + static_cast<std::size_t>(j) * row, row);
        for (std::size_t a = x.size(); a-- > 1;) {
          if (++idx[a] < x[a]) break;
          idx[a] = 0;
        }
      }
      const std::string wname = g_.node(m_idx).input(1);
      const std::string x_name = t.input(0);
      g_.mutable_node(m_idx)->set_input(1, add_initializer_like(wname, wname + "/nchw_rows", nw));
      g_.mutable_node(r_idx)->set_input(0, x_name);
      index();
      changed = true;
    }
    return changed;
  }
};

}  // namespace

void optimize_transposes(onnx::ModelProto& model) {
  Optimizer(model).run();
  prune(*model.mutable_graph());
}

void prune(onnx::GraphProto& g) {
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& o : g.node(i).output()) producer[o] = i;
  std::vector<bool> live(static_cast<std::size_t>(g.node_size()), false);
  std::vector<std::string> stack;
  for (const auto& o : g.output()) stack.push_back(o.name());
  std::unordered_set<std::string> read;
  while (!stack.empty()) {
    const std::string v = stack.back();
    stack.pop_back();
    if (!read.insert(v).second) continue;
    auto it = producer.find(v);
    if (it == producer.end() || live[static_cast<std::size_t>(it->second)]) continue;
    live[static_cast<std::size_t>(it->second)] = true;
    for (const auto& in : g.node(it->second).input())
      if (!in.empty()) stack.push_back(in);
  }
  // Topological order (Kahn), earliest original position first.
  std::vector<int> pending(static_cast<std::size_t>(g.node_size()), 0);
  std::unordered_map<std::string, std::vector<int>> readers;
  for (int i = 0; i < g.node_size(); ++i) {
    if (!live[static_cast<std::size_t>(i)]) continue;
    for (const auto& in : g.node(i).input())
      if (producer.count(in)) {
        ++pending[static_cast<std::size_t>(i)];
        readers[in].push_back(i);
      }
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < g.node_size(); ++i)
    if (live[static_cast<std::size_t>(i)] && pending[static_cast<std::size_t>(i)] == 0) ready.push(i);
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (const auto& o : g.node(i).output())
      for (int r : readers[o])
        if (--pending[static_cast<std::size_t>(r)] == 0) ready.push(r);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i : order) *nodes.Add() = std::move(*g.mutable_node(i));
  g.mutable_node()->Swap(&nodes);
  std::unordered_set<std::string> used;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) used.insert(in);
  for (const auto& o : g.output()) used.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  for (auto& t : *g.mutable_initializer())
    if (used.count(t.name())) *inits.Add() = std::move(t);
  g.mutable_initializer()->Swap(&inits);
}

}  // namespace tfprod::onnx_export
