// BundleWriter: writes V2 bundles byte-identical to TensorFlow's BundleWriter
// (tensorflow/core/util/tensor_bundle/tensor_bundle.cc), whose layout is:
//
//   PREFIX.data-0000N-of-0000M  tensors back to back, in the order added
//                               (data_alignment 1: no padding)
//   PREFIX.index                an SSTable (block_size 256 KiB, restart
//                               interval 16, no compression): key "" ->
//                               BundleHeaderProto{num_shards, endianness,
//                               version{producer 1}}, then every tensor name
//                               and slice key, sorted, -> BundleEntryProto
//
// TF's table builder also flushes the current block before an entry of at
// least twice the block size; libleveldb's does not, so that rule is applied
// here. Everything is written under temporary names, renamed by finish():
// data shards first, the index (which makes the bundle visible) last.
#include <fcntl.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "checkpoint/bundle_codec.h"
#include "checkpoint/data_file.h"
#include "checkpoint/slice.h"
#include "checkpoint/slice_key.h"
#include "core/crc32c.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlockSize = 262144;  // TF's table::Options default
constexpr int kRestartInterval = 16;

std::string temp_name(const std::string& path) {
  std::random_device rd;
  return fmt::format("{}.tempstate{:08x}{:08x}", path, rd(), rd());
}

}  // namespace

struct BundleWriter::Impl {
  struct Shard {
    std::string path, temp;
    int fd = -1;
    uint64_t size = 0;
  };

  std::string prefix;
  BundleWriterOptions options;
  std::vector<Shard> shards;
  std::map<std::string, tfprod::tf::BundleEntryProto> entries;
  std::size_t added = 0;  // round-robin over shards
  bool finished = false;

