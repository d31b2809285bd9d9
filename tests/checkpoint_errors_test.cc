// Damaged and hostile checkpoints: every failure is an Error whose text names
// the file and, where there is one, the tensor; nothing is allocated for
// sizes the files cannot back, and intact tensors stay readable.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "checkpoint/slice_key.h"
#include "checkpoint/sstable.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using Entries = std::map<std::string, std::string>;

Tensor floats(Shape shape, float start) {
  Tensor t;
  t.dtype = tfprod::tf::DT_FLOAT;
  t.shape = std::move(shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const float v = start + static_cast<float>(i);
    t.data.append(reinterpret_cast<const char*>(&v), 4);
  }
  return t;
}

// "a" (4 floats), "victim" (1000 floats), "words" (strings), "z" (4 floats).
std::string make_bundle(const fs::path& dir, BundleWriterOptions options = {}) {
  const std::string prefix = (dir / "model.ckpt-9").string();
  Tensor words;
  words.dtype = tfprod::tf::DT_STRING;
  words.shape = {3};
  words.strings = {"alpha", "beta", "gamma"};
  BundleWriter writer(prefix, options);
  writer.add("a", floats({4}, 0));
  writer.add("victim", floats({10, 100}, 1));
  writer.add("words", words);
  writer.add("z", floats({2, 2}, 5));
  writer.finish();
  return prefix;
}

using test::slurp;
void spit(const fs::path& p, const std::string& bytes) {
  if (fs::exists(p)) fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

Entries entries_of(const std::string& index) {
  Entries e;
  checkpoint::SSTable::open(index)->for_each([&](std::string_view k, std::string_view v) {
    e.emplace(k, v);
    return true;
  });
  return e;
}

void write_table(const std::string& path, const Entries& entries) {
  leveldb::WritableFile* file = nullptr;
  ASSERT_TRUE(leveldb::Env::Default()->NewWritableFile(path, &file).ok());
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  leveldb::TableBuilder builder(options, file);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  ASSERT_TRUE(builder.Finish().ok());
  ASSERT_TRUE(file->Close().ok());
  delete file;
}

tfprod::tf::BundleEntryProto entry_of(const Entries& entries, const std::string& key) {
  tfprod::tf::BundleEntryProto e;
  EXPECT_TRUE(e.ParseFromString(entries.at(key)));
  return e;
}

// Runs fn, expecting an Error whose text contains every one of `parts`.
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    std::printf("  error: %s\n", msg.c_str());
    return;
  }
  ADD_FAILURE() << "no Error thrown";
}

TEST(CheckpointErrors, MissingFiles) {
  const fs::path dir = test::scratch_dir();
  expect_error([&] { open_bundle_v2((dir / "nope").string()); }, {(dir / "nope.index").string(), "does not exist"});
  expect_error([&] { open_checkpoint_v1((dir / "nope").string()); }, {(dir / "nope").string(), "no V1 checkpoint"});
  expect_error([&] { resolve_checkpoint(dir / "nope"); }, {(dir / "nope").string(), "no checkpoint found"});
}

TEST(CheckpointErrors, TruncatedIndex) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  const std::string index = slurp(prefix + ".index");
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{10}, std::size_t{47}, std::size_t{48},
                           index.size() / 2, index.size() - 8, index.size() - 1}) {
    SCOPED_TRACE(size);
    spit(prefix + ".index", index.substr(0, size));
    expect_error([&] { open_bundle_v2(prefix); }, {prefix + ".index", "corrupt table"});
  }
  spit(prefix + ".index", index);
  EXPECT_EQ(open_bundle_v2(prefix)->tensors().size(), 4u);
}

TEST(CheckpointErrors, CorpusIndexTruncated) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::copy_case("anpr_estimator");
  const std::string prefix = (dir / "model.ckpt-20000").string();
  const std::string index = slurp(prefix + ".index");
  for (std::size_t size : {std::size_t{40}, std::size_t{200}, index.size() - 1}) {
    spit(prefix + ".index", index.substr(0, size));
    expect_error([&] { resolve_checkpoint(dir); open_bundle_v2(prefix); }, {"model.ckpt-20000.index", "corrupt table"});
  }
}

