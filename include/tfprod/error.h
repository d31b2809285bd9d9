// The one error type tfprod throws. Messages follow one shape so that users
// and scripts can rely on it: "<file>: <node or tensor>: <what is wrong>".
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace tfprod {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tfprod