  void write(Shard& shard, const char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(shard.fd, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("{}: write failed: {}", shard.path, std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    shard.size += size;
  }

  void add_entry(const std::string& key, const std::string& what, const Tensor& tensor);
  void write_index();
  void remove_temporaries() noexcept;
};

BundleWriter::BundleWriter(std::string prefix, BundleWriterOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->prefix = std::move(prefix);
  impl_->options = options;
  if (options.num_shards < 1 || options.num_shards > 99999)
    fail("{}: num_shards must be between 1 and 99999, not {}", impl_->prefix, options.num_shards);
  const fs::path dir = fs::path(impl_->prefix).parent_path();
  std::error_code ec;
  if (!dir.empty()) fs::create_directories(dir, ec);
  for (int i = 0; i < options.num_shards; ++i) {
    Impl::Shard shard;
    shard.path = checkpoint::data_file_name(impl_->prefix, i, options.num_shards);
    shard.temp = temp_name(shard.path);
    shard.fd = ::open(shard.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (shard.fd < 0) {
      const int err = errno;
      impl_->remove_temporaries();
      fail("{}: cannot create: {}", shard.path, std::strerror(err));
    }
    impl_->shards.push_back(std::move(shard));
  }
}

BundleWriter::~BundleWriter() {
  if (impl_ && !impl_->finished) impl_->remove_temporaries();
}

void BundleWriter::Impl::remove_temporaries() noexcept {
  std::error_code ec;
  for (Shard& s : shards) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
    fs::remove(s.temp, ec);
  }
}

void BundleWriter::Impl::add_entry(const std::string& key, const std::string& what, const Tensor& tensor) {
  if (finished) fail("{}: {}: the bundle is already finished", prefix, what);
  if (entries.count(key)) fail("{}: {}: added twice", prefix, what);
  const int64_t n = tensor.num_elements();
  if (tensor.dtype == tfprod::tf::DT_STRING) {
    if (tensor.strings.size() != static_cast<std::size_t>(n))
      fail("{}: {}: {} strings for shape {}", prefix, what, tensor.strings.size(), shape_string(tensor.shape));
  } else {
    const std::size_t element = dtype_size(tensor.dtype);
    if (element == 0) fail("{}: {}: cannot write tensors of dtype {}", prefix, what, dtype_name(tensor.dtype));
    if (tensor.data.size() != static_cast<std::size_t>(n) * element)
      fail("{}: {}: {} bytes for shape {} of {}", prefix, what, tensor.data.size(), shape_string(tensor.shape),
           dtype_name(tensor.dtype));
  }

  const int shard_id = static_cast<int>(added % shards.size());
  Shard& shard = shards[static_cast<std::size_t>(shard_id)];
  tfprod::tf::BundleEntryProto entry;
  entry.set_dtype(tensor.dtype);
  shape_to_proto(tensor.shape, entry.mutable_shape());  // set even for scalars, as TF does
  entry.set_shard_id(shard_id);
  entry.set_offset(static_cast<int64_t>(shard.size));

  uint32_t crc = 0;
  std::size_t size = 0;
  const bool big = options.big_endian;
  if (tensor.dtype == tfprod::tf::DT_STRING) {
    const std::string bytes = checkpoint::encode_string_tensor(tensor.strings, big, &crc);
    write(shard, bytes.data(), bytes.size());
    size = bytes.size();
  } else if (big && dtype_size(tensor.dtype) > 1) {
    std::string swapped = tensor.data;
    checkpoint::byte_swap_elements(swapped.data(), swapped.size(), tensor.dtype);
    crc = crc32c::value(swapped.data(), swapped.size());
    write(shard, swapped.data(), swapped.size());
    size = swapped.size();
  } else {
    crc = crc32c::value(tensor.data.data(), tensor.data.size());
    write(shard, tensor.data.data(), tensor.data.size());
    size = tensor.data.size();
  }
  entry.set_size(static_cast<int64_t>(size));
  entry.set_crc32c(crc32c::mask(crc));
  entries.emplace(key, std::move(entry));
  ++added;
}

void BundleWriter::add(const std::string& name, const Tensor& tensor) {
  if (name.empty()) fail("{}: a tensor name must not be empty (\"\" is the header key)", impl_->prefix);
  impl_->add_entry(name, name, tensor);
}

void BundleWriter::add_slice(const std::string& name, const Shape& full_shape,
                             const std::vector<SliceExtent>& slice, const Tensor& slice_tensor) {
  const std::string what = name + "[" + checkpoint::slice_string(slice) + "]";
  if (name.empty()) fail("{}: a tensor name must not be empty", impl_->prefix);
  checkpoint::SliceBox box;
  try {
    box = checkpoint::resolve_slice(full_shape, slice);
  } catch (const Error& err) {
    fail("{}: {}: {}", impl_->prefix, what, err.what());
  }
  if (slice_tensor.shape != box.size)
    fail("{}: {}: slice tensor has shape {}, the slice is {}", impl_->prefix, what,
         shape_string(slice_tensor.shape), shape_string(box.size));
  // A slice that is the whole tensor is stored as a plain tensor (as TF does).
  if (checkpoint::covers_all(full_shape, box)) return add(name, slice_tensor);

  auto it = impl_->entries.find(name);
  if (it != impl_->entries.end()) {
    const auto& full = it->second;
    if (full.slices_size() == 0) fail("{}: {}: already added as a whole tensor", impl_->prefix, what);
    if (full.dtype() != slice_tensor.dtype || shape_from_proto(full.shape()) != full_shape)
      fail("{}: {}: earlier slices were {}{}, this one is {}{}", impl_->prefix, what, dtype_name(full.dtype()),
           shape_string(shape_from_proto(full.shape())), dtype_name(slice_tensor.dtype), shape_string(full_shape));
  }
  impl_->add_entry(checkpoint::encode_slice_key(name, slice), what, slice_tensor);
  // The full name's entry: dtype, shape and the list of slices; no data.
  auto& full = impl_->entries[name];
  full.set_dtype(slice_tensor.dtype);
  shape_to_proto(full_shape, full.mutable_shape());
  checkpoint::extents_to_proto(slice, full.add_slices());
}

void BundleWriter::Impl::write_index() {
  const std::string path = prefix + ".index";
  const std::string temp = temp_name(path);
  leveldb::WritableFile* raw = nullptr;
  leveldb::Status s = leveldb::Env::Default()->NewWritableFile(temp, &raw);
  if (!s.ok()) fail("{}: cannot create: {}", path, s.ToString());
  std::unique_ptr<leveldb::WritableFile> file(raw);

  leveldb::Options table_options;
  table_options.block_size = kBlockSize;
  table_options.block_restart_interval = kRestartInterval;
  table_options.compression = leveldb::kNoCompression;
  leveldb::TableBuilder builder(table_options, file.get());

  tfprod::tf::BundleHeaderProto header;
  header.set_num_shards(static_cast<int>(shards.size()));
  header.set_endianness(options.big_endian ? tfprod::tf::BundleHeaderProto::BIG
                                           : tfprod::tf::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(1);
  builder.Add("", header.SerializeAsString());
  for (const auto& [key, entry] : entries) {
    const std::string value = entry.SerializeAsString();
    if (key.size() + value.size() >= 2 * kBlockSize) builder.Flush();  // TF's rule
    builder.Add(key, value);
  }
  s = builder.Finish();
  if (s.ok()) s = file->Close();
  std::error_code ec;
  if (s.ok()) fs::rename(temp, path, ec);
  if (!s.ok() || ec) {
    fs::remove(temp, ec);
    fail("{}: cannot write: {}", path, s.ok() ? ec.message() : s.ToString());
  }
}

void BundleWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) fail("{}: the bundle is already finished", w.prefix);
  try {
    for (auto& shard : w.shards) {
      const int fd = shard.fd;
      shard.fd = -1;
      if (::close(fd) != 0) fail("{}: write failed: {}", shard.path, std::strerror(errno));
    }
    for (auto& shard : w.shards) {
      std::error_code ec;
      fs::rename(shard.temp, shard.path, ec);
      if (ec) fail("{}: cannot rename into place: {}", shard.path, ec.message());
    }
    w.write_index();
  } catch (...) {
    w.remove_temporaries();
    throw;
  }
  w.finished = true;
}

}  // namespace tfprod
