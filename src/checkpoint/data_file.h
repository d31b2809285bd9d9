// A bundle data shard (PREFIX.data-0000N-of-0000M) opened for positioned
// reads: bounds are checked against the file size before anything is
// allocated, and the crc32c of the bytes is computed while they are still in
// cache, chunk by chunk, as they are read straight into their destination.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tfprod::checkpoint {

class DataFile {
 public:
  // Throws Error naming the file (and `tensor`, the first reader) on failure.
  DataFile(std::string path, const std::string& tensor);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

  // Throws Error naming the file and `tensor` unless [offset, offset+size)
  // lies inside the file.
  void check_range(uint64_t offset, uint64_t size, const std::string& tensor) const;

  // Reads exactly `size` bytes at `offset` into `dst`, returning the crc32c
  // (unmasked) of the bytes read. Safe to call from several threads.
  uint32_t read(uint64_t offset, std::size_t size, char* dst, const std::string& tensor) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A string of `size` bytes (zeroed) to read a tensor into. Large buffers are
// marked for transparent huge pages before they are first touched: faulting
// in 4 KiB pages is most of the cost of reading a big tensor from the page
// cache.
std::string allocate_tensor_buffer(std::size_t size);

// "PREFIX.data-00001-of-00003"
std::string data_file_name(const std::string& prefix, int shard, int num_shards);

}  // namespace tfprod::checkpoint
