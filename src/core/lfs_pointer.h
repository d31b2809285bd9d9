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

// The same for the file at `path`, read only when it is small enough to be a
// pointer (a missing or unreadable file is left to the reader's own checks).
void refuse_lfs_pointer_file(const std::string& path);

}  // namespace tfprod::core
