#include "example/graph_builder.h"

#include "tfprod/tf/framework/tensor.pb.h"

namespace tfprod {

namespace {
tfprod::tf::AttrValue& attr(tfprod::tf::NodeDef& n, const std::string& key) {
  auto* e = n.add_attr();
  e->set_key(key);
  return *e->mutable_value();
}
}  // namespace

tfprod::tf::NodeDef& GraphBuilder::node(const std::string& name, const std::string& op,
                                        std::initializer_list<std::string> inputs) {
  auto* n = graph_->add_node();
  n->set_name(name);
  n->set_op(op);
  for (const auto& in : inputs) n->add_input(in);
  return *n;
}

void GraphBuilder::type(tfprod::tf::NodeDef& n, const std::string& key, DataType t) { attr(n, key).set_type(t); }

void GraphBuilder::shape(tfprod::tf::NodeDef& n, const std::string& key, const Shape& s) {
  shape_to_proto(s, attr(n, key).mutable_shape());
}

void GraphBuilder::ints(tfprod::tf::NodeDef& n, const std::string& key, std::initializer_list<int64_t> v) {
  auto* list = attr(n, key).mutable_list();
  for (int64_t x : v) list->add_i(x);
}

void GraphBuilder::types(tfprod::tf::NodeDef& n, const std::string& key, std::initializer_list<DataType> v) {
  auto* list = attr(n, key).mutable_list();
  for (DataType t : v) list->add_type(t);
}

void GraphBuilder::str(tfprod::tf::NodeDef& n, const std::string& key, const std::string& v) { attr(n, key).set_s(v); }
void GraphBuilder::boolean(tfprod::tf::NodeDef& n, const std::string& key, bool v) { attr(n, key).set_b(v); }
void GraphBuilder::integer(tfprod::tf::NodeDef& n, const std::string& key, int64_t v) { attr(n, key).set_i(v); }

tfprod::tf::NodeDef& GraphBuilder::const_float(const std::string& name, float v) {
  auto& n = node(name, "Const");
  type(n, "dtype", tfprod::tf::DT_FLOAT);
  auto* t = attr(n, "value").mutable_tensor();
  t->set_dtype(tfprod::tf::DT_FLOAT);
  t->mutable_tensor_shape();
  t->add_float_val(v);
  return n;
}

tfprod::tf::NodeDef& GraphBuilder::const_ints(const std::string& name, const std::vector<int32_t>& v) {
  auto& n = node(name, "Const");
  type(n, "dtype", tfprod::tf::DT_INT32);
  auto* t = attr(n, "value").mutable_tensor();
  t->set_dtype(tfprod::tf::DT_INT32);
  t->mutable_tensor_shape()->add_dim()->set_size(static_cast<int64_t>(v.size()));
  for (int32_t x : v) t->add_int_val(x);
  return n;
}

tfprod::tf::NodeDef& GraphBuilder::const_strings(const std::string& name, const std::vector<std::string>& v) {
  auto& n = node(name, "Const");
  type(n, "dtype", tfprod::tf::DT_STRING);
  auto* t = attr(n, "value").mutable_tensor();
  t->set_dtype(tfprod::tf::DT_STRING);
  t->mutable_tensor_shape()->add_dim()->set_size(static_cast<int64_t>(v.size()));
  for (const auto& s : v) t->add_string_val(s);
  return n;
}

void GraphBuilder::variable(const std::string& name, DataType t, const Shape& s, const std::string& initial) {
  auto& v = node(name, "VariableV2");
  shape(v, "shape", s);
  type(v, "dtype", t);
  str(v, "container", "");
  str(v, "shared_name", "");
  auto& assign = node(name + "/Assign", "Assign", {name, initial});
  type(assign, "T", t);
  boolean(assign, "validate_shape", true);
  boolean(assign, "use_locking", true);
  auto& read = node(name + "/read", "Identity", {name});
  type(read, "T", t);
}

}  // namespace tfprod
