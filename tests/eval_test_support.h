// Helpers for kernel tests: build tensors, run one op on constant inputs.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "tfprod/tf/framework/attr_value.pb.h"
#include "tfprod/tensor.h"

namespace tfprod::test {

// Tensors from values (row-major). Half/bf16 tensors are built from floats.
Tensor tensor_f(Shape shape, std::vector<float> v, DataType dtype = tfprod::tf::DT_FLOAT);
Tensor tensor_d(Shape shape, std::vector<double> v);
Tensor tensor_i(Shape shape, std::vector<int64_t> v, DataType dtype = tfprod::tf::DT_INT32);
Tensor tensor_b(Shape shape, std::vector<bool> v);
Tensor scalar_i(int64_t v, DataType dtype = tfprod::tf::DT_INT32);

// Values back (any numeric dtype, half/bf16 widened).
std::vector<double> to_doubles(const Tensor& t);

struct Attr {
  std::string key;
  tfprod::tf::AttrValue value;
};
Attr attr_type(const std::string& key, DataType t);
Attr attr_int(const std::string& key, int64_t v);
Attr attr_float(const std::string& key, float v);
Attr attr_bool(const std::string& key, bool v);
Attr attr_string(const std::string& key, const std::string& v);
Attr attr_ints(const std::string& key, std::vector<int64_t> v);

// Builds a graph of Const nodes (one per input) feeding one `op` node with
// `attrs` (plus "T" = dtype of input 0 unless given), evaluates it and
// returns its outputs 0..num_outputs-1. Kernel errors propagate as Error.
std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs,
                           const std::vector<Attr>& attrs = {}, int num_outputs = 1);
Tensor run_op1(const std::string& op, const std::vector<Tensor>& inputs, const std::vector<Attr>& attrs = {});

// The op fails with a message containing every one of `parts`.
void expect_error(const std::string& op, const std::vector<Tensor>& inputs, const std::vector<Attr>& attrs,
                  const std::vector<std::string>& parts, int num_outputs = 1);
// The message of the Error `f` throws, or "(no error)".
std::string error_of(const std::function<void()>& f);
// 0, 1, 2, ... as float, row-major.
Tensor iota_f(Shape shape);
Tensor strings(Shape shape, std::vector<std::string> v);

// Element-wise comparison with a tolerance; shapes must match exactly.
void expect_near(const Tensor& got, const Shape& shape, const std::vector<double>& want, double tol = 1e-5);

}  // namespace tfprod::test
