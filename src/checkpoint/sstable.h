// Read-only access to an immutable sorted string table (LevelDB's SSTable
// format), the container of V2 `.index` files and of V1 checkpoints. A thin
// layer over libleveldb's public Table API that checks every block checksum
// and turns every failure into an Error naming the file.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tfprod::checkpoint {

class SSTable {
 public:
  // Throws Error naming `path` when it is missing, too small to hold a table
  // footer, has the wrong magic number, or its index block is corrupt.
  static std::unique_ptr<SSTable> open(const std::string& path);
  ~SSTable();

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return size_; }

  // Calls `fn` for every entry in key order; stops early when it returns
  // false. Throws Error naming the file on a corrupt block.
  void for_each(const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // The value stored under exactly `key`, or nullopt.
  std::optional<std::string> get(std::string_view key) const;

 private:
  struct Impl;
  SSTable(std::string path, uint64_t size, std::unique_ptr<Impl> impl);
  std::string path_;
  uint64_t size_ = 0;
  std::unique_ptr<Impl> impl_;
};

// True when the last 8 bytes of the file are the table magic number: a cheap
// test for "this file is an SSTable" (used to recognise V1 checkpoints).
bool has_sstable_magic(const std::string& path);

}  // namespace tfprod::checkpoint
