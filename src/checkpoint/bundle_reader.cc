// V2 checkpoint reader (open_bundle_v2): PREFIX.index is an SSTable whose ""
// key holds a BundleHeaderProto and whose other keys map tensor names (and
// encoded slice keys) to BundleEntryProtos; the bytes live in
// PREFIX.data-0000N-of-0000M at (shard_id, offset, size).
//
// The whole index is parsed at open (it is small). Data shards are opened on
// first use and read with pread, so read() may run on several threads.
// Every read checks the entry against the shard size before allocating and
// verifies the crc32c; partitioned variables are reassembled from the slices
// listed in the full name's entry.
#include <map>
#include <mutex>

#include "checkpoint/bundle_codec.h"
#include "checkpoint/data_file.h"
#include "checkpoint/slice.h"
#include "checkpoint/slice_key.h"
#include "checkpoint/sstable.h"
#include "core/crc32c.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

using tfprod::tf::BundleEntryProto;
using tfprod::tf::BundleHeaderProto;

// The bundle format version this reader understands (TF's kTensorBundleVersion).
constexpr int kBundleVersion = 1;

// A printable name for a table key: slice keys are binary.
std::string key_for_message(std::string_view key) {
  if (!checkpoint::is_slice_key(key)) return std::string(key);
  if (auto decoded = checkpoint::decode_slice_key(key))
    return decoded->name + "[" + checkpoint::slice_string(decoded->extents) + "]";
  return "<undecodable slice key>";
}

class BundleReaderV2 final : public CheckpointReader {
 public:
  explicit BundleReaderV2(std::string prefix);

  CheckpointFormat format() const override { return CheckpointFormat::kV2; }
  const std::string& prefix() const override { return prefix_; }
  const std::vector<CheckpointTensorInfo>& tensors() const override { return tensors_; }
  const CheckpointTensorInfo* find(const std::string& name) const override;
  Tensor read(const std::string& name) const override;
  std::optional<StoredBytes> stored_bytes(const std::string& name) const override;

 private:
  void read_header(std::string_view value);
  const BundleEntryProto& entry(const std::string& key, const std::string& what) const;
  const checkpoint::DataFile& shard(const BundleEntryProto& entry, const std::string& what) const;
  // Checks the entry's size against its shape and its shard; returns the shard.
  const checkpoint::DataFile& check_entry(const BundleEntryProto& entry, int64_t n,
                                          const std::string& what) const;
  Tensor read_entry(const BundleEntryProto& entry, const std::string& what) const;
  Tensor read_partitioned(const std::string& name, const BundleEntryProto& entry) const;

  std::string prefix_;
  std::string index_path_;
  int num_shards_ = 1;
  bool big_endian_ = false;
  std::map<std::string, BundleEntryProto> entries_;  // every key but ""
  std::vector<CheckpointTensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;

  mutable std::mutex shards_mutex_;
  mutable std::vector<std::unique_ptr<checkpoint::DataFile>> shards_;
};

BundleReaderV2::BundleReaderV2(std::string prefix)
    : prefix_(std::move(prefix)), index_path_(prefix_ + ".index") {
  auto table = checkpoint::SSTable::open(index_path_);
  bool first = true;
  table->for_each([&](std::string_view key, std::string_view value) {
    if (first) {
      if (!key.empty())
        fail("{}: the first key is \"{}\", not the bundle header \"\": not a V2 checkpoint index",
             index_path_, key_for_message(key));
      read_header(value);
      first = false;
      return true;
    }
    BundleEntryProto e;
    if (!e.ParseFromArray(value.data(), static_cast<int>(value.size())))
      fail("{}: {}: corrupt entry (not a BundleEntryProto)", index_path_, key_for_message(key));
    for (const auto& d : e.shape().dim())
      if (d.size() < 0)
        fail("{}: {}: invalid shape with dimension {}", index_path_, key_for_message(key), d.size());
    entries_.emplace(std::string(key), std::move(e));
    return true;
  });
  if (first) fail("{}: empty table: no bundle header", index_path_);
  shards_.resize(static_cast<std::size_t>(num_shards_));

  for (const auto& [key, e] : entries_) {
    if (checkpoint::is_slice_key(key)) continue;
    CheckpointTensorInfo info;
    info.name = key;
    info.dtype = e.dtype();
    info.shape = shape_from_proto(e.shape());
    info.partitioned = e.slices_size() > 0;
    if (!info.partitioned) {
      info.bytes = static_cast<uint64_t>(e.size());
    } else {
      for (const auto& s : e.slices()) {
        auto it = entries_.find(checkpoint::encode_slice_key(key, checkpoint::extents_from_proto(s)));
        if (it != entries_.end()) info.bytes += static_cast<uint64_t>(it->second.size());
      }
    }
    by_name_.emplace(key, tensors_.size());
    tensors_.push_back(std::move(info));
  }
}

