// Malformed checkpoints, each read by a real `tfprod freeze` (or inspect):
// one kind per test, each asserting the error it expects (see
// malformed_support.h for the contract). Graph, state-file and .npy kinds are
// in malformed_graph_test.cc; MalformedKinds.AtLeastThirty counts them all.
#include "malformed_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"

namespace tfprod::malformed {
namespace {

using MalformedCheckpoint = Malformed;

TEST_F(MalformedCheckpoint, TheUndamagedExampleFreezes) {
  auto r = test::run(test::tool("tfprod").string() + " freeze . --output softmax_tensor -o " + out().string(), dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out()));
}

const std::string kLfsPointer =
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n";

TEST_F(MalformedCheckpoint, GitLfsPointersInPlaceOfTheIndexAndTheData) {
  const std::string index_bytes = slurp(index());
  spit(index(), kLfsPointer);
  expect_freeze_rejected({"model.ckpt-1000.index", "Git LFS pointer", "git lfs pull"});
  spit(index(), index_bytes);
  spit(data(), kLfsPointer);
  expect_freeze_rejected({"model.ckpt-1000.data-00000-of-00001", "Git LFS pointer", "12345 bytes"});
}

TEST_F(MalformedCheckpoint, IndexEmpty) {
  spit(index(), "");
  expect_freeze_rejected({"model.ckpt-1000.index"});
}

TEST_F(MalformedCheckpoint, IndexTruncatedAtEveryBlockBoundary) {
  const std::string bytes = slurp(index());
  auto boundaries = block_boundaries(bytes);
  ASSERT_GE(boundaries.size(), 8u);  // data block(s), metaindex, index, footer
  for (uint64_t cut : boundaries) {
    SCOPED_TRACE(cut);
    spit(index(), bytes.substr(0, cut));
    expect_freeze_rejected({"model.ckpt-1000.index"});
    spit(index(), bytes);
  }
}

TEST_F(MalformedCheckpoint, IndexWrongMagic) {
  std::string bytes = slurp(index());
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  spit(index(), bytes);
  expect_freeze_rejected({"model.ckpt-1000.index"});
}

TEST_F(MalformedCheckpoint, IndexFooterBitFlips) {
  const std::string bytes = slurp(index());
  // The footer starts with the metaindex block's handle (which a reader may
  // ignore) then the index block's: two varints each. Flip the latter's bytes.
  std::size_t at = bytes.size() - 48;
  for (int skip = 0; skip < 2; ++skip)
    while (bytes[at++] & 0x80) {
    }
  std::vector<std::size_t> handle;
  for (int varint = 0; varint < 2; ++varint) {
    do handle.push_back(at);
    while (bytes[at++] & 0x80);
  }
  for (std::size_t at : handle) {
    SCOPED_TRACE(at);
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    spit(index(), bad);
    expect_freeze_rejected({"model.ckpt-1000.index"});
  }
}

// Found by fuzz_bundle_index: LevelDB allocated a footer handle's size
// (exabytes) before reading the block; the footer is now checked first.
TEST_F(MalformedCheckpoint, IndexFooterHandleLargerThanTheFile) {
  const std::string bytes = slurp(index());
  auto varint = [](uint64_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
    return out + static_cast<char>(v);
  };
  for (uint64_t size : {uint64_t{1} << 60, uint64_t{bytes.size()}}) {
    SCOPED_TRACE(size);
    std::string footer = varint(0) + varint(10) + varint(0) + varint(size);
    footer.resize(40, '\0');
    spit(index(), bytes.substr(0, bytes.size() - 48) + footer + bytes.substr(bytes.size() - 8));
    expect_freeze_rejected({"model.ckpt-1000.index", "index block handle", "outside"});
  }
}

TEST_F(MalformedCheckpoint, IndexBlockCrcMismatch) {
  std::string bytes = slurp(index());
  bytes[3] = static_cast<char>(bytes[3] ^ 0x10);  // inside the first data block
  spit(index(), bytes);
  expect_freeze_rejected({"model.ckpt-1000.index"});
}

TEST_F(MalformedCheckpoint, IndexIsADirectory) {
  fs::remove(index());
  fs::create_directory(index());
  expect_freeze_rejected({"model.ckpt-1000"});
}

TEST_F(MalformedCheckpoint, BundleHeaderWithZeroShards) {
  auto table = read_table(index());
  tfprod::tf::BundleHeaderProto header;
  ASSERT_TRUE(header.ParseFromString(table.at("")));
  header.set_num_shards(0);
  table[""] = header.SerializeAsString();
  write_table(index(), table);
  expect_freeze_rejected({"model.ckpt-1000.index", "num_shards 0"});
}

TEST_F(MalformedCheckpoint, BundleHeaderUnknownEndianness) {
  auto table = read_table(index());
  tfprod::tf::BundleHeaderProto header;
  ASSERT_TRUE(header.ParseFromString(table.at("")));
  header.set_endianness(static_cast<tfprod::tf::BundleHeaderProto::Endianness>(7));
  table[""] = header.SerializeAsString();
  write_table(index(), table);
  expect_freeze_rejected({"model.ckpt-1000.index", "endianness 7"});
}

TEST_F(MalformedCheckpoint, EntryThatIsNotABundleEntry) {
  auto table = read_table(index());
  table["dense/bias"] = std::string("\xff\xff\xff", 3);
  write_table(index(), table);
  expect_freeze_rejected({"model.ckpt-1000.index", "dense/bias", "corrupt entry"});
}

TEST_F(MalformedCheckpoint, EntryUnknownDtypeEnum) {
  edit_entry("dense/bias", [](auto& e) { e.set_dtype(static_cast<tfprod::tf::DataType>(77)); });
  expect_freeze_rejected({"model.ckpt-1000", "dense/bias"});
}

TEST_F(MalformedCheckpoint, EntryHugeDeclaredShape) {
  edit_entry("dense/kernel", [](auto& e) {
    e.mutable_shape()->mutable_dim(0)->set_size(int64_t{1} << 40);
    e.mutable_shape()->mutable_dim(1)->set_size(int64_t{1} << 40);
  });
  expect_freeze_rejected({"model.ckpt-1000", "dense/kernel"});
}

TEST_F(MalformedCheckpoint, EntryNegativeDimension) {
  edit_entry("dense/kernel", [](auto& e) { e.mutable_shape()->mutable_dim(0)->set_size(-3); });
  expect_freeze_rejected({"model.ckpt-1000.index", "dense/kernel", "-3"});
}

TEST_F(MalformedCheckpoint, EntryOffsetPastTheEndOfTheShard) {
  edit_entry("conv/bias", [](auto& e) { e.set_offset(int64_t{1} << 50); });
  expect_freeze_rejected({"model.ckpt-1000", "conv/bias"});
}

TEST_F(MalformedCheckpoint, EntryShardIdOutOfRange) {
  edit_entry("conv/bias", [](auto& e) { e.set_shard_id(5); });
  expect_freeze_rejected({"model.ckpt-1000.index", "conv/bias", "shard_id 5"});
}

TEST_F(MalformedCheckpoint, EntrySizeDisagreesWithShape) {
  edit_entry("conv/bias", [](auto& e) { e.set_size(3); });
  expect_freeze_rejected({"model.ckpt-1000.index", "conv/bias", "needs 16"});
}

TEST_F(MalformedCheckpoint, DataCrcMismatch) {
  std::string bytes = slurp(data());
  bytes[10] = static_cast<char>(bytes[10] ^ 0x5a);  // conv/kernel is first
  spit(data(), bytes);
  expect_freeze_rejected({"model.ckpt-1000", "conv/kernel", "crc32c mismatch"});
}

TEST_F(MalformedCheckpoint, DataTruncatedAtEveryTensorBoundary) {
  const std::string bytes = slurp(data());
  auto reader = open_bundle_v2(file("model.ckpt-1000").string());
  std::map<uint64_t, std::vector<std::string>> ends;  // end offset -> tensors ending there
  for (const auto& t : reader->tensors())
    if (t.name != "global_step") {  // freeze does not need it
      auto stored = reader->stored_bytes(t.name);
      ASSERT_TRUE(stored);
      ends[stored->offset + stored->size].push_back(t.name);
      ends[stored->offset];  // its start is a boundary too
    }
  for (const auto& [cut, unused] : ends) {
    if (cut >= ends.rbegin()->first) continue;  // every needed tensor whole
    SCOPED_TRACE(cut);
    spit(data(), bytes.substr(0, cut));
    std::string line = expect_freeze_rejected({"model.ckpt-1000"});
    bool names_a_cut_tensor = false;  // one whose bytes end past the cut
    for (const auto& [end, names] : ends)
      if (end > cut)
        for (const auto& n : names) names_a_cut_tensor |= line.find(n) != std::string::npos;
    EXPECT_TRUE(names_a_cut_tensor) << line;
    spit(data(), bytes);
  }
}

TEST_F(MalformedCheckpoint, DataShardMissing) {
  fs::remove(data());
  expect_freeze_rejected({"model.ckpt-1000.data-00000-of-00001"});
}

TEST_F(MalformedCheckpoint, DataShardIsADirectory) {
  fs::remove(data());
  fs::create_directory(data());
  expect_freeze_rejected({"model.ckpt-1000.data-00000-of-00001"});
}

// The example's tensors rewritten over two shards.
void reshard(const fs::path& dir) {
  auto reader = open_bundle_v2((dir / "model.ckpt-1000").string());
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& t : reader->tensors()) tensors.emplace_back(t.name, reader->read(t.name));
  reader.reset();
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("model.ckpt-1000.", 0) == 0) fs::remove(e.path());
  BundleWriter writer((dir / "model.ckpt-1000").string(), {.num_shards = 2});
  for (const auto& [name, t] : tensors) writer.add(name, t);
  writer.finish();
}

