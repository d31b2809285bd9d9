// The transpose optimizer (see transpose_optimizer.h): its graph index and
// the rewrites that need no shapes (cancel, push). Each rewrite edits the
// graph in place; indexes are rebuilt after every rewrite, and prune() sorts
// the nodes again, so rewrites need not care about node order. The
// shape-based folds are in transpose_folds.cc.
#include "onnx/transpose_optimizer.h"

#include <algorithm>
#include <array>
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
#include "onnx/transpose_rewrites.h"

namespace tfprod::onnx_export {

namespace transposes {

void Optimizer::index() {
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

std::string Optimizer::fresh(const std::string& base) {
  std::string name = base;
  for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
  names_.insert(name);
  return name;
}

int Optimizer::only_consumer(const std::string& value) const {
  auto it = consumers_.find(value);
  if (it == consumers_.end() || it->second.empty()) return -1;
  for (int c : it->second)
    if (c != it->second.front()) return -1;
  return it->second.front();
}

const onnx::NodeProto* Optimizer::transpose_producing(const std::string& value) const {
  auto it = producer_.find(value);
  if (it == producer_.end()) return nullptr;
  const auto& n = g_.node(it->second);
  return n.op_type() == "Transpose" ? &n : nullptr;
}

const onnx::TensorProto* Optimizer::raw_initializer(const std::string& name) const {
  auto it = init_.find(name);
  if (it == init_.end()) return nullptr;
  const onnx::TensorProto& t = g_.initializer(it->second);
  if (!t.has_raw_data() || t.data_location() == onnx::TensorProto::EXTERNAL || t.raw_data().empty()) return nullptr;
  return &t;
}

std::optional<Tensor> Optimizer::initializer_value(const std::string& name) const {
  const onnx::TensorProto* t = raw_initializer(name);
  if (!t) return std::nullopt;
  Tensor v;
  v.dtype = tfprod::tf::DT_UINT8;  // permute_tensor needs only the element size, from the data
  v.shape.assign(t->dims().begin(), t->dims().end());
  if (v.num_elements() == 0) return std::nullopt;
  v.data = t->raw_data();
  return v;
}

std::string Optimizer::add_initializer_like(const std::string& like, const std::string& base, Tensor&& value) {
  const int32_t dtype = g_.initializer(init_.at(like)).data_type();
  onnx::TensorProto* t = g_.add_initializer();
  t->set_name(fresh(base));
  t->set_data_type(dtype);
  for (int64_t d : value.shape) t->add_dims(d);
  t->set_raw_data(std::move(value.data));
  init_[t->name()] = g_.initializer_size() - 1;
  return t->name();
}

std::string Optimizer::ints_initializer(const std::string& base, const Perm& v) {
  onnx::TensorProto* t = g_.add_initializer();
  t->set_name(fresh(base));
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(v.size()));
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t)));
  init_[t->name()] = g_.initializer_size() - 1;
  return t->name();
}