TEST(CheckpointErrors, CorruptIndexBlock) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  std::string index = slurp(prefix + ".index");
  index[20] ^= 0x01;  // inside the first data block
  spit(prefix + ".index", index);
  expect_error([&] { open_bundle_v2(prefix); }, {prefix + ".index", "corrupt table", "checksum"});
}

TEST(CheckpointErrors, WrongMagic) {
  const fs::path dir = test::scratch_dir();
  spit(dir / "x.index", std::string(100, 'x'));
  expect_error([&] { open_bundle_v2((dir / "x").string()); }, {(dir / "x.index").string(), "bad magic"});
  std::string tail = slurp(make_bundle(dir) + ".index");
  tail.back() ^= 0x40;
  spit(dir / "model.ckpt-9.index", tail);
  expect_error([&] { open_bundle_v2((dir / "model.ckpt-9").string()); }, {"model.ckpt-9.index", "bad magic"});
}

TEST(CheckpointErrors, FlippedDataByteNamesTheTensor) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  const std::string data_path = prefix + ".data-00000-of-00001";
  const auto victim = entry_of(entries_of(prefix + ".index"), "victim");
  std::string data = slurp(data_path);
  data[static_cast<std::size_t>(victim.offset() + victim.size() / 2)] ^= 0x10;
  spit(data_path, data);
  auto reader = open_bundle_v2(prefix);
  expect_error([&] { reader->read("victim"); }, {data_path, "victim", "crc32c mismatch"});
  EXPECT_EQ(reader->read("a").data.size(), 16u);  // the others are intact
  EXPECT_EQ(reader->read("z").data.size(), 16u);
  EXPECT_EQ(reader->read("words").strings.size(), 3u);
}

TEST(CheckpointErrors, FlippedStringBytesNameTheTensor) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  const std::string data_path = prefix + ".data-00000-of-00001";
  const auto words = entry_of(entries_of(prefix + ".index"), "words");
  const std::string original = slurp(data_path);
  // A length byte (caught by the lengths checksum), then a string byte.
  for (int64_t at : {words.offset(), words.offset() + words.size() - 2}) {
    std::string data = original;
    data[static_cast<std::size_t>(at)] ^= 0x01;
    spit(data_path, data);
    expect_error([&] { open_bundle_v2(prefix)->read("words"); }, {data_path, "words", "crc32c mismatch"});
  }
}

TEST(CheckpointErrors, EntryPastTheEndOfItsShard) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  const std::string data_path = prefix + ".data-00000-of-00001";
  const std::string data = slurp(data_path);
  spit(data_path, data.substr(0, data.size() - 3));  // cuts into "z"
  auto reader = open_bundle_v2(prefix);
  expect_error([&] { reader->read("z"); }, {data_path, "z: entry points past the end"});
  EXPECT_EQ(reader->read("victim").data.size(), 4000u);
}

TEST(CheckpointErrors, HugeEntryIsRefusedBeforeAllocating) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  Entries entries = entries_of(prefix + ".index");
  auto e = entry_of(entries, "victim");
  e.mutable_shape()->Clear();
  e.mutable_shape()->add_dim()->set_size(int64_t{1} << 40);  // 4 TiB of floats
  e.set_size(int64_t{4} << 40);
  entries["victim"] = e.SerializeAsString();
  auto w = entry_of(entries, "a");
  w.set_size(8);  // shape [4] of float needs 16
  entries["a"] = w.SerializeAsString();
  write_table(prefix + ".index", entries);
  auto reader = open_bundle_v2(prefix);
  expect_error([&] { reader->read("victim"); }, {prefix + ".data-00000-of-00001", "victim", "past the end"});
  expect_error([&] { reader->read("a"); }, {prefix + ".index", "a: entry holds 8 bytes", "needs 16"});
}

