// Positioned reads of bundle data shards (see data_file.h).
#include "checkpoint/data_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/crc32c.h"
#include "core/lfs_pointer.h"
#include "tfprod/error.h"

namespace tfprod::checkpoint {

namespace {
// Small enough to still be in cache when the crc runs over it.
constexpr std::size_t kChunk = std::size_t{1} << 20;
}  // namespace

DataFile::DataFile(std::string path, const std::string& tensor) : path_(std::move(path)) {
  core::refuse_lfs_pointer_file(path_);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail("{}: {}: cannot open data shard: {}", path_, tensor, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail("{}: {}: data shard is not a regular file", path_, tensor);
  }
  size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

DataFile::~DataFile() {
  if (fd_ >= 0) ::close(fd_);
}

void DataFile::check_range(uint64_t offset, uint64_t size, const std::string& tensor) const {
  if (offset > size_ || size > size_ - offset)
    fail("{}: {}: entry points past the end of its data shard (offset {} + size {} > file size {}); "
         "the shard is truncated or the index does not belong to it",
         path_, tensor, offset, size, size_);
}

uint32_t DataFile::read(uint64_t offset, std::size_t size, char* dst, const std::string& tensor) const {
  check_range(offset, size, tensor);
  uint32_t crc = 0;
  std::size_t done = 0;
  while (done < size) {
    const std::size_t want = std::min(kChunk, size - done);
    std::size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, dst + done + got, want - got, static_cast<off_t>(offset + done + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("{}: {}: read failed: {}", path_, tensor, std::strerror(errno));
      if (n == 0) fail("{}: {}: unexpected end of file at offset {}", path_, tensor, offset + done + got);
      got += static_cast<std::size_t>(n);
    }
    crc = crc32c::extend(crc, dst + done, want);
    done += want;
  }
  return crc;
}

std::string allocate_tensor_buffer(std::size_t size) {
  std::string buffer;
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  if (size >= 4 * kHugePage) {
    buffer.reserve(size);  // allocated, not yet touched
    const auto start = reinterpret_cast<std::uintptr_t>(buffer.data());
    const std::uintptr_t begin = (start + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t end = (start + size) & ~(kHugePage - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint only
  }
#endif
  buffer.resize(size);
  return buffer;
}

std::string data_file_name(const std::string& prefix, int shard, int num_shards) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", shard, num_shards);
  return prefix + suffix;
}

}  // namespace tfprod::checkpoint
