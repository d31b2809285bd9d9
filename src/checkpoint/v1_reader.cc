// V1 checkpoint reader (open_checkpoint_v1): TF <= 0.12's TensorSlice format.
// One SSTable file (PREFIX) or several (PREFIX-0000N-of-0000M). In each, key
// "" holds SavedTensorSlices.meta, the list of tensors with their dtype,
// shape and stored slices; every other key is a slice key (see slice_key.h)
// whose SavedTensorSlices.data holds the slice's values in the typed *_val
// fields of a TensorProto that carries neither dtype nor shape.
//
// Every tensor is stored as slices, usually one covering everything; a
// partitioned variable has several, possibly spread over the shard files.
#include <filesystem>
#include <map>
#include <regex>

#include "checkpoint/slice.h"
#include "checkpoint/slice_key.h"
#include "checkpoint/sstable.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/tf/util/saved_tensor_slice.pb.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

namespace fs = std::filesystem;

// Number of values the typed field for `dtype` holds (complex: pairs).
int64_t value_count(const tfprod::tf::TensorProto& p, DataType dtype) {
  switch (dtype) {
    case tfprod::tf::DT_FLOAT: return p.float_val_size();
    case tfprod::tf::DT_DOUBLE: return p.double_val_size();
    case tfprod::tf::DT_INT32:
    case tfprod::tf::DT_UINT8:
    case tfprod::tf::DT_INT16:
    case tfprod::tf::DT_INT8:
    case tfprod::tf::DT_UINT16:
    case tfprod::tf::DT_QINT8:
    case tfprod::tf::DT_QUINT8:
    case tfprod::tf::DT_QINT16:
    case tfprod::tf::DT_QUINT16:
    case tfprod::tf::DT_QINT32: return p.int_val_size();
    case tfprod::tf::DT_INT64: return p.int64_val_size();
    case tfprod::tf::DT_BOOL: return p.bool_val_size();
    case tfprod::tf::DT_HALF:
    case tfprod::tf::DT_BFLOAT16: return p.half_val_size();
    case tfprod::tf::DT_COMPLEX64: return p.scomplex_val_size() / 2;
    case tfprod::tf::DT_COMPLEX128: return p.dcomplex_val_size() / 2;
    case tfprod::tf::DT_STRING: return p.string_val_size();
    case tfprod::tf::DT_UINT32: return p.uint32_val_size();
    case tfprod::tf::DT_UINT64: return p.uint64_val_size();
    default: return -1;
  }
}

// PREFIX itself, or all of PREFIX-0000N-of-0000M.
std::vector<std::string> v1_files(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  fs::path p(path);
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string base = p.filename().string();
  std::map<int, std::map<int, std::string>> by_count;  // of-M -> N -> file
  if (fs::is_directory(dir, ec)) {
    static const std::regex shard_re(R"(-(\d{5})-of-(\d{5})$)");
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      std::smatch m;
      if (name.size() != base.size() + 15 || name.compare(0, base.size(), base) != 0) continue;
      const std::string tail = name.substr(base.size());
      if (!std::regex_match(tail, m, shard_re)) continue;
      by_count[std::stoi(m[2])][std::stoi(m[1])] = (p.parent_path() / name).string();
    }
  }
  if (by_count.empty())
    fail("{}: no V1 checkpoint: neither this file nor {}-00000-of-NNNNN shards exist", path, path);
  if (by_count.size() > 1)
    fail("{}: shard files of {} different shard counts exist side by side", path, by_count.size());
  const auto& [count, shards] = *by_count.begin();
  std::vector<std::string> files;
  for (int i = 0; i < count; ++i) {
    auto it = shards.find(i);
    if (it == shards.end()) fail("{}: V1 shard {} of {} is missing", path, i, count);
    files.push_back(it->second);
  }
  return files;
}

class CheckpointReaderV1 final : public CheckpointReader {
 public:
  explicit CheckpointReaderV1(std::string path);

  CheckpointFormat format() const override { return CheckpointFormat::kV1; }
  const std::string& prefix() const override { return path_; }
  const std::vector<CheckpointTensorInfo>& tensors() const override { return tensors_; }
  const CheckpointTensorInfo* find(const std::string& name) const override;
  Tensor read(const std::string& name) const override;

 private:
  struct StoredSlice {
    std::vector<SliceExtent> extents;
    std::size_t file = 0;
  };
  Tensor read_slice(const std::string& name, DataType dtype, const StoredSlice& slice,
                    const Shape& slice_shape) const;

  std::string path_;
  std::vector<std::unique_ptr<checkpoint::SSTable>> files_;
  std::vector<CheckpointTensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
  std::vector<std::vector<StoredSlice>> slices_;  // parallel to tensors_
};

