// Round trips through BundleWriter and the V2 reader: every dtype, strings,
// several shards, big-endian bundles and partitioned variables; plus the
// OrderedCode slice keys against the byte strings TF's format defines.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

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
using tfprod::tf::DataType;

Tensor make_tensor(DataType dtype, Shape shape, unsigned seed) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const auto n = static_cast<std::size_t>(t.num_elements());
  std::mt19937 rng(seed);
  if (dtype == tfprod::tf::DT_STRING) {
    for (std::size_t i = 0; i < n; ++i) {
      std::string s(rng() % 7 == 0 ? 300 : rng() % 12, '\0');  // some need 2-byte varints
      for (char& c : s) c = static_cast<char>(rng());
      t.strings.push_back(std::move(s));
    }
    return t;
  }
  t.data.resize(n * dtype_size(dtype));
  for (char& c : t.data) c = static_cast<char>(rng());
  if (dtype == tfprod::tf::DT_BOOL)
    for (char& c : t.data) c = static_cast<char>(c & 1);
  return t;
}

void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  EXPECT_EQ(a.dtype, b.dtype) << what;
  EXPECT_EQ(a.shape, b.shape) << what;
  EXPECT_TRUE(a.data == b.data) << what << ": data differs";
  EXPECT_EQ(a.strings, b.strings) << what;
}

const std::vector<DataType> kAllDtypes = {
    tfprod::tf::DT_FLOAT, tfprod::tf::DT_DOUBLE, tfprod::tf::DT_INT8,   tfprod::tf::DT_INT16,
    tfprod::tf::DT_INT32, tfprod::tf::DT_INT64,  tfprod::tf::DT_UINT8,  tfprod::tf::DT_UINT16,
    tfprod::tf::DT_UINT32, tfprod::tf::DT_UINT64, tfprod::tf::DT_HALF,  tfprod::tf::DT_BFLOAT16,
    tfprod::tf::DT_BOOL,  tfprod::tf::DT_STRING, tfprod::tf::DT_COMPLEX64};

std::map<std::string, Tensor> every_dtype_tensors() {
  std::map<std::string, Tensor> tensors;
  unsigned seed = 1;
  for (DataType dt : kAllDtypes) {
    const std::string base = dtype_name(dt);
    tensors[base + "/matrix"] = make_tensor(dt, {3, 5}, seed++);
    tensors[base + "/scalar"] = make_tensor(dt, {}, seed++);
    tensors[base + "/empty"] = make_tensor(dt, {0, 4}, seed++);
    tensors[base + "/cube"] = make_tensor(dt, {2, 3, 4}, seed++);
  }
  Tensor special;
  special.dtype = tfprod::tf::DT_STRING;
  special.shape = {4};
  special.strings = {"", std::string("\0\xff\x01", 3), std::string(70000, 'x'), "tail"};
  tensors["strings/special"] = special;
  return tensors;
}

void write_all(const std::string& prefix, const std::map<std::string, Tensor>& tensors,
               BundleWriterOptions options = {}) {
  BundleWriter writer(prefix, options);
  for (const auto& [name, t] : tensors) writer.add(name, t);
  writer.finish();
}

void expect_reads_back(const std::string& prefix, const std::map<std::string, Tensor>& tensors) {
  auto reader = open_bundle_v2(prefix);
  ASSERT_EQ(reader->tensors().size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const CheckpointTensorInfo* info = reader->find(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dtype, t.dtype);
    EXPECT_EQ(info->shape, t.shape);
    EXPECT_FALSE(info->partitioned);
    expect_same(reader->read(name), t, name);
  }
}

using test::slurp;

TEST(CheckpointRoundTrip, EveryDtype) {
  const std::string prefix = (test::scratch_dir() / "model.ckpt-7").string();
  const auto tensors = every_dtype_tensors();
  write_all(prefix, tensors);
  expect_reads_back(prefix, tensors);
  // No temporaries left behind.
  for (const auto& entry : fs::directory_iterator(fs::path(prefix).parent_path()))
    EXPECT_EQ(entry.path().string().find("tempstate"), std::string::npos) << entry.path();
}

TEST(CheckpointRoundTrip, ThroughResolveAndOpen) {
  const fs::path dir = test::scratch_dir();
  const auto tensors = every_dtype_tensors();
  write_all((dir / "model.ckpt-7").string(), tensors);
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt-7").string());
  EXPECT_EQ(r.step, 7);
  auto reader = open_checkpoint(r);
  EXPECT_EQ(reader->format(), CheckpointFormat::kV2);
  expect_same(reader->read("DT_HALF/cube"), tensors.at("DT_HALF/cube"), "DT_HALF/cube");
}

