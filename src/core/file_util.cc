#include "tfprod/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/lfs_pointer.h"
#include "tfprod/error.h"

namespace tfprod {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path, uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("{}: not a regular file", path.string());
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail("{}: file is {} bytes, more than the {} allowed", path.string(), st.st_size, max_bytes);
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("{}: read failed after {} bytes", path.string(), done);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  core::refuse_lfs_pointer(path.string(), out);
  return out;
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("{}: output path is a directory", path.string());
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(dir, ec)) fail("{}: output directory {} does not exist", path.string(), dir.string());
  std::random_device rd;
  fs::path tmp = dir / fmt::format(".{}.tmp-{}-{:08x}", path.filename().string(), ::getpid(), rd());
  try {
    write(tmp);
    fs::rename(tmp, path);
  } catch (const fs::filesystem_error& e) {
    fs::remove(tmp, ec);
    fail("{}: cannot write: {}", path.string(), e.code().message());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

void write_file_atomically(const fs::path& path, const std::string& bytes) {
  write_atomically(path, [&](const fs::path& tmp) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("{}: cannot create: {}", tmp.string(), std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        fail("{}: write failed: {}", path.string(), std::strerror(errno));
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) fail("{}: write failed: {}", path.string(), std::strerror(errno));
  });
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace tfprod
