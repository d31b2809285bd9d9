#include "eval/kernel.h"

namespace tfprod::eval {

const Tensor& KernelContext::input(std::size_t i) const {
  if (i >= inputs_.size()) fail("expects at least {} inputs, has {}", i + 1, inputs_.size());
  if (!inputs_[i]) fail("input {} is dead", i);
  return *inputs_[i];
}

void KernelContext::set_output(std::size_t i, Tensor t) {
  if (outputs_.size() <= i) {
    outputs_.resize(i + 1);
    dead_.resize(i + 1, false);
  }
  outputs_[i] = std::move(t);
  dead_[i] = false;
}

void KernelContext::set_dead(std::size_t i) {
  if (outputs_.size() <= i) {
    outputs_.resize(i + 1);
    dead_.resize(i + 1, false);
  }
  dead_[i] = true;
}

const tfprod::tf::AttrValue& KernelContext::attr(std::string_view key) const {
  const auto* a = node_.attr(key);
  if (!a) fail("missing attr '{}'", key);
  return *a;
}

int64_t KernelContext::attr_int(std::string_view key) const { return attr(key).i(); }
int64_t KernelContext::attr_int(std::string_view key, int64_t fallback) const {
  return has_attr(key) ? attr(key).i() : fallback;
}
float KernelContext::attr_float(std::string_view key) const { return attr(key).f(); }
float KernelContext::attr_float(std::string_view key, float fallback) const {
  return has_attr(key) ? attr(key).f() : fallback;
}
bool KernelContext::attr_bool(std::string_view key, bool fallback) const {
  return has_attr(key) ? attr(key).b() : fallback;
}
std::string KernelContext::attr_string(std::string_view key) const { return attr(key).s(); }
std::string KernelContext::attr_string(std::string_view key, const std::string& fallback) const {
  return has_attr(key) ? attr(key).s() : fallback;
}
DataType KernelContext::attr_type(std::string_view key) const { return attr(key).type(); }
DataType KernelContext::attr_type(std::string_view key, DataType fallback) const {
  return has_attr(key) ? attr(key).type() : fallback;
}
std::vector<int64_t> KernelContext::attr_ints(std::string_view key) const {
  const auto& list = attr(key).list().i();
  return {list.begin(), list.end()};
}
std::vector<int64_t> KernelContext::attr_ints(std::string_view key, std::vector<int64_t> fallback) const {
  return has_attr(key) ? attr_ints(key) : fallback;
}
std::vector<float> KernelContext::attr_floats(std::string_view key) const {
  const auto& list = attr(key).list().f();
  return {list.begin(), list.end()};
}

void KernelContext::unsupported_attr(std::string_view key, const std::string& value) const {
  fail("attr '{}' = {} is not supported", key, value);
}

}  // namespace tfprod::eval
