// Exit codes, the error printer and the shared flag parsers (cli_util.h).
#include "cli/cli_util.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>

#include "tfprod/allocator.h"
#include "tfprod/error.h"

namespace tfprod::cli {

int guarded(const char* program, const std::function<int()>& body) {
  tune_allocator();
  try {
    return body();
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "%s: error: %s\n", program, message.c_str());
    return dynamic_cast<const UsageError*>(&e) ? kExitUsage : kExitError;
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items)
    for (auto& s : split_list(item)) out.push_back(std::move(s));
  return out;
}

std::set<std::string> parse_tags(const std::vector<std::string>& values) {
  auto tags = split_list(values);
  if (tags.empty()) return {"serve"};
  return {tags.begin(), tags.end()};
}

CLI::Option* add_tags_option(CLI::App* command, std::vector<std::string>& values) {
  return command
      ->add_option("--tags", values, "SavedModel meta graph tags, comma-separated as for saved_model_cli (default: serve)")
      ->allow_extra_args(false);
}

bool parse_bool(const std::string& flag, const std::string& text) {
  std::string s = text;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "1" || s == "yes" || s.empty()) return true;
  if (s == "false" || s == "0" || s == "no") return false;
  usage_fail("--{}: expected true or false, got '{}'", flag, text);
}

std::vector<char*> without_empty_values(int argc, char** argv) {
  std::vector<char*> out;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool empty_value = i > 0 && a.starts_with("--") && a.size() > 3 && a.back() == '=' &&
                             a.find('=') == a.size() - 1;
    if (!empty_value) out.push_back(argv[i]);
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1u << 20)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < (1u << 30)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

}  // namespace tfprod::cli
