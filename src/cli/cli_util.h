// Small helpers shared by the command-line front ends: the exit codes, the
// one error printer, and the parsers behind flags that several commands
// share (--tags; --input and --feed are in model_inputs.h), so that a flag
// means one thing everywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/error.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace tfprod::cli {

// The exit codes of tfprod and of the drop-ins (README: "Exit codes").
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // the work failed: unreadable file, no such node, ...
  kExitUsage = 2,        // the command line is wrong: unknown flag, missing argument, malformed value
  kExitCheckFailed = 3,  // a check ran and found the model wrong (verify, export's verification, preflight)
};

// A command line that cannot be right whatever the files hold. guarded()
// prints it like any error and returns kExitUsage.
class UsageError : public Error {
 public:
  using Error::Error;
};

template <class... Args>
[[noreturn]] void usage_fail(fmt::format_string<Args...> format, Args&&... args) {
  throw UsageError(fmt::format(format, std::forward<Args>(args)...));
}

// Runs `body`; prints "<program>: error: <message>" on one line for an Error
// (or any std::exception) and returns kExitError (kExitUsage for a
// UsageError). Returns body's result otherwise.
int guarded(const char* program, const std::function<int()>& body);

// "a,b, c" -> {"a","b","c"} (empty items dropped). Each item of `items` may
// itself hold a comma-separated list.
std::vector<std::string> split_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(const std::string& text);

// --tags: comma-separated, as TF's saved_model_cli ("serve,gpu"); repeating
// the flag adds tags too. Empty: {"serve"}.
std::set<std::string> parse_tags(const std::vector<std::string>& values);
// Adds --tags to a command, with the one help text (values go to parse_tags).
CLI::Option* add_tags_option(CLI::App* command, std::vector<std::string>& values);

// TF's spelling of booleans in flags: true/false, 1/0, yes/no (any case).
// Anything else is a usage error naming --<flag>.
bool parse_bool(const std::string& flag, const std::string& text);

std::string human_bytes(uint64_t bytes);

// The drop-ins' command line with every `--flag=` (an empty value) left out:
// TF's tools read it as the empty default (`--inputs=` is no inputs), where
// CLI11 would take the next argument as the value. Pass it to App::parse as
// argc, argv (it points into `argv`).
std::vector<char*> without_empty_values(int argc, char** argv);

}  // namespace tfprod::cli