TEST(CheckpointRoundTrip, ThreeShards) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = (dir / "sharded").string();
  const auto tensors = every_dtype_tensors();
  write_all(prefix, tensors, {.num_shards = 3});
  for (int i = 0; i < 3; ++i) {
    const fs::path shard = dir / ("sharded.data-0000" + std::to_string(i) + "-of-00003");
    ASSERT_TRUE(fs::exists(shard)) << shard;
    EXPECT_GT(fs::file_size(shard), 0u) << shard;
  }
  EXPECT_FALSE(fs::exists(dir / "sharded.data-00000-of-00001"));
  expect_reads_back(prefix, tensors);
  // Entries really name three different shards.
  std::set<int> shards;
  checkpoint::SSTable::open(prefix + ".index")->for_each([&](std::string_view key, std::string_view value) {
    if (key.empty()) {
      tfprod::tf::BundleHeaderProto header;
      EXPECT_TRUE(header.ParseFromArray(value.data(), static_cast<int>(value.size())));
      EXPECT_EQ(header.num_shards(), 3);
    } else {
      tfprod::tf::BundleEntryProto entry;
      EXPECT_TRUE(entry.ParseFromArray(value.data(), static_cast<int>(value.size())));
      shards.insert(entry.shard_id());
    }
    return true;
  });
  EXPECT_EQ(shards, (std::set<int>{0, 1, 2}));
}

TEST(CheckpointRoundTrip, BigEndianBundle) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = (dir / "big").string();
  auto tensors = every_dtype_tensors();
  Tensor one;
  one.dtype = tfprod::tf::DT_FLOAT;
  one.shape = {};
  const float value = 1.0f;
  one.data.assign(reinterpret_cast<const char*>(&value), 4);
  tensors["!one"] = one;  // sorts first, but add() order decides the layout
  {
    BundleWriter writer(prefix, {.big_endian = true});
    writer.add("!one", one);
    for (const auto& [name, t] : tensors)
      if (name != "!one") writer.add(name, t);
    writer.finish();
  }
  // The file really holds big-endian bytes: 1.0f is 3f 80 00 00.
  EXPECT_EQ(slurp(prefix + ".data-00000-of-00001").substr(0, 4), std::string("\x3f\x80\x00\x00", 4));
  expect_reads_back(prefix, tensors);
  // Same tensors little-endian: different data bytes, same values.
  write_all((dir / "little").string(), tensors);
  EXPECT_NE(slurp(prefix + ".data-00000-of-00001"), slurp(dir / "little.data-00000-of-00001"));
}

// A [6, 4] (or other) variable split into slices, read back whole.
void partition_round_trip(DataType dtype, const Shape& shape, const std::vector<std::vector<SliceExtent>>& slices) {
  const std::string prefix = (test::scratch_dir() / "part").string();
  const Tensor full = make_tensor(dtype, shape, 42);
  const Tensor other = make_tensor(tfprod::tf::DT_INT32, {3}, 7);
  {
    BundleWriter writer(prefix);
    writer.add("a_plain", other);
    // Slices added in reverse, to show the reader does not rely on order.
    for (auto it = slices.rbegin(); it != slices.rend(); ++it) {
      Tensor piece;
      piece.dtype = dtype;
      for (std::size_t d = 0; d < shape.size(); ++d)
        piece.shape.push_back((*it)[d].length < 0 ? shape[d] : (*it)[d].length);
      // Cut the piece out of `full` element by element (independent of the
      // reader's strided copy).
      const int64_t n = piece.num_elements();
      const std::size_t element = dtype == tfprod::tf::DT_STRING ? 0 : dtype_size(dtype);
      for (int64_t i = 0; i < n; ++i) {
        int64_t rest = i, flat = 0, stride = 1;
        std::vector<int64_t> index(shape.size());
        for (std::size_t d = shape.size(); d-- > 0;) {
          index[d] = rest % piece.shape[d];
          rest /= piece.shape[d];
        }
        for (std::size_t d = shape.size(); d-- > 0;) {
          flat += ((*it)[d].length < 0 ? index[d] : (*it)[d].start + index[d]) * stride;
          stride *= shape[d];
        }
        if (element == 0)
          piece.strings.push_back(full.strings[static_cast<std::size_t>(flat)]);
        else
          piece.data.append(full.data, static_cast<std::size_t>(flat) * element, element);
      }
      writer.add_slice("z_part", shape, *it, piece);
    }
    writer.finish();
  }
  auto reader = open_bundle_v2(prefix);
  ASSERT_EQ(reader->tensors().size(), 2u);  // slice entries are not listed
  const CheckpointTensorInfo* info = reader->find("z_part");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->partitioned);
  EXPECT_EQ(info->shape, shape);
  if (dtype != tfprod::tf::DT_STRING) {
    EXPECT_EQ(info->bytes, full.data.size());
  }
  expect_same(reader->read("z_part"), full, "z_part");
  expect_same(reader->read("a_plain"), other, "a_plain");
}

