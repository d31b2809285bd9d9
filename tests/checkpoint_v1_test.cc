// V1 (TensorSlice) checkpoints built here with libleveldb's table builder
// the way TF's TensorSliceWriter lays them out: key "" -> the metadata, one
// key per slice -> a SavedSlice whose TensorProto has only typed values.
// Covers every value field, partitioned variables spread over shard files,
// and malformed files.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "checkpoint/slice.h"
#include "checkpoint/slice_key.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/tf/util/saved_tensor_slice.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using tfprod::tf::DataType;
using tfprod::tf::TensorProto;

struct V1Slice {
  std::vector<SliceExtent> extents;
  TensorProto values;  // typed *_val fields only, as TF writes them
};
struct V1Var {
  std::string name;
  DataType dtype;
  Shape shape;
  std::vector<V1Slice> slices;  // the ones stored in this file
};

void write_v1(const std::string& path, const std::vector<V1Var>& vars) {
  std::map<std::string, std::string> table;
  tfprod::tf::SavedTensorSlices meta;
  meta.mutable_meta()->mutable_versions()->set_producer(1);
  for (const V1Var& var : vars) {
    auto* m = meta.mutable_meta()->add_tensor();
    m->set_name(var.name);
    m->set_type(var.dtype);
    shape_to_proto(var.shape, m->mutable_shape());
    for (const V1Slice& s : var.slices) {
      checkpoint::extents_to_proto(s.extents, m->add_slice());
      tfprod::tf::SavedTensorSlices data;
      data.mutable_data()->set_name(var.name);
      checkpoint::extents_to_proto(s.extents, data.mutable_data()->mutable_slice());
      *data.mutable_data()->mutable_data() = s.values;
      table[checkpoint::encode_slice_key(var.name, s.extents)] = data.SerializeAsString();
    }
  }
  table[""] = meta.SerializeAsString();
  leveldb::WritableFile* file = nullptr;
  ASSERT_TRUE(leveldb::Env::Default()->NewWritableFile(path, &file).ok());
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  leveldb::TableBuilder builder(options, file);
  for (const auto& [k, v] : table) builder.Add(k, v);
  ASSERT_TRUE(builder.Finish().ok());
  ASSERT_TRUE(file->Close().ok());
  delete file;
}

template <class T>
std::vector<T> values_of(const Tensor& t) {
  std::vector<T> v(t.data.size() / sizeof(T));
  std::memcpy(v.data(), t.data.data(), v.size() * sizeof(T));
  return v;
}

TensorProto floats(std::initializer_list<float> v) {
  TensorProto p;
  for (float x : v) p.add_float_val(x);
  return p;
}

