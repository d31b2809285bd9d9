// File helpers every reader and writer uses: bounded whole-file reads with
// errors that name the file, and atomic output (temporary file, then rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace tfprod {

// Reads a whole regular file. Throws Error naming the file when it is missing,
// a directory, unreadable, or larger than max_bytes.
std::string read_file(const std::filesystem::path& path,
                      uint64_t max_bytes = uint64_t{4} << 30);

// Writes `path` atomically: `write` receives a temporary path in the same
// directory; on success it is renamed over `path`, on any exception it is
// removed and the exception propagates. Refuses a `path` that is a directory.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

// Convenience: write_atomically with the given bytes.
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);

// True when both paths name the same existing file (hard links included).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace tfprod
