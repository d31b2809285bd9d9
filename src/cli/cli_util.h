// Small helpers shared by the command-line front ends.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tfprod::cli {

// Runs `body`; prints "<program>: error: <message>" on one line for an Error
// (or any std::exception) and returns 1. Returns body's result otherwise.
int guarded(const char* program, const std::function<int()>& body);

// "a,b, c" -> {"a","b","c"} (empty items dropped). Each item of `items` may
// itself hold a comma-separated list.
std::vector<std::string> split_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(const std::string& text);

// TF's spelling of booleans in flags: true/false, 1/0, yes/no (any case).
bool parse_bool(const std::string& flag, const std::string& text);

std::string human_bytes(uint64_t bytes);

}  // namespace tfprod::cli
