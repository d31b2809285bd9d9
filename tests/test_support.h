// Helpers shared by the tests: where the corpus is, scratch directories, and
// running the built command-line tools.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace tfprod::test {

// ../shared/corpus, or empty when absent (then corpus tests skip).
std::filesystem::path corpus_dir();

// A fresh empty directory under the build tree, unique per test.
std::filesystem::path scratch_dir();

// Path of a built tool ("tfprod", "freeze_graph", ...).
std::filesystem::path tool(const std::string& name);

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string output;  // stdout and stderr together
};
// Runs a shell command line (with `cwd` as working directory).
RunResult run(const std::string& command_line, const std::filesystem::path& cwd = {});

// Copies a corpus case (a folder) into a scratch directory and returns it.
std::filesystem::path copy_case(const std::string& name);

// A file's bytes ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

// Hash of every file under a directory, to prove inputs were not modified.
std::string tree_digest(const std::filesystem::path& dir);

}  // namespace tfprod::test

#define TFPROD_REQUIRE_CORPUS()                                                    \
  do {                                                                             \
    if (tfprod::test::corpus_dir().empty())                                        \
      GTEST_SKIP() << "../shared/corpus is absent: corpus test skipped";           \
  } while (0)
