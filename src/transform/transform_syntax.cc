// TF's transform-string syntax (see transform.h):
//
//   calls  := call (space call)*
//   call   := NAME | NAME '(' [arg (',' arg)*] ')'
//   arg    := NAME '=' value          value: "quoted, with commas" | bare text up to ',' or ')'
#include <cctype>

#include "tfprod/error.h"
#include "tfprod/transform.h"

namespace tfprod {

namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\n\r"));
  s.erase(s.find_last_not_of(" \t\n\r") + 1);
  return s;
}

}  // namespace

std::vector<TransformCall> parse_transforms(std::string_view text) {
  std::vector<TransformCall> calls;
  std::size_t i = 0;
  auto at = [&](std::size_t pos) { return fmt::format("transforms: at character {}", pos + 1); };
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size()) break;
    TransformCall call;
    const std::size_t start = i;
    while (i < text.size() && name_char(text[i])) call.name += text[i++];
    if (call.name.empty()) fail("{}: expected a transform name, found '{}'", at(start), text[i]);
    if (i < text.size() && text[i] == '(') {
      ++i;
      while (true) {
        skip_space();
        if (i >= text.size()) fail("{}: '(' of '{}' is never closed", at(start), call.name);
        if (text[i] == ')') {
          ++i;
          break;
        }
        const std::size_t arg_start = i;
        std::string key;
        while (i < text.size() && name_char(text[i])) key += text[i++];
        skip_space();
        if (key.empty() || i >= text.size() || text[i] != '=')
          fail("{}: expected name=value in the arguments of '{}'", at(arg_start), call.name);
        ++i;
        skip_space();
        std::string value;
        if (i < text.size() && text[i] == '"') {
          const std::size_t quote = i++;
          while (i < text.size() && text[i] != '"') value += text[i++];
          if (i >= text.size()) fail("{}: unbalanced quote in '{}'", at(quote), call.name);
          ++i;
          skip_space();
        } else {
          while (i < text.size() && text[i] != ',' && text[i] != ')') value += text[i++];
          value = trim(value);
        }
        call.args.emplace_back(key, value);
        if (i < text.size() && text[i] == ',') {
          ++i;
        } else if (i < text.size() && text[i] != ')') {
          fail("{}: expected ',' or ')' after the value of '{}'", at(i), key);
        }
      }
    } else if (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
      fail("{}: unexpected '{}' after '{}'", at(i), text[i], call.name);
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace tfprod