TEST(CheckpointRoundTrip, PartitionedAlongDim0) {
  partition_round_trip(tfprod::tf::DT_FLOAT, {6, 4}, {{{0, 2}, {0, -1}}, {{2, 3}, {0, -1}}, {{5, 1}, {0, -1}}});
}

TEST(CheckpointRoundTrip, PartitionedAlongDim1) {
  partition_round_trip(tfprod::tf::DT_FLOAT, {6, 4}, {{{0, -1}, {0, 1}}, {{0, -1}, {1, 2}}, {{0, -1}, {3, 1}}});
}

TEST(CheckpointRoundTrip, PartitionedExplicitExtentsAndOtherDtypes) {
  partition_round_trip(tfprod::tf::DT_INT64, {4, 3, 5}, {{{0, 4}, {0, 1}, {0, 5}}, {{0, 4}, {1, 2}, {0, -1}}});
  partition_round_trip(tfprod::tf::DT_HALF, {5, 6}, {{{0, 2}, {0, 3}}, {{0, 2}, {3, 3}}, {{2, 3}, {0, -1}}});
  partition_round_trip(tfprod::tf::DT_STRING, {6, 2}, {{{0, 3}, {0, -1}}, {{3, 3}, {0, -1}}});
}

TEST(CheckpointRoundTrip, PartitionedGrid) {
  // Blocks partial in every dimension, away from the origin.
  partition_round_trip(tfprod::tf::DT_FLOAT, {5, 6},
                       {{{0, 2}, {0, 3}}, {{0, 2}, {3, 3}}, {{2, 3}, {0, 4}}, {{2, 3}, {4, 2}}});
  partition_round_trip(tfprod::tf::DT_INT16, {3, 4, 5},
                       {{{0, 1}, {0, -1}, {0, -1}}, {{1, 2}, {0, 2}, {0, 5}}, {{1, 2}, {2, 2}, {0, 2}},
                        {{1, 2}, {2, 2}, {2, 3}}});
  partition_round_trip(tfprod::tf::DT_STRING, {4, 4}, {{{0, 2}, {0, 2}}, {{0, 2}, {2, 2}}, {{2, 2}, {0, -1}}});
}

TEST(CheckpointRoundTrip, PartitionedIndexLayout) {
  const std::string prefix = (test::scratch_dir() / "layout").string();
  {
    BundleWriter writer(prefix);
    writer.add_slice("w", {4, 2}, {{0, 2}, {0, -1}}, make_tensor(tfprod::tf::DT_FLOAT, {2, 2}, 1));
    writer.add_slice("w", {4, 2}, {{2, 2}, {0, -1}}, make_tensor(tfprod::tf::DT_FLOAT, {2, 2}, 2));
    writer.finish();
  }
  std::vector<std::string> keys;
  tfprod::tf::BundleEntryProto full;
  checkpoint::SSTable::open(prefix + ".index")->for_each([&](std::string_view key, std::string_view value) {
    keys.emplace_back(key);
    if (key == "w") {
      EXPECT_TRUE(full.ParseFromArray(value.data(), static_cast<int>(value.size())));
    }
    return true;
  });
  // "", then the two slice keys (they start with 0x00), then "w".
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[1], std::string("\x00w\x00\x01\x01\x02\x80\x82\x80\x7f", 10));
  EXPECT_EQ(keys[2], std::string("\x00w\x00\x01\x01\x02\x82\x82\x80\x7f", 10));
  EXPECT_EQ(keys[3], "w");
  EXPECT_EQ(full.slices_size(), 2);
  EXPECT_EQ(full.size(), 0);  // the full entry has no data
  EXPECT_EQ(full.slices(0).extent(1).has_length_case(), tfprod::tf::TensorSliceProto::Extent::HAS_LENGTH_NOT_SET);
  EXPECT_EQ(full.slices(1).extent(0).start(), 2);
  EXPECT_EQ(full.slices(1).extent(0).length(), 2);
}

