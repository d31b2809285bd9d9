// Small builders for the inference-cleanup tests: GraphDef text for one node,
// and "the same graph with a flag fixed" (a placeholder or Const turned into
// a Const of the given value) to evaluate dropout / training mode inactive.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph_text_support.h"
#include "tfprod/tensor_values.h"
#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod::test {


inline std::string scalar_const(const std::string& name, float v, const std::vector<std::string>& inputs = {}) {
  return node(name, "Const", inputs,
              "attr { key: \"dtype\" value { type: DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
              "tensor_shape {} float_val: " +
                  std::to_string(v) + " } } }");
}

inline std::string bool_const(const std::string& name, bool v) {
  return node(name, "Const", {},
              std::string("attr { key: \"dtype\" value { type: DT_BOOL } } attr { key: \"value\" value { tensor { "
                          "dtype: DT_BOOL tensor_shape {} bool_val: ") +
                  (v ? "true" : "false") + " } } }");
}

inline std::string placeholder(const std::string& name,
                               const std::string& shape_dims = "dim { size: 2 } dim { size: 3 }",
                               const std::string& dtype = "DT_FLOAT") {
  return node(name, "Placeholder", {},
              "attr { key: \"dtype\" value { type: " + dtype + " } } attr { key: \"shape\" value { shape { " +
                  shape_dims + " } } }");
}

// Turns node `name` into a scalar Const holding `value` (cast to its dtype).
inline void fix_value(Graph& graph, const std::string& name, double value) {
  Node* n = graph.find(name);
  ASSERT_NE(n, nullptr) << name;
  DataType dtype = tfprod::tf::DT_FLOAT;
  if (const auto* d = n->attr("dtype")) dtype = d->type();
  if (const auto* v = n->attr("value")) dtype = v->tensor().dtype();
  Tensor f = eval::make_tensor(tfprod::tf::DT_FLOAT, {});
  eval::values<float>(f)[0] = static_cast<float>(value);
  Tensor t = dtype == tfprod::tf::DT_BOOL ? eval::make_tensor(dtype, {}) : eval::cast(f, dtype);
  if (dtype == tfprod::tf::DT_BOOL) t.data[0] = value != 0;
  n->op = "Const";
  graph.set_inputs(*n, {});
  n->attrs().Clear();
  n->set_attr("dtype").set_type(dtype);
  tensor_to_proto(std::move(t), n->set_attr("value").mutable_tensor());
}


}  // namespace tfprod::test
