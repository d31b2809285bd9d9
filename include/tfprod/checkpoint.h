// Reading TensorFlow checkpoints: V2 bundles (PREFIX.index + PREFIX.data-*)
// and V1 TensorSlice files, behind one interface; the `checkpoint` state file;
// and resolution of whatever the user points at to one checkpoint prefix.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tfprod/tensor.h"

namespace tfprod {

enum class CheckpointFormat { kV1, kV2 };

struct CheckpointTensorInfo {
  std::string name;
  DataType dtype = tfprod::tf::DT_INVALID;
  Shape shape;
  bool partitioned = false;  // stored as slices, reassembled by read()
  uint64_t bytes = 0;        // stored bytes (all slices together)
};

// Where a tensor's raw little-endian bytes lie in a data file, for writers
// that copy them straight from the file instead of holding them in memory.
struct StoredBytes {
  std::string file;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t crc32c = 0;  // unmasked crc32c of the bytes, to verify while copying
};

class CheckpointReader {
 public:
  virtual ~CheckpointReader() = default;

  virtual CheckpointFormat format() const = 0;
  // The prefix (V2) or file path (V1) this reader was opened on.
  virtual const std::string& prefix() const = 0;
  // Every tensor by its full name, sorted; slice entries are not listed apart.
  virtual const std::vector<CheckpointTensorInfo>& tensors() const = 0;
  // nullptr when absent.
  virtual const CheckpointTensorInfo* find(const std::string& name) const = 0;
  // The full tensor: crc32c verified, byte-swapped from a big-endian bundle,
  // partitioned variables reassembled. Throws Error naming file and tensor.
  virtual Tensor read(const std::string& name) const = 0;
  // Where the tensor's bytes lie, when they can be copied verbatim: stored
  // whole (not partitioned), fixed-size dtype, little-endian, size and bounds
  // already checked. nullopt otherwise (then use read()).
  virtual std::optional<StoredBytes> stored_bytes(const std::string& name) const { return std::nullopt; }
};

// Opens a V2 bundle given its prefix.
std::unique_ptr<CheckpointReader> open_bundle_v2(const std::string& prefix);
// Opens a V1 checkpoint given its file path or sharded pattern prefix
// (PREFIX-0000N-of-0000M files are found from PREFIX).
std::unique_ptr<CheckpointReader> open_checkpoint_v1(const std::string& path);

// The `checkpoint` text file of a training directory.
struct CheckpointState {
  std::string model_checkpoint_path;             // as written
  std::vector<std::string> all_model_checkpoint_paths;
};
CheckpointState read_checkpoint_state(const std::filesystem::path& file);

struct ResolvedCheckpoint {
  std::string prefix;                 // usable path prefix on this machine
  CheckpointFormat format = CheckpointFormat::kV2;
  std::optional<int64_t> step;        // from a "-N" suffix of the prefix
  std::vector<std::string> notes;     // things the user should be told
};

// A directory means its latest checkpoint (from its `checkpoint` file, whose
// paths may be relative, absolute, or absolute on another machine such as
// Windows paths: then the file name inside the directory is used; or, without
// a state file, the highest-step bundle in it). Otherwise a prefix: V2 when
// PREFIX.index exists, V1 when PREFIX (or PREFIX-00000-of-N) is a V1 file; both
// present -> V2, with a note. Throws Error naming what is missing.
ResolvedCheckpoint resolve_checkpoint(const std::filesystem::path& path);

// resolve_checkpoint + open the right reader.
std::unique_ptr<CheckpointReader> open_checkpoint(const ResolvedCheckpoint& resolved);

}  // namespace tfprod
