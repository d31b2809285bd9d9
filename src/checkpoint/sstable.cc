// SSTable reading over libleveldb (see sstable.h).
#include "checkpoint/sstable.h"

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/lfs_pointer.h"
#include "tfprod/error.h"

namespace tfprod::checkpoint {

namespace {

// LevelDB's footer: two block handles padded to 40 bytes, then the magic.
constexpr uint64_t kFooterSize = 48;
constexpr std::array<unsigned char, 8> kMagic = {0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};

leveldb::ReadOptions checked_reads() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  options.fill_cache = false;
  return options;
}

}  // namespace

struct SSTable::Impl {
  std::unique_ptr<leveldb::RandomAccessFile> file;
  std::unique_ptr<leveldb::Table> table;
};

SSTable::SSTable(std::string path, uint64_t size, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), size_(size), impl_(std::move(impl)) {}

SSTable::~SSTable() {
  // The table refers to the file: destroy it first.
  if (impl_) impl_->table.reset();
}

namespace {

// LevelDB allocates a block handle's size before it reads the block, and the
// footer has no checksum: a corrupt footer could ask for exabytes. Both
// handles (metaindex, index) must lie before the footer, trailer included.
void check_footer_handles(const std::string& path, uint64_t size) {
  std::array<unsigned char, kFooterSize> footer{};
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(size - kFooterSize));
  in.read(reinterpret_cast<char*>(footer.data()), kFooterSize);
  if (!in) fail("{}: cannot read the table footer", path);
  std::size_t pos = 0;
  auto varint = [&]() -> uint64_t {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63 && pos < 40; shift += 7) {
      unsigned char b = footer[pos++];
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    fail("{}: corrupt table: malformed block handle in the footer", path);
  };
  constexpr uint64_t kTrailer = 5;
  const uint64_t limit = size - kFooterSize;
  for (const char* block : {"metaindex", "index"}) {
    uint64_t offset = varint(), length = varint();
    if (offset > limit || length > limit - offset || kTrailer > limit - offset - length)
      fail("{}: corrupt table: the footer's {} block handle (offset {}, size {}) lies outside the {}-byte file",
           path, block, offset, length, size);
  }
}

}  // namespace

std::unique_ptr<SSTable> SSTable::open(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) fail("{}: file does not exist", path);
  if (!std::filesystem::is_regular_file(status)) fail("{}: not a regular file", path);
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) fail("{}: cannot read its size: {}", path, ec.message());
  core::refuse_lfs_pointer_file(path);
  if (size < kFooterSize)
    fail("{}: corrupt table: the file is {} bytes, less than the {}-byte table footer (truncated?)",
         path, size, kFooterSize);
  if (!has_sstable_magic(path))
    fail("{}: corrupt table: bad magic number at the end of the file (not an SSTable, or truncated)",
         path);

  check_footer_handles(path, size);

  auto impl = std::make_unique<Impl>();
  leveldb::RandomAccessFile* raw_file = nullptr;
  leveldb::Status s = leveldb::Env::Default()->NewRandomAccessFile(path, &raw_file);
  if (!s.ok()) fail("{}: cannot open: {}", path, s.ToString());
  impl->file.reset(raw_file);

  leveldb::Options options;
  options.paranoid_checks = true;  // verify the index block checksum too
  leveldb::Table* raw_table = nullptr;
  s = leveldb::Table::Open(options, impl->file.get(), size, &raw_table);
  if (!s.ok()) fail("{}: corrupt table: {}", path, s.ToString());
  impl->table.reset(raw_table);
  return std::unique_ptr<SSTable>(new SSTable(path, size, std::move(impl)));
}

void SSTable::for_each(
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(impl_->table->NewIterator(checked_reads()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) return;
  }
  if (!it->status().ok()) fail("{}: corrupt table: {}", path_, it->status().ToString());
}

std::optional<std::string> SSTable::get(std::string_view key) const {
  std::unique_ptr<leveldb::Iterator> it(impl_->table->NewIterator(checked_reads()));
  it->Seek(leveldb::Slice(key.data(), key.size()));
  if (!it->status().ok()) fail("{}: corrupt table: {}", path_, it->status().ToString());
  if (!it->Valid() || it->key() != leveldb::Slice(key.data(), key.size())) return std::nullopt;
  return it->value().ToString();
}

bool has_sstable_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  auto end = static_cast<std::streamoff>(in.tellg());
  if (end < static_cast<std::streamoff>(kFooterSize)) return false;
  std::array<unsigned char, 8> tail{};
  in.seekg(end - 8);
  in.read(reinterpret_cast<char*>(tail.data()), 8);
  return in && tail == kMagic;
}

}  // namespace tfprod::checkpoint
