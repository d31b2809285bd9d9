// TFRecord framing of events files: a uint64 length, the masked crc32c of the
// 8 length bytes, the payload, the masked crc32c of the payload. Streamed
// through one buffer that grows only to the largest record; every length is
// checked against the bytes left in the file before anything is allocated.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/crc32c.h"
#include "core/lfs_pointer.h"
#include "tfprod/error.h"
#include "tfprod/events.h"

namespace tfprod::events {

namespace {

constexpr std::size_t kHeader = 12, kFooter = 4;

uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, aarch64)
}
uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

bool is_events_file_name(std::string_view name) { return name.find("tfevents") != std::string_view::npos; }

std::string frame_record(std::string_view payload) {
  std::string out(kHeader + payload.size() + kFooter, '\0');
  const uint64_t len = payload.size();
  std::memcpy(out.data(), &len, 8);
  const uint32_t len_crc = crc32c::mask(crc32c::value(out.data(), 8));
  std::memcpy(out.data() + 8, &len_crc, 4);
  std::memcpy(out.data() + kHeader, payload.data(), payload.size());
  const uint32_t data_crc = crc32c::mask(crc32c::value(payload.data(), payload.size()));
  std::memcpy(out.data() + kHeader + payload.size(), &data_crc, 4);
  return out;
}

RecordReader::RecordReader(const std::filesystem::path& file, std::size_t buffer_bytes) : path_(file.string()) {
  core::refuse_lfs_pointer_file(path_);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail("{}: cannot open: {}", path_, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail("{}: not a regular file", path_);
  }
  size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  buf_.resize(std::max<std::size_t>(buffer_bytes, 4096));
}

RecordReader::~RecordReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool RecordReader::fill(std::size_t need) {
  if (hi_ - lo_ >= need) return true;
  // Move what is left to the front, grow the buffer for a large record (the
  // caller checked `need` against the file size), then read.
  if (lo_ > 0) {
    std::memmove(buf_.data(), buf_.data() + lo_, hi_ - lo_);
    base_ += lo_;
    hi_ -= lo_;
    lo_ = 0;
  }
  if (need > buf_.size()) buf_.resize(need);
  while (hi_ < need) {
    const ssize_t got = ::read(fd_, buf_.data() + hi_, buf_.size() - hi_);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("{}: offset {}: read error: {}", path_, base_ + hi_, std::strerror(errno));
    }
    if (got == 0) return false;
    hi_ += static_cast<std::size_t>(got);
  }
  return true;
}

RecordReader::Result RecordReader::next(std::string_view* payload) {
  record_offset_ = base_ + lo_;
  const uint64_t left = size_ > record_offset_ ? size_ - record_offset_ : 0;
  if (left == 0) return Result::kEnd;
  if (left < kHeader) {
    truncation_ = fmt::format("truncated record header: need {} bytes, have {}", kHeader, left);
    return Result::kTruncated;
  }
  if (!fill(kHeader)) fail("{}: offset {}: the file shrank while being read", path_, record_offset_);
  const char* h = buf_.data() + lo_;
  const uint64_t len = load64(h);
  const uint32_t len_crc = load32(h + 8);
  if (crc32c::mask(crc32c::value(h, 8)) != len_crc)
    fail("{}: offset {}: crc mismatch in the record length (not a TFRecord events file, or damaged here)", path_,
         record_offset_);
  // Checked against the bytes left before anything is allocated. The size is
  // the one seen at open: a writer still appending is read up to there.
  const uint64_t need = kHeader + len + kFooter;
  if (len > left || need > left) {
    truncation_ = fmt::format("record length {} runs past the end of the file: need {} bytes, have {}", len, need, left);
    return Result::kTruncated;
  }
  if (!fill(static_cast<std::size_t>(need)))
    fail("{}: offset {}: the file shrank while being read", path_, record_offset_);
  const char* data = buf_.data() + lo_ + kHeader;
  const uint32_t data_crc = load32(data + len);
  if (crc32c::mask(crc32c::value(data, static_cast<std::size_t>(len))) != data_crc)
    fail("{}: offset {}: crc mismatch in the data of a {}-byte record", path_, record_offset_, len);
  *payload = std::string_view(data, static_cast<std::size_t>(len));
  lo_ += static_cast<std::size_t>(need);
  ++records_;
  return Result::kRecord;
}

}  // namespace tfprod::events