void BundleReaderV2::read_header(std::string_view value) {
  BundleHeaderProto header;
  if (!header.ParseFromArray(value.data(), static_cast<int>(value.size())))
    fail("{}: corrupt bundle header", index_path_);
  if (header.num_shards() < 1 || header.num_shards() > 99999)
    fail("{}: bundle header has num_shards {}", index_path_, header.num_shards());
  num_shards_ = header.num_shards();
  if (header.endianness() != BundleHeaderProto::LITTLE && header.endianness() != BundleHeaderProto::BIG)
    fail("{}: bundle header has unknown endianness {}", index_path_, static_cast<int>(header.endianness()));
  big_endian_ = header.endianness() == BundleHeaderProto::BIG;
  const auto& v = header.version();
  if (v.min_consumer() > kBundleVersion)
    fail("{}: written by a newer TensorFlow: needs a reader of bundle version {} or later (this one "
         "is {})",
         index_path_, v.min_consumer(), kBundleVersion);
  for (int bad : v.bad_consumers())
    if (bad == kBundleVersion)
      fail("{}: the bundle disallows readers of version {}", index_path_, kBundleVersion);
}

const CheckpointTensorInfo* BundleReaderV2::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

const BundleEntryProto& BundleReaderV2::entry(const std::string& key, const std::string& what) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) fail("{}: {}: no such tensor in the checkpoint", index_path_, what);
  return it->second;
}

const checkpoint::DataFile& BundleReaderV2::shard(const BundleEntryProto& e, const std::string& what) const {
  if (e.shard_id() < 0 || e.shard_id() >= num_shards_)
    fail("{}: {}: shard_id {} is out of range: the bundle has {} shard(s)", index_path_, what,
         e.shard_id(), num_shards_);
  std::lock_guard lock(shards_mutex_);
  auto& file = shards_[static_cast<std::size_t>(e.shard_id())];
  if (!file)
    file = std::make_unique<checkpoint::DataFile>(
        checkpoint::data_file_name(prefix_, e.shard_id(), num_shards_), what);
  return *file;
}

Tensor BundleReaderV2::read(const std::string& name) const {
  const BundleEntryProto& e = entry(name, name);
  if (e.slices_size() > 0) return read_partitioned(name, e);
  return read_entry(e, name);
}

std::optional<StoredBytes> BundleReaderV2::stored_bytes(const std::string& name) const {
  const BundleEntryProto& e = entry(name, name);
  if (e.slices_size() > 0 || big_endian_ || dtype_size(e.dtype()) == 0) return std::nullopt;
  int64_t n = 0;
  try {
    n = num_elements(shape_from_proto(e.shape()));
  } catch (const Error& err) {
    fail("{}: {}: {}", index_path_, name, err.what());
  }
  const checkpoint::DataFile& file = check_entry(e, n, name);
  return StoredBytes{file.path(), static_cast<uint64_t>(e.offset()), static_cast<uint64_t>(e.size()),
                     crc32c::unmask(e.crc32c())};
}

const checkpoint::DataFile& BundleReaderV2::check_entry(const BundleEntryProto& e, int64_t n,
                                                        const std::string& what) const {
  if (e.offset() < 0 || e.size() < 0)
    fail("{}: {}: negative offset {} or size {}", index_path_, what, e.offset(), e.size());
  const auto size = static_cast<uint64_t>(e.size());
  if (e.dtype() == tfprod::tf::DT_STRING) {
    // Every element has at least a one-byte length.
    if (static_cast<uint64_t>(n) > size)
      fail("{}: {}: {} strings cannot fit in an entry of {} bytes", index_path_, what, n, size);
  } else {
    const std::size_t element = dtype_size(e.dtype());
    if (element == 0) fail("{}: {}: cannot read tensors of dtype {}", index_path_, what, dtype_name(e.dtype()));
    if (static_cast<uint64_t>(n) > size / element || static_cast<uint64_t>(n) * element != size)
      fail("{}: {}: entry holds {} bytes but shape {} of {} needs {}", index_path_, what, size,
           shape_string(shape_from_proto(e.shape())), dtype_name(e.dtype()),
           static_cast<uint64_t>(n) * element);
  }
  const checkpoint::DataFile& file = shard(e, what);
  file.check_range(static_cast<uint64_t>(e.offset()), size, what);
  return file;
}

