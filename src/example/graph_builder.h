// Terse construction of NodeDefs for generated graphs.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tensor.h"

namespace tfprod {

class GraphBuilder {
 public:
  explicit GraphBuilder(tfprod::tf::GraphDef* graph) : graph_(graph) {}

  // Adds a node; returns it for attrs.
  tfprod::tf::NodeDef& node(const std::string& name, const std::string& op,
                            std::initializer_list<std::string> inputs = {});

  static void type(tfprod::tf::NodeDef& n, const std::string& key, DataType t);
  static void shape(tfprod::tf::NodeDef& n, const std::string& key, const Shape& s);
  static void ints(tfprod::tf::NodeDef& n, const std::string& key, std::initializer_list<int64_t> v);
  static void types(tfprod::tf::NodeDef& n, const std::string& key, std::initializer_list<DataType> v);
  static void str(tfprod::tf::NodeDef& n, const std::string& key, const std::string& v);
  static void boolean(tfprod::tf::NodeDef& n, const std::string& key, bool v);
  static void integer(tfprod::tf::NodeDef& n, const std::string& key, int64_t v);

  tfprod::tf::NodeDef& const_float(const std::string& name, float v);
  tfprod::tf::NodeDef& const_ints(const std::string& name, const std::vector<int32_t>& v);
  tfprod::tf::NodeDef& const_strings(const std::string& name, const std::vector<std::string>& v);
  // VariableV2 + Identity "<name>/read" + its Assign from `initial`.
  void variable(const std::string& name, DataType t, const Shape& s, const std::string& initial);

 private:
  tfprod::tf::GraphDef* graph_;
};

}  // namespace tfprod