TEST(CheckpointRoundTrip, WholeTensorSliceIsStoredPlain) {
  const std::string prefix = (test::scratch_dir() / "whole").string();
  const Tensor t = make_tensor(tfprod::tf::DT_FLOAT, {3, 2}, 5);
  {
    BundleWriter writer(prefix);
    writer.add_slice("w", {3, 2}, {{0, 3}, {0, -1}}, t);
    writer.finish();
  }
  auto reader = open_bundle_v2(prefix);
  ASSERT_NE(reader->find("w"), nullptr);
  EXPECT_FALSE(reader->find("w")->partitioned);
  expect_same(reader->read("w"), t, "w");
}

TEST(CheckpointRoundTrip, WriterRefusesBadInput) {
  const std::string prefix = (test::scratch_dir() / "bad").string();
  BundleWriter writer(prefix);
  const Tensor t = make_tensor(tfprod::tf::DT_FLOAT, {2}, 1);
  writer.add("x", t);
  EXPECT_THROW(writer.add("x", t), Error);
  EXPECT_THROW(writer.add("", t), Error);
  Tensor wrong = t;
  wrong.shape = {3};
  EXPECT_THROW(writer.add("y", wrong), Error);
  EXPECT_THROW(writer.add_slice("x", {4}, {{0, 2}}, t), Error);  // already whole
  EXPECT_THROW(writer.add_slice("p", {4}, {{3, 2}}, t), Error);  // outside the shape
  EXPECT_THROW(writer.add_slice("p", {4}, {{0, 3}}, t), Error);  // wrong piece shape
  writer.finish();
  EXPECT_THROW(writer.finish(), Error);
}

TEST(CheckpointRoundTrip, UnfinishedWriterLeavesNothing) {
  const fs::path dir = test::scratch_dir();
  {
    BundleWriter writer((dir / "gone").string());
    writer.add("x", make_tensor(tfprod::tf::DT_FLOAT, {2}, 1));
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(CheckpointSliceKey, OrderedCodePrimitivesMatchTfFormat) {
  // Examples from the format's definition: 0x424242 -> f0 42 42 42,
  // -0x800 -> 38 00; one byte covers [-64, 64).
  const std::vector<std::pair<int64_t, std::string>> signed_cases = {
      {0, "\x80"},  {-1, "\x7f"},  {63, "\xbf"},  {-64, std::string("\x40", 1)},
      {64, std::string("\xc0\x40", 2)}, {0x424242, "\xf0\x42\x42\x42"}, {-0x800, std::string("\x38\x00", 2)}};
  for (const auto& [value, bytes] : signed_cases) {
    std::string out;
    checkpoint::ordered_write_signed_num_increasing(&out, value);
    EXPECT_EQ(out, bytes) << value;
  }
  std::string num;
  checkpoint::ordered_write_num_increasing(&num, 0);
  checkpoint::ordered_write_num_increasing(&num, 0x1234);
  EXPECT_EQ(num, std::string("\x00\x02\x12\x34", 4));
  std::string str;
  checkpoint::ordered_write_string(&str, std::string("a\0b\xff", 4));
  EXPECT_EQ(str, std::string("a\x00\xff" "b\xff\x00\x00\x01", 8));
}

TEST(CheckpointSliceKey, SignedNumbersRoundTripAndKeepOrder) {
  std::vector<int64_t> values = {0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193,
                                 INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, int64_t{1} << 55, -(int64_t{1} << 55)};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  std::sort(values.begin(), values.end());
  std::string previous;
  for (int64_t v : values) {
    std::string enc;
    checkpoint::ordered_write_signed_num_increasing(&enc, v);
    std::string_view in = enc;
    int64_t back = 0;
    ASSERT_TRUE(checkpoint::ordered_read_signed_num_increasing(&in, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(in.empty());
    EXPECT_LE(previous, enc) << v;  // byte order follows numeric order
    previous = enc;
  }
}

TEST(CheckpointSliceKey, EncodeDecode) {
  const std::vector<SliceExtent> extents = {{0, -1}, {1000, 24}, {0, 1}};
  const std::string name = std::string("odd\0name\xff", 10);
  const std::string key = checkpoint::encode_slice_key(name, extents);
  EXPECT_TRUE(checkpoint::is_slice_key(key));
  auto decoded = checkpoint::decode_slice_key(key);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, name);
  EXPECT_EQ(decoded->extents, extents);
  EXPECT_FALSE(checkpoint::decode_slice_key(key.substr(0, key.size() - 1)).has_value());
  EXPECT_FALSE(checkpoint::decode_slice_key(key + "x").has_value());
  EXPECT_FALSE(checkpoint::decode_slice_key("plain/name").has_value());
}

}  // namespace
}  // namespace tfprod
