// Git LFS pointers. A repository cloned without `git lfs` holds, in place of
// each large file, a short text: "version https://git-lfs.github.com/spec/v1",
// "oid sha256:...", "size N". Every reader of model, checkpoint and events
// files refuses one by name, instead of reporting it as a corrupt file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tfprod::core {

// Whether `bytes`, a whole file (or its first bytes), is an LFS pointer.
bool is_lfs_pointer(std::string_view bytes);

// Throws Error naming `path` when `bytes` is an LFS pointer: what it is, the
// size of the real file it stands for, and how to fetch it.
void refuse_lfs_pointer(const std::string& path, std::string_view bytes);

// The same for an open file of `size` bytes (reads its first bytes at offset
// 0 when it is small enough to be a pointer; leaves the offset alone).
void refuse_lfs_pointer(const std::string& path, int fd, uint64_t size);

}  // namespace tfprod::core