CheckpointReaderV1::CheckpointReaderV1(std::string path) : path_(std::move(path)) {
  std::map<std::string, std::pair<CheckpointTensorInfo, std::vector<StoredSlice>>> found;
  for (const std::string& file : v1_files(path_)) {
    const std::size_t index = files_.size();
    files_.push_back(checkpoint::SSTable::open(file));
    std::map<std::string, uint64_t> value_sizes;
    bool first = true;
    tfprod::tf::SavedTensorSlices meta;
    files_.back()->for_each([&](std::string_view key, std::string_view value) {
      if (first) {
        if (!key.empty() || !meta.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            !meta.has_meta())
          fail("{}: no SavedTensorSliceMeta under the first key \"\": not a V1 checkpoint", file);
        first = false;
      } else {
        value_sizes[std::string(key)] = value.size();
      }
      return true;
    });
    if (first) fail("{}: empty table: not a V1 checkpoint", file);
    for (const auto& t : meta.meta().tensor()) {
      auto& [info, stored] = found[t.name()];
      const Shape shape = shape_from_proto(t.shape());
      if (info.name.empty()) {
        info.name = t.name();
        info.dtype = t.type();
        info.shape = shape;
      } else if (info.dtype != t.type() || info.shape != shape) {
        fail("{}: {}: listed as {}{} here but {}{} in another shard", file, t.name(),
             dtype_name(t.type()), shape_string(shape), dtype_name(info.dtype), shape_string(info.shape));
      }
      for (const auto& s : t.slice()) {
        StoredSlice slice{checkpoint::extents_from_proto(s), index};
        auto it = value_sizes.find(checkpoint::encode_slice_key(t.name(), slice.extents));
        if (it != value_sizes.end()) info.bytes += it->second;
        stored.push_back(std::move(slice));
      }
    }
  }
  for (auto& [name, entry] : found) {
    auto& [info, stored] = entry;
    for (const auto& d : info.shape)
      if (d < 0) fail("{}: {}: invalid shape {}", path_, name, shape_string(info.shape));
    try {
      info.partitioned = stored.size() != 1 ||
                         !checkpoint::covers_all(info.shape, checkpoint::resolve_slice(info.shape, stored[0].extents));
    } catch (const Error& err) {
      fail("{}: {}: {}", path_, name, err.what());
    }
    by_name_.emplace(name, tensors_.size());
    tensors_.push_back(std::move(info));
    slices_.push_back(std::move(stored));
  }
}

const CheckpointTensorInfo* CheckpointReaderV1::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

Tensor CheckpointReaderV1::read_slice(const std::string& name, DataType dtype, const StoredSlice& slice,
                                      const Shape& slice_shape) const {
  const checkpoint::SSTable& file = *files_[slice.file];
  const std::string what = name + "[" + checkpoint::slice_string(slice.extents) + "]";
  auto value = file.get(checkpoint::encode_slice_key(name, slice.extents));
  if (!value) fail("{}: {}: slice listed in the metadata has no data entry", file.path(), what);
  tfprod::tf::SavedTensorSlices saved;
  if (!saved.ParseFromString(*value) || !saved.has_data())
    fail("{}: {}: corrupt data entry (not a SavedSlice)", file.path(), what);
  tfprod::tf::SavedSlice* data = saved.mutable_data();
  if (data->name() != name || checkpoint::extents_from_proto(data->slice()) != slice.extents)
    fail("{}: {}: data entry is labelled {}[{}]", file.path(), what, data->name(),
         checkpoint::slice_string(checkpoint::extents_from_proto(data->slice())));
  tfprod::tf::TensorProto* proto = data->mutable_data();
  const int64_t want = num_elements(slice_shape);
  if (proto->tensor_content().empty()) {
    const int64_t have = value_count(*proto, dtype);
    if (have < 0) fail("{}: {}: cannot read V1 tensors of dtype {}", file.path(), what, dtype_name(dtype));
    if (have != want)
      fail("{}: {}: holds {} values, shape {} needs {}", file.path(), what, have, shape_string(slice_shape),
           want);
  }
  proto->set_dtype(dtype);
  shape_to_proto(slice_shape, proto->mutable_tensor_shape());
  return tensor_from_proto(*proto, file.path() + ": " + what);
}

Tensor CheckpointReaderV1::read(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) fail("{}: {}: no such tensor in the checkpoint", path_, name);
  const CheckpointTensorInfo& info = tensors_[it->second];
  const auto& stored = slices_[it->second];
  std::vector<checkpoint::SliceBox> boxes;
  try {
    for (const auto& s : stored) boxes.push_back(checkpoint::resolve_slice(info.shape, s.extents));
    checkpoint::check_slices_tile(info.shape, boxes);
  } catch (const Error& err) {
    fail("{}: {}: {}", path_, name, err.what());
  }
  if (stored.size() == 1) return read_slice(name, info.dtype, stored[0], info.shape);
  // Every stored value takes at least one byte: a shape larger than the data
  // is corrupt metadata, refused before allocating for it.
  const int64_t n = num_elements(info.shape);
  if (static_cast<uint64_t>(n) > info.bytes)
    fail("{}: {}: shape {} has {} elements but its slices hold only {} bytes", path_, name,
         shape_string(info.shape), n, info.bytes);
  Tensor t;
  t.dtype = info.dtype;
  t.shape = info.shape;
  const std::size_t element = dtype_size(info.dtype);
  if (info.dtype == tfprod::tf::DT_STRING)
    t.strings.resize(static_cast<std::size_t>(n));
  else
    t.data.resize(static_cast<std::size_t>(n) * element);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    Tensor piece = read_slice(name, info.dtype, stored[i], boxes[i].size);
    if (info.dtype == tfprod::tf::DT_STRING)
      checkpoint::copy_slice(info.shape, boxes[i], std::move(piece.strings), t.strings);
    else
      checkpoint::copy_slice(info.shape, boxes[i], piece.data.data(), t.data.data(), element);
  }
  return t;
}

}  // namespace

std::unique_ptr<CheckpointReader> open_checkpoint_v1(const std::string& path) {
  return std::make_unique<CheckpointReaderV1>(path);
}

}  // namespace tfprod