bool Optimizer::step() {
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

bool Optimizer::cancel(int i) {
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

std::optional<std::vector<std::string>> Optimizer::read_through(const onnx::NodeProto& n, const std::string& t, const Perm& perm, const std::set<int>& skip, const std::unordered_map<std::string, std::string>& through) {
  std::vector<std::string> ins;
  const Perm inv = inverse(perm);
  for (int k = 0; k < n.input_size(); ++k) {
    const std::string& in = n.input(k);
    if (skip.count(k) || in.empty()) {
      ins.push_back(in);
      continue;
    }
    if (auto f = through.find(in); f != through.end()) {
      ins.push_back(f->second);
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
    Tensor full = std::move(*c);
    const std::size_t rank = full.shape.size();
    while (full.shape.size() < perm.size()) full.shape.insert(full.shape.begin(), 1);
    Tensor permuted = permute_tensor(full, inv);
    // Back to the constant's own rank where the dims added are leading 1s again
    // ([C] -> [C,1,1], not [1,C,1,1]): the same broadcast, and the form
    // OpenCV 4.6 takes for a per-channel Mul / Add of a batch above 1.
    while (permuted.shape.size() > rank && permuted.shape.front() == 1) permuted.shape.erase(permuted.shape.begin());
    ins.push_back(add_initializer_like(in, in + "/nchw", std::move(permuted)));
  }
  (void)t;
  return ins;
}

std::optional<Optimizer::Pushed> Optimizer::plan(const onnx::NodeProto& t, const onnx::NodeProto& consumer,
                                                 const std::unordered_map<std::string, std::string>& through) {
  const std::string tv = t.output(0);
  const Perm perm = ints_attr(t, "perm");
  onnx::NodeProto n = consumer;  // edited copy
  const std::string& op = n.op_type();
  std::optional<std::vector<std::string>> ins;
  std::vector<Perm> out_perms(static_cast<std::size_t>(n.output_size()), perm);
  auto axis_in_x = [&](int64_t a) { return perm[static_cast<std::size_t>(a < 0 ? a + static_cast<int64_t>(perm.size()) : a)]; };
  auto only_first_reads = [&] {
    if (n.input(0) != tv) return false;
    for (int k = 1; k < n.input_size(); ++k)
      if (n.input(k) == tv) return false;
    return true;
  };
  if (n.output_size() != 1 && op != "Split") return std::nullopt;
  if (kUnary.count(op)) {
    if (!only_first_reads()) return std::nullopt;
    ins = std::vector<std::string>(n.input().begin(), n.input().end());
    (*ins)[0] = t.input(0);
  } else if (kBroadcast.count(op) || op == "Concat") {
    ins = read_through(n, tv, perm, {}, through);
    if (ins && op == "Concat") replace_attr(n, "axis", axis_in_x(int_attr(n, "axis").value_or(0)));
  } else if (kReduce.count(op)) {
    if (!only_first_reads()) return std::nullopt;
    ins = std::vector<std::string>(n.input().begin(), n.input().end());
    (*ins)[0] = t.input(0);
    Perm axes;
    if (n.input_size() > 1 && !n.input(1).empty()) {
      std::optional<Tensor> a = initializer_value(n.input(1));
      if (!a) return std::nullopt;
      axes.resize(static_cast<std::size_t>(a->num_elements()));
      std::memcpy(axes.data(), a->data.data(), axes.size() * sizeof(int64_t));
    } else {
      axes = ints_attr(n, "axes");
    }
    if (int_attr(n, "noop_with_empty_axes").value_or(0) != 0) return std::nullopt;
    if (axes.empty()) {  // all axes: a scalar (or all-ones) either way
      out_perms[0] = {};
    } else {
      Perm mapped;
      for (int64_t a : axes) mapped.push_back(axis_in_x(a));
      std::sort(mapped.begin(), mapped.end());
      if (n.input_size() > 1 && !n.input(1).empty())
        (*ins)[1] = ints_initializer(n.input(1) + "/nchw", mapped);
      else
        replace_attr(n, "axes", mapped);
      if (int_attr(n, "keepdims").value_or(1) == 0) {
        // The kept axes, in the consumer's frame in order, come out of the
        // pushed reduction in x's order: a smaller transpose, or none.
        std::vector<bool> reduced(perm.size(), false);
        for (int64_t a : axes) reduced[static_cast<std::size_t>(a < 0 ? a + static_cast<int64_t>(perm.size()) : a)] = true;
        Perm kept_x;
        for (std::size_t k = 0; k < perm.size(); ++k)
          if (!reduced[k]) kept_x.push_back(perm[k]);
        Perm sorted = kept_x;
        std::sort(sorted.begin(), sorted.end());
        Perm q;
        for (int64_t v : kept_x) q.push_back(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
        out_perms[0] = is_identity(q) ? Perm{} : q;
      }
    }
  } else if (op == "Pad") {
    if (n.input(0) != tv || n.input_size() < 2) return std::nullopt;
    std::optional<Tensor> pads = initializer_value(n.input(1));
    const std::size_t r = perm.size();
    if (!pads || static_cast<std::size_t>(pads->num_elements()) != 2 * r || n.input_size() > 3) return std::nullopt;
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
    if (!only_first_reads()) return std::nullopt;
    ins = std::vector<std::string>{t.input(0)};
    replace_attr(n, "axis", axis_in_x(int_attr(n, "axis").value_or(-1)));
  } else if (op == "Slice" && opset_ >= 10) {
    // Slice(data, starts, ends[, axes[, steps]]), all int64 initializers: each
    // axis maps into x's frame, its start/end/step with it, listed in axis
    // order (OpenCV 4.6's importer refuses axes out of order).
    if (!only_first_reads() || n.input_size() < 3 || n.input_size() > 5) return std::nullopt;
    auto ints = [&](int k) -> std::optional<Perm> {
      std::optional<Tensor> v = initializer_value(n.input(k));
      const onnx::TensorProto* raw = raw_initializer(n.input(k));
      if (!v || !raw || raw->data_type() != onnx::TensorProto::INT64) return std::nullopt;
      Perm out(v->data.size() / sizeof(int64_t));
      std::memcpy(out.data(), v->data.data(), out.size() * sizeof(int64_t));
      return out;
    };
    std::optional<Perm> starts = ints(1), ends = ints(2);
    if (!starts || !ends || starts->size() != ends->size()) return std::nullopt;
    Perm axes(starts->size()), steps(starts->size(), 1);
    std::iota(axes.begin(), axes.end(), 0);
    if (n.input_size() > 3 && !n.input(3).empty()) {
      std::optional<Perm> a = ints(3);
      if (!a || a->size() != starts->size()) return std::nullopt;
      axes = *a;
    }
    if (n.input_size() > 4 && !n.input(4).empty()) {
      std::optional<Perm> st = ints(4);
      if (!st || st->size() != starts->size()) return std::nullopt;
      steps = *st;
    }
    std::vector<std::array<int64_t, 4>> rows;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      const int64_t a = axes[k] < 0 ? axes[k] + static_cast<int64_t>(perm.size()) : axes[k];
      if (a < 0 || a >= static_cast<int64_t>(perm.size())) return std::nullopt;
      rows.push_back({perm[static_cast<std::size_t>(a)], (*starts)[k], (*ends)[k], steps[k]});
    }
    std::sort(rows.begin(), rows.end());
    Perm cols[4];
    for (const auto& r : rows)
      for (int c = 0; c < 4; ++c) cols[c].push_back(r[static_cast<std::size_t>(c)]);
    ins = std::vector<std::string>{t.input(0), ints_initializer(n.input(1) + "/nchw", cols[1]),
                                   ints_initializer(n.input(2) + "/nchw", cols[2]),
                                   ints_initializer(n.name() + "/axes/nchw", cols[0])};
    if (n.input_size() > 4 && !n.input(4).empty()) ins->push_back(ints_initializer(n.input(4) + "/nchw", cols[3]));
  } else if (op == "Split") {
    if (!only_first_reads()) return std::nullopt;
    ins = std::vector<std::string>(n.input().begin(), n.input().end());
    (*ins)[0] = t.input(0);
    replace_attr(n, "axis", axis_in_x(int_attr(n, "axis").value_or(0)));
  }
  if (!ins) return std::nullopt;
  n.clear_input();
  for (const auto& v : *ins) n.add_input(v);
  return Pushed{std::move(n), std::move(out_perms)};
}

bool Optimizer::reconverges(const std::vector<int>& consumers) const {
  // Some consumer (the join) is reached, within a few steps, from every other:
  // the branches meet again, so the Transposes pushed into them meet and cancel.
  for (int join : consumers) {
    bool all = true;
    for (int c : consumers) {
      if (c == join) continue;
      std::vector<int> stack{c};
      std::set<int> seen{c};
      bool found = false;
      while (!stack.empty() && !found && seen.size() < 64) {
        const int k = stack.back();
        stack.pop_back();
        for (const auto& o : g_.node(k).output()) {
          auto it = consumers_.find(o);
          if (it == consumers_.end()) continue;
          for (int r : it->second) {
            if (r == join) found = true;
            if (seen.insert(r).second) stack.push_back(r);
          }
        }
      }
      if (!found) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool Optimizer::push(int i) {
  const onnx::NodeProto& t = g_.node(i);
  const std::string tv = t.output(0);
  if (outputs_.count(tv)) return false;
  const Perm perm = ints_attr(t, "perm");
  if (!valid_perm(perm)) return false;
  auto it = consumers_.find(tv);
  if (it == consumers_.end() || it->second.empty()) return false;
  std::vector<int> consumers = it->second;
  std::sort(consumers.begin(), consumers.end());
  consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
  // A Transpose read by several nodes is pushed only where their branches
  // meet again (else it would become several): into every consumer that can
  // take it now; the others keep it until the Transposes pushed down the
  // other branches reach them.
  if (consumers.size() > 1 && !reconverges(consumers)) return false;
  // In graph (topological) order; a consumer may read another's output,
  // which then reads as that output before its Transpose (`through`).
  std::vector<Pushed> plans;
  std::unordered_map<std::string, std::string> through;
  struct Restore {
    std::string inner, y;
    Perm perm;
  };
  std::vector<Restore> restore;  // a Transpose per renamed output: inner -> y
  std::vector<int> pushed;
  for (int c : consumers) {
    std::optional<Pushed> p = plan(t, g_.node(c), through);
    if (!p) continue;  // keeps reading the Transpose, pushed later when its other inputs arrive
    pushed.push_back(c);
    for (int o = 0; o < p->node.output_size(); ++o) {
      const Perm& q = p->out_perms[static_cast<std::size_t>(o)];
      if (q.empty()) continue;
      const std::string y = p->node.output(o);
      const std::string y_inner = fresh(y + "/nchw");
      if (q == perm) through[y] = y_inner;
      p->node.set_output(o, y_inner);
      restore.push_back({y_inner, y, q});
    }
    plans.push_back(std::move(*p));
  }
  if (pushed.empty()) return false;
  for (std::size_t k = 0; k < pushed.size(); ++k) *g_.mutable_node(pushed[k]) = std::move(plans[k].node);
  for (const Restore& r : restore) {
    onnx::NodeProto* moved = g_.add_node();
    moved->set_op_type("Transpose");
    moved->set_name(fresh(r.y + "/transpose"));
    moved->add_input(r.inner);
    moved->add_output(r.y);
    set_attr(*moved, "perm", r.perm);
  }
  if (pushed.size() == consumers.size()) {
    onnx::NodeProto* dead = g_.mutable_node(i);  // nothing reads it now: pruned
    dead->clear_input();
    dead->clear_output();
  }
  return true;
}

}  // namespace transposes

void optimize_transposes(onnx::ModelProto& model) {
  transposes::Optimizer(model).run();
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