TEST(CheckpointErrors, MissingShardNamesFileAndTensor) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir, {.num_shards = 3});
  fs::remove(prefix + ".data-00001-of-00003");  // holds "victim", the second added
  auto reader = open_bundle_v2(prefix);
  expect_error([&] { reader->read("victim"); }, {prefix + ".data-00001-of-00003", "victim", "cannot open"});
  EXPECT_EQ(reader->read("a").data.size(), 16u);
  EXPECT_EQ(reader->read("words").strings.size(), 3u);
}

TEST(CheckpointErrors, UnknownTensor) {
  auto reader = open_bundle_v2(make_bundle(test::scratch_dir()));
  expect_error([&] { reader->read("no/such"); }, {"model.ckpt-9.index", "no/such", "no such tensor"});
}

TEST(CheckpointErrors, BadHeaders) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = make_bundle(dir);
  const Entries good = entries_of(prefix + ".index");
  auto with_header = [&](const std::function<void(tfprod::tf::BundleHeaderProto&)>& edit) {
    Entries entries = good;
    tfprod::tf::BundleHeaderProto h;
    EXPECT_TRUE(h.ParseFromString(entries.at("")));
    edit(h);
    entries[""] = h.SerializeAsString();
    write_table(prefix + ".index", entries);
  };
  with_header([](auto& h) { h.set_num_shards(0); });
  expect_error([&] { open_bundle_v2(prefix); }, {prefix + ".index", "num_shards 0"});
  with_header([](auto& h) { h.mutable_version()->set_min_consumer(7); });
  expect_error([&] { open_bundle_v2(prefix); }, {prefix + ".index", "newer TensorFlow"});
  Entries headless = good;
  headless.erase("");
  write_table(prefix + ".index", headless);
  expect_error([&] { open_bundle_v2(prefix); }, {prefix + ".index", "not a V2 checkpoint index"});
  Entries wrong_shard = good;
  auto z = entry_of(good, "z");
  z.set_shard_id(4);
  wrong_shard["z"] = z.SerializeAsString();
  write_table(prefix + ".index", wrong_shard);
  expect_error([&] { open_bundle_v2(prefix)->read("z"); }, {prefix + ".index", "z: shard_id 4 is out of range"});
}

TEST(CheckpointErrors, PartitionedVariableWithMissingSlice) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = (dir / "part").string();
  {
    BundleWriter writer(prefix);
    writer.add_slice("w", {4, 2}, {{0, 2}, {0, -1}}, floats({2, 2}, 0));
    writer.add_slice("w", {4, 2}, {{2, 2}, {0, -1}}, floats({2, 2}, 4));
    writer.finish();
  }
  Entries entries = entries_of(prefix + ".index");
  ASSERT_EQ(entries.erase(checkpoint::encode_slice_key("w", {{2, 2}, {0, -1}})), 1u);
  write_table(prefix + ".index", entries);
  auto reader = open_bundle_v2(prefix);
  EXPECT_TRUE(reader->find("w")->partitioned);
  expect_error([&] { reader->read("w"); }, {prefix + ".index", "w: slice 2,2:- is listed but has no entry"});

  // Slices that leave a hole.
  {
    BundleWriter writer(prefix);
    writer.add_slice("w", {4, 2}, {{0, 2}, {0, -1}}, floats({2, 2}, 0));
    writer.finish();
  }
  expect_error([&] { open_bundle_v2(prefix)->read("w"); }, {prefix + ".index", "w: partitioned variable", "cover 4 of the 8"});
}

TEST(CheckpointErrors, CorruptV1File) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::copy_case("v1_checkpoint_mlp_tf012");
  const fs::path file = dir / "model.ckpt";
  std::string bytes = slurp(file);
  bytes[100] ^= 0x04;
  spit(file, bytes);
  expect_error([&] { open_checkpoint_v1(file.string()); }, {file.string(), "corrupt table"});
  spit(file, bytes.substr(0, 1000));
  expect_error([&] { open_checkpoint(resolve_checkpoint(dir)); }, {file.string(), "not a V1 checkpoint file", "truncated"});
}

}  // namespace
}  // namespace tfprod