TEST_F(MalformedCheckpoint, ShardsSwapped) {
  reshard(dir_);
  const fs::path a = file("model.ckpt-1000.data-00000-of-00002"), b = file("model.ckpt-1000.data-00001-of-00002");
  fs::rename(a, base_ / "tmp");
  fs::rename(b, a);
  fs::rename(base_ / "tmp", b);
  expect_freeze_rejected({"model.ckpt-1000"});
}

TEST_F(MalformedCheckpoint, SecondShardMissing) {
  reshard(dir_);
  fs::remove(file("model.ckpt-1000.data-00001-of-00002"));
  expect_freeze_rejected({"model.ckpt-1000.data-00001-of-00002"});
}

TEST_F(MalformedCheckpoint, V1MetadataCorrupt) {
  write_table(file("old.ckpt"), {{"", std::string("\x0a\x05\xff\xff", 4)}});
  expect_rejected("freeze graph.pbtxt --checkpoint old.ckpt --output softmax_tensor -o " + out().string(),
                  {"old.ckpt"}, out());
}

TEST_F(MalformedCheckpoint, InspectRefusesADamagedIndexToo) {
  std::string bytes = slurp(index());
  spit(index(), bytes.substr(0, bytes.size() / 2));
  expect_rejected("inspect model.ckpt-1000", {"model.ckpt-1000.index"}, out());
}

}  // namespace
}  // namespace tfprod::malformed
