// Bundle data reads through a fuzzed index entry: the input is one
// BundleEntryProto, stored under the key "t" in an otherwise valid index
// whose header names one shard (the seed bundle's data file, fuzz_util.h).
// Reading "t" must check dtype, shape, offset, size and crc before trusting
// them.
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include "fuzz_util.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

namespace {
std::string g_header;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tfprod::fuzz::write_seed_bundle((tfprod::fuzz::scratch() / "fz").string(), 0);
  tfprod::tf::BundleHeaderProto header;
  header.set_num_shards(1);
  header.mutable_version()->set_producer(1);
  g_header = header.SerializeAsString();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string index = (tfprod::fuzz::scratch() / "fz.index").string();
  leveldb::WritableFile* file = nullptr;
  if (!leveldb::Env::Default()->NewWritableFile(index, &file).ok()) __builtin_trap();
  {
    leveldb::Options options;
    options.compression = leveldb::kNoCompression;
    leveldb::TableBuilder builder(options, file);
    builder.Add("", g_header);
    builder.Add("t", leveldb::Slice(reinterpret_cast<const char*>(data), size));
    if (!builder.Finish().ok() || !file->Close().ok()) __builtin_trap();
  }
  delete file;
  tfprod::fuzz::guarded([&] {
    auto reader = tfprod::open_bundle_v2((tfprod::fuzz::scratch() / "fz").string());
    const tfprod::CheckpointTensorInfo* info = reader->find("t");
    if (!info) return;
    auto stored = reader->stored_bytes("t");
    tfprod::Tensor t = reader->read("t");
    if (t.dtype != info->dtype || t.shape != info->shape) __builtin_trap();
    if (stored && stored->size != t.data.size()) __builtin_trap();
  });
  return 0;
}
