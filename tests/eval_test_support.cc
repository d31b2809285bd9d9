#include "eval_test_support.h"

#include "tfprod/tensor_values.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/graph.h"

namespace tfprod::test {

Tensor tensor_f(Shape shape, std::vector<float> v, DataType dtype) {
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.num_elements()), v.size()) << "tensor_f: value count";
  std::memcpy(t.data.data(), v.data(), std::min(t.data.size(), v.size() * 4));
  return dtype == tfprod::tf::DT_FLOAT ? t : eval::cast(t, dtype);
}

Tensor tensor_d(Shape shape, std::vector<double> v) {
  Tensor t = eval::make_tensor(tfprod::tf::DT_DOUBLE, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.num_elements()), v.size());
  std::memcpy(t.data.data(), v.data(), std::min(t.data.size(), v.size() * 8));
  return t;
}

Tensor tensor_i(Shape shape, std::vector<int64_t> v, DataType dtype) {
  Tensor t = eval::make_tensor(tfprod::tf::DT_INT64, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.num_elements()), v.size());
  std::memcpy(t.data.data(), v.data(), std::min(t.data.size(), v.size() * 8));
  return eval::cast(t, dtype);
}

Tensor tensor_b(Shape shape, std::vector<bool> v) {
  Tensor t = eval::make_tensor(tfprod::tf::DT_BOOL, std::move(shape));
  EXPECT_EQ(static_cast<std::size_t>(t.num_elements()), v.size());
  for (std::size_t i = 0; i < v.size() && i < t.data.size(); ++i) t.data[i] = v[i] ? 1 : 0;
  return t;
}

Tensor scalar_i(int64_t v, DataType dtype) { return tensor_i({}, {v}, dtype); }

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.num_elements(); ++i) out.push_back(eval::element_as_double(t, i));
  return out;
}

Attr attr_type(const std::string& key, DataType t) {
  Attr a{key, {}};
  a.value.set_type(t);
  return a;
}
Attr attr_int(const std::string& key, int64_t v) {
  Attr a{key, {}};
  a.value.set_i(v);
  return a;
}
Attr attr_float(const std::string& key, float v) {
  Attr a{key, {}};
  a.value.set_f(v);
  return a;
}
Attr attr_bool(const std::string& key, bool v) {
  Attr a{key, {}};
  a.value.set_b(v);
  return a;
}
Attr attr_string(const std::string& key, const std::string& v) {
  Attr a{key, {}};
  a.value.set_s(v);
  return a;
}
Attr attr_ints(const std::string& key, std::vector<int64_t> v) {
  Attr a{key, {}};
  for (int64_t x : v) a.value.mutable_list()->add_i(x);
  return a;
}

std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs, const std::vector<Attr>& attrs,
                           int num_outputs) {
  tfprod::tf::GraphDef def;
  auto* node = def.add_node();
  node->set_name("op");
  node->set_op(op);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto* c = def.add_node();
    c->set_name("in" + std::to_string(i));
    c->set_op("Const");
    auto* dtype = c->add_attr();
    dtype->set_key("dtype");
    dtype->mutable_value()->set_type(inputs[i].dtype);
    auto* value = c->add_attr();
    value->set_key("value");
    Tensor copy = inputs[i];
    tensor_to_proto(std::move(copy), value->mutable_value()->mutable_tensor());
    node->add_input(c->name());
  }
  bool has_t = false;
  for (const auto& a : attrs) {
    auto* e = node->add_attr();
    e->set_key(a.key);
    *e->mutable_value() = a.value;
    has_t = has_t || a.key == "T";
  }
  if (!has_t && !inputs.empty()) {
    auto* e = node->add_attr();
    e->set_key("T");
    e->mutable_value()->set_type(inputs[0].dtype);
  }
  Graph g = Graph::from_graphdef(def, "test");
  Evaluator ev(g);
  std::vector<std::string> fetches;
  for (int i = 0; i < num_outputs; ++i) fetches.push_back(i == 0 ? "op" : "op:" + std::to_string(i));
  return ev.run({}, fetches);
}

Tensor run_op1(const std::string& op, const std::vector<Tensor>& inputs, const std::vector<Attr>& attrs) {
  return run_op(op, inputs, attrs, 1)[0];
}

void expect_error(const std::string& op, const std::vector<Tensor>& inputs, const std::vector<Attr>& attrs,
                  const std::vector<std::string>& parts, int num_outputs) {
  try {
    run_op(op, inputs, attrs, num_outputs);
    ADD_FAILURE() << op << " did not fail";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Tensor iota_f(Shape shape) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return tensor_f(std::move(shape), v);
}

Tensor strings(Shape shape, std::vector<std::string> v) {
  Tensor t;
  t.dtype = tfprod::tf::DT_STRING;
  t.shape = std::move(shape);
  t.strings = std::move(v);
  return t;
}

void expect_near(const Tensor& got, const Shape& shape, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.shape, shape);
  auto v = to_doubles(got);
  ASSERT_EQ(v.size(), want.size());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], want[i], tol) << "element " << i;
}

}  // namespace tfprod::test
