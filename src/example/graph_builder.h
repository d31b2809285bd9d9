// Terse construction of NodeDefs for generated graphs.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "tensorflow/core/framework/graph.pb.h"
#include "tfprod/tensor.h"

namespace tfprod {

class GraphBuilder {
 public:
  explicit GraphBuilder(tensorflow::GraphDef* graph) : graph_(graph) {}

  // Adds a node; returns it for attrs.
  tensorflow::NodeDef& node(const std::string& name, const std::string& op,
                            std::initializer_list<std::string> inputs = {});

  static void type(tensorflow::NodeDef& n, const std::string& key, DataType t);
  static void shape(tensorflow::NodeDef& n, const std::string& key, const Shape& s);
  static void ints(tensorflow::NodeDef& n, const std::string& key, std::initializer_list<int64_t> v);
  static void types(tensorflow::NodeDef& n, const std::string& key, std::initializer_list<DataType> v);
  static void str(tensorflow::NodeDef& n, const std::string& key, const std::string& v);
  static void boolean(tensorflow::NodeDef& n, const std::string& key, bool v);
  static void integer(tensorflow::NodeDef& n, const std::string& key, int64_t v);

  tensorflow::NodeDef& const_float(const std::string& name, float v);
  tensorflow::NodeDef& const_ints(const std::string& name, const std::vector<int32_t>& v);
  tensorflow::NodeDef& const_strings(const std::string& name, const std::vector<std::string>& v);
  // VariableV2 + Identity "<name>/read" + its Assign from `initial`.
  void variable(const std::string& name, DataType t, const Shape& s, const std::string& initial);

 private:
  tensorflow::GraphDef* graph_;
};

}  // namespace tfprod
