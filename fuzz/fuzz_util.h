// Shared by the libFuzzer targets: a private scratch directory per process,
// writing the input to a named file there, and the rule every target follows:
// tfprod::Error is the one acceptable failure. Any other exception (a
// std::out_of_range, a bad_alloc from a size nobody checked) aborts, so
// libFuzzer reports it as a crash, like a sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tfprod::fuzz {

// Created on first use under $TMPDIR (or /tmp), removed at exit.
const std::filesystem::path& scratch();

// Writes `bytes` to scratch()/name (replacing it) and returns the path.
std::filesystem::path put(const std::string& name, std::string_view bytes);

// Runs `body`; swallows tfprod::Error (checking its message is one line that
// is not empty), aborts on anything else.
void guarded(const std::function<void()>& body);

inline std::string_view as_view(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The seed graph and checkpoint (tfprod's example training directory),
// written once per process into scratch()/example.
const std::filesystem::path& example_dir();

// Deterministic small V2 bundles at `prefix`: variant 0 one little-endian
// shard (floats, int64, a string tensor, a partitioned variable), 1 the same
// tensors over two shards, 2 over three big-endian shards. The three can share
// one prefix (their data files have different names), so a fuzzed .index can
// point into any of them.
void write_seed_bundle(const std::string& prefix, int variant);
constexpr int kSeedBundleVariants = 3;

// A small V1 (TensorSlice) checkpoint at `path`: a float matrix, an int32
// vector and a variable in two slices.
void write_seed_v1(const std::string& path);

}  // namespace tfprod::fuzz