Tensor BundleReaderV2::read_entry(const BundleEntryProto& e, const std::string& what) const {
  Tensor t;
  t.dtype = e.dtype();
  t.shape = shape_from_proto(e.shape());
  int64_t n = 0;
  try {
    n = t.num_elements();
  } catch (const Error& err) {
    fail("{}: {}: {}", index_path_, what, err.what());
  }
  const checkpoint::DataFile& file = check_entry(e, n, what);
  const auto offset = static_cast<uint64_t>(e.offset());
  const auto size = static_cast<uint64_t>(e.size());
  const uint32_t stored_crc = crc32c::unmask(e.crc32c());
  uint32_t crc = 0;

  if (t.dtype == tfprod::tf::DT_STRING) {
    std::string bytes(static_cast<std::size_t>(size), '\0');
    file.read(offset, bytes.size(), bytes.data(), what);
    t.strings = checkpoint::decode_string_tensor(bytes, n, big_endian_, &crc, file.path() + ": " + what);
  } else {
    t.data = checkpoint::allocate_tensor_buffer(static_cast<std::size_t>(size));  // filled by pread
    crc = file.read(offset, t.data.size(), t.data.data(), what);
  }
  if (crc != stored_crc)
    fail("{}: {}: crc32c mismatch (stored {:08x}, computed {:08x}): the data file is corrupt",
         file.path(), what, stored_crc, crc);
  if (big_endian_ && !t.data.empty()) checkpoint::byte_swap_elements(t.data.data(), t.data.size(), t.dtype);
  return t;
}

Tensor BundleReaderV2::read_partitioned(const std::string& name, const BundleEntryProto& full) const {
  const Shape full_shape = shape_from_proto(full.shape());
  struct Part {
    checkpoint::SliceBox box;
    const BundleEntryProto* entry;
    std::string what;
  };
  std::vector<Part> parts;
  std::vector<checkpoint::SliceBox> boxes;
  for (const auto& proto : full.slices()) {
    const auto extents = checkpoint::extents_from_proto(proto);
    const std::string what = name + "[" + checkpoint::slice_string(extents) + "]";
    checkpoint::SliceBox box;
    try {
      box = checkpoint::resolve_slice(full_shape, extents);
    } catch (const Error& err) {
      fail("{}: {}: {}", index_path_, name, err.what());
    }
    auto it = entries_.find(checkpoint::encode_slice_key(name, extents));
    if (it == entries_.end())
      fail("{}: {}: slice {} is listed but has no entry in the index", index_path_, name,
           checkpoint::slice_string(extents));
    const BundleEntryProto& se = it->second;
    if (se.dtype() != full.dtype() || shape_from_proto(se.shape()) != box.size)
      fail("{}: {}: slice entry is {}{}, expected {}{}", index_path_, what, dtype_name(se.dtype()),
           shape_string(shape_from_proto(se.shape())), dtype_name(full.dtype()), shape_string(box.size));
    // Sizes and bounds first, so the full tensor is only allocated for data
    // that is really there.
    check_entry(se, num_elements(box.size), what);
    boxes.push_back(box);
    parts.push_back({std::move(box), &se, what});
  }
  try {
    checkpoint::check_slices_tile(full_shape, boxes);
  } catch (const Error& err) {
    fail("{}: {}: partitioned variable: {}", index_path_, name, err.what());
  }

  if (parts.size() == 1) {  // a single slice covering everything
    Tensor t = read_entry(*parts[0].entry, parts[0].what);
    t.shape = full_shape;
    return t;
  }
  Tensor t;
  t.dtype = full.dtype();
  t.shape = full_shape;
  const int64_t n = t.num_elements();
  const std::size_t element = dtype_size(t.dtype);
  if (t.dtype == tfprod::tf::DT_STRING)
    t.strings.resize(static_cast<std::size_t>(n));
  else
    t.data = checkpoint::allocate_tensor_buffer(static_cast<std::size_t>(n) * element);
  for (auto& part : parts) {
    Tensor piece = read_entry(*part.entry, part.what);
    if (t.dtype == tfprod::tf::DT_STRING)
      checkpoint::copy_slice(full_shape, part.box, std::move(piece.strings), t.strings);
    else
      checkpoint::copy_slice(full_shape, part.box, piece.data.data(), t.data.data(), element);
  }
  return t;
}

}  // namespace

std::unique_ptr<CheckpointReader> open_bundle_v2(const std::string& prefix) {
  return std::make_unique<BundleReaderV2>(prefix);
}

}  // namespace tfprod