TEST(CheckpointV1, EveryValueField) {
  const std::string path = (test::scratch_dir() / "model.ckpt").string();
  std::vector<V1Var> vars;
  auto add = [&](const std::string& name, DataType dtype, Shape shape, TensorProto values) {
    std::vector<SliceExtent> full(shape.size(), SliceExtent{0, -1});
    vars.push_back({name, dtype, std::move(shape), {{full, std::move(values)}}});
  };
  add("f", tfprod::tf::DT_FLOAT, {2, 2}, floats({1.5f, -2, 3, 4}));
  TensorProto d, i32, i8, u8, i64, b, h, s;
  d.add_double_val(0.25);
  d.add_double_val(-8);
  add("d", tfprod::tf::DT_DOUBLE, {2}, d);
  for (int v : {7, -7, 100000}) i32.add_int_val(v);
  add("i32", tfprod::tf::DT_INT32, {3}, i32);
  for (int v : {-128, 127}) i8.add_int_val(v);
  add("i8", tfprod::tf::DT_INT8, {2}, i8);
  for (int v : {0, 255}) u8.add_int_val(v);
  add("u8", tfprod::tf::DT_UINT8, {2}, u8);
  i64.add_int64_val(int64_t{1} << 40);
  add("i64", tfprod::tf::DT_INT64, {}, i64);
  for (bool v : {true, false, true}) b.add_bool_val(v);
  add("b", tfprod::tf::DT_BOOL, {3}, b);
  for (int v : {0x3c00, 0xc000}) h.add_half_val(v);  // 1.0, -2.0
  add("h", tfprod::tf::DT_HALF, {2}, h);
  for (const char* v : {"x", "", "long string"}) s.add_string_val(v);
  add("s", tfprod::tf::DT_STRING, {3}, s);
  write_v1(path, vars);

  auto reader = open_checkpoint_v1(path);
  EXPECT_EQ(reader->format(), CheckpointFormat::kV1);
  EXPECT_EQ(reader->tensors().size(), vars.size());
  EXPECT_EQ(values_of<float>(reader->read("f")), (std::vector<float>{1.5f, -2, 3, 4}));
  EXPECT_EQ(reader->read("f").shape, (Shape{2, 2}));
  EXPECT_EQ(values_of<double>(reader->read("d")), (std::vector<double>{0.25, -8}));
  EXPECT_EQ(values_of<int32_t>(reader->read("i32")), (std::vector<int32_t>{7, -7, 100000}));
  EXPECT_EQ(values_of<int8_t>(reader->read("i8")), (std::vector<int8_t>{-128, 127}));
  EXPECT_EQ(values_of<uint8_t>(reader->read("u8")), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(values_of<int64_t>(reader->read("i64")), (std::vector<int64_t>{int64_t{1} << 40}));
  EXPECT_EQ(values_of<uint8_t>(reader->read("b")), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(values_of<uint16_t>(reader->read("h")), (std::vector<uint16_t>{0x3c00, 0xc000}));
  EXPECT_EQ(reader->read("s").strings, (std::vector<std::string>{"x", "", "long string"}));
  EXPECT_FALSE(reader->find("f")->partitioned);
  EXPECT_EQ(reader->find("nope"), nullptr);
}

// w [4, 3] split by rows over two shard files; b only in the second.
std::string write_sharded(const fs::path& dir) {
  const std::string prefix = (dir / "model.ckpt").string();
  write_v1(prefix + "-00000-of-00002",
           {{"w", tfprod::tf::DT_FLOAT, {4, 3}, {{{{0, 2}, {0, -1}}, floats({0, 1, 2, 3, 4, 5})}}}});
  write_v1(prefix + "-00001-of-00002",
           {{"w", tfprod::tf::DT_FLOAT, {4, 3}, {{{{2, 2}, {0, -1}}, floats({6, 7, 8, 9, 10, 11})}}},
            {"b", tfprod::tf::DT_FLOAT, {3}, {{{{0, -1}}, floats({-1, -2, -3})}}}});
  return prefix;
}

TEST(CheckpointV1, PartitionedAcrossShardFiles) {
  const std::string prefix = write_sharded(test::scratch_dir());
  auto reader = open_checkpoint_v1(prefix);
  ASSERT_EQ(reader->tensors().size(), 2u);
  ASSERT_NE(reader->find("w"), nullptr);
  EXPECT_TRUE(reader->find("w")->partitioned);
  EXPECT_EQ(reader->find("w")->shape, (Shape{4, 3}));
  Tensor w = reader->read("w");
  EXPECT_EQ(w.shape, (Shape{4, 3}));
  EXPECT_EQ(values_of<float>(w), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(values_of<float>(reader->read("b")), (std::vector<float>{-1, -2, -3}));

  ResolvedCheckpoint r = resolve_checkpoint(prefix);
  EXPECT_EQ(r.format, CheckpointFormat::kV1);
  EXPECT_EQ(values_of<float>(open_checkpoint(r)->read("w"))[11], 11.0f);
}

TEST(CheckpointV1, MissingShardFile) {
  const fs::path dir = test::scratch_dir();
  const std::string prefix = write_sharded(dir);
  fs::remove(prefix + "-00000-of-00002");
  try {
    open_checkpoint_v1(prefix);
    FAIL() << "opened a V1 checkpoint with a shard missing";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(prefix), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("shard 0 of 2 is missing"), std::string::npos) << e.what();
  }
}

TEST(CheckpointV1, WrongValueCountNamesFileAndTensor) {
  const std::string path = (test::scratch_dir() / "short.ckpt").string();
  // Six elements declared, five stored: TF's reader would read past the
  // values; a splat is not how V1 stores data.
  write_v1(path, {{"layer/w", tfprod::tf::DT_FLOAT, {6}, {{{{0, -1}}, floats({1, 2, 3, 4, 5})}}}});
  auto reader = open_checkpoint_v1(path);
  try {
    reader->read("layer/w");
    FAIL() << "read 5 values as 6";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("layer/w"), std::string::npos) << msg;
    EXPECT_NE(msg.find("holds 5 values"), std::string::npos) << msg;
  }
}

TEST(CheckpointV1, IncompleteSlicesNameTheTensor) {
  const std::string path = (test::scratch_dir() / "gap.ckpt").string();
  write_v1(path, {{"w", tfprod::tf::DT_FLOAT, {4}, {{{{0, 2}}, floats({1, 2})}}}});
  auto reader = open_checkpoint_v1(path);
  EXPECT_TRUE(reader->find("w")->partitioned);
  try {
    reader->read("w");
    FAIL() << "read a tensor half of which is missing";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("w: the 1 slices cover 2 of the 4 elements"), std::string::npos) << e.what();
  }
}

TEST(CheckpointV1, NotAV1File) {
  const fs::path dir = test::scratch_dir();
  EXPECT_THROW(open_checkpoint_v1((dir / "absent").string()), Error);
  // A V2 index is an SSTable too, but its "" key holds a BundleHeaderProto.
  const std::string v2 = (dir / "v2").string();
  {
    BundleWriter writer(v2);
    Tensor t;
    t.dtype = tfprod::tf::DT_FLOAT;
    t.data.assign(4, '\0');
    writer.add("x", t);
    writer.finish();
  }
  try {
    open_checkpoint_v1(v2 + ".index");
    FAIL() << "opened a V2 index as V1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(v2 + ".index: no SavedTensorSliceMeta"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfprod
