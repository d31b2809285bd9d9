#include "core/lfs_pointer.h"

#include <filesystem>
#include <fstream>

#include "tfprod/error.h"

namespace tfprod::core {

namespace {
constexpr std::string_view kHead = "version https://git-lfs.github.com/spec/";
constexpr uint64_t kMaxPointer = 1024;  // real pointers are ~130 bytes
}  // namespace

bool is_lfs_pointer(std::string_view bytes) { return bytes.size() <= kMaxPointer && bytes.starts_with(kHead); }

void refuse_lfs_pointer(const std::string& path, std::string_view bytes) {
  if (!is_lfs_pointer(bytes)) return;
  std::string size;
  if (auto at = bytes.find("\nsize "); at != std::string_view::npos) {
    for (std::size_t i = at + 6; i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9'; ++i) size += bytes[i];
  }
  fail("{}: a Git LFS pointer ({} bytes), not the file it stands for{}: fetch the real file (git lfs pull, or "
       "download it from the repository's web page)",
       path, bytes.size(), size.empty() ? "" : " (" + size + " bytes)");
}

void refuse_lfs_pointer_file(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxPointer || size < kHead.size()) return;
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (in.read(bytes.data(), static_cast<std::streamsize>(size))) refuse_lfs_pointer(path, bytes);
}

}  // namespace tfprod::core
