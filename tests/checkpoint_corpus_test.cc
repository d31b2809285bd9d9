// Every checkpoint in the corpus: each tensor reads with its crc32c verified,
// values match the facts recorded in the case manifests, and rewriting a
// bundle with BundleWriter reproduces TensorFlow's files byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "checkpoint/sstable.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "tfprod/tf/protobuf/trackable_object_graph.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> corpus_bundles() {
  std::vector<std::string> prefixes;
  for (const auto& entry : fs::recursive_directory_iterator(test::corpus_dir())) {
    const std::string p = entry.path().string();
    if (entry.is_regular_file() && p.ends_with(".index")) prefixes.push_back(p.substr(0, p.size() - 6));
  }
  std::sort(prefixes.begin(), prefixes.end());
  return prefixes;
}

using test::slurp;

template <class T>
T scalar(const Tensor& t) {
  EXPECT_EQ(t.data.size(), sizeof(T));
  T v{};
  std::memcpy(&v, t.data.data(), std::min(sizeof(T), t.data.size()));
  return v;
}

std::vector<float> floats(const Tensor& t) {
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), v.size() * 4);
  return v;
}

// Reads every tensor, checks its size against dtype and shape, and lists it.
std::size_t read_all(const CheckpointReader& reader) {
  std::size_t count = 0;
  for (const auto& info : reader.tensors()) {
    SCOPED_TRACE(reader.prefix() + ": " + info.name);
    Tensor t = reader.read(info.name);
    EXPECT_EQ(t.dtype, info.dtype);
    EXPECT_EQ(t.shape, info.shape);
    if (t.dtype == tfprod::tf::DT_STRING)
      EXPECT_EQ(static_cast<int64_t>(t.strings.size()), t.num_elements());
    else
      EXPECT_EQ(t.data.size(), static_cast<std::size_t>(t.num_elements()) * dtype_size(t.dtype));
    std::printf("  %-70s %-12s %s\n", info.name.c_str(), dtype_name(info.dtype).c_str(),
                shape_string(info.shape).c_str());
    ++count;
  }
  return count;
}

TEST(CheckpointCorpus, EveryTensorOfEveryCheckpointReads) {
  TFPROD_REQUIRE_CORPUS();
  const auto prefixes = corpus_bundles();
  ASSERT_GE(prefixes.size(), 13u);  // 11 training checkpoints + SavedModel variables
  std::size_t total = 0;
  for (const auto& prefix : prefixes) {
    std::printf("%s (V2)\n", prefix.c_str());
    auto reader = open_bundle_v2(prefix);
    EXPECT_FALSE(reader->tensors().empty()) << prefix;
    total += read_all(*reader);
  }
  const std::string v1 = (test::corpus_dir() / "v1_checkpoint_mlp_tf012" / "model.ckpt").string();
  std::printf("%s (V1)\n", v1.c_str());
  total += read_all(*open_checkpoint_v1(v1));
  std::printf("%zu tensors read, crc32c verified\n", total);
}

TEST(CheckpointCorpus, ValuesMatchManifests) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path c = test::corpus_dir();

  auto anpr = open_bundle_v2((c / "anpr_estimator" / "model.ckpt-20000").string());
  EXPECT_EQ(anpr->tensors().size(), 9u);
  EXPECT_EQ(scalar<int64_t>(anpr->read("global_step")), 20000);
  ASSERT_NE(anpr->find("dense/kernel"), nullptr);
  EXPECT_EQ(anpr->find("dense/kernel")->dtype, tfprod::tf::DT_HALF);
  EXPECT_EQ(anpr->find("dense/kernel")->shape, (Shape{1600, 1024}));
  EXPECT_EQ(anpr->find("dense/kernel")->bytes, 1600u * 1024u * 2u);
  EXPECT_EQ(scalar<int64_t>(open_bundle_v2((c / "anpr_estimator" / "model.ckpt-0").string())->read("global_step")), 0);

  auto mnist = open_bundle_v2((c / "mnist_estimator_tf15" / "model.ckpt-20000").string());
  EXPECT_EQ(mnist->tensors().size(), 21u);
  const auto bias = floats(mnist->read("conv2d/bias"));
  ASSERT_EQ(bias.size(), 4u);
  EXPECT_FLOAT_EQ(bias[0], 0.04377401992678642f);
  EXPECT_FLOAT_EQ(bias[1], -0.05478842556476593f);
  EXPECT_FLOAT_EQ(bias[3], -0.0058358502574265f);

  auto tflearn = open_bundle_v2((c / "tflearn_and_gate" / "and.tflearn").string());
  EXPECT_EQ(tflearn->tensors().size(), 13u);
  EXPECT_FLOAT_EQ(floats(tflearn->read("output/b"))[0], 4.7895002365112305f);
  Tensor is_training = tflearn->read("is_training");
  EXPECT_EQ(is_training.dtype, tfprod::tf::DT_BOOL);
  EXPECT_EQ(is_training.shape, Shape{});
  EXPECT_EQ(is_training.data.size(), 1u);

  auto hpt = open_bundle_v2((c / "tfserving_half_plus_two_tf1" / "00000123" / "variables" / "variables").string());
  EXPECT_FLOAT_EQ(scalar<float>(hpt->read("a")), 0.5f);
  EXPECT_FLOAT_EQ(scalar<float>(hpt->read("b")), 2.0f);
  EXPECT_FLOAT_EQ(scalar<float>(hpt->read("c")), 3.0f);

  auto keras = open_bundle_v2((c / "keras_mnist_savedmodel_tf210" / "variables" / "variables").string());
  EXPECT_EQ(keras->tensors().size(), 64u);
  EXPECT_EQ(scalar<int64_t>(keras->read("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE")), 63750);
  Tensor graph = keras->read("_CHECKPOINTABLE_OBJECT_GRAPH");
  ASSERT_EQ(graph.strings.size(), 1u);
  tfprod::tf::TrackableObjectGraph objects;
  ASSERT_TRUE(objects.ParseFromString(graph.strings[0]));
  bool found_kernel = false;
  for (const auto& node : objects.nodes())
    for (const auto& attr : node.attributes())
      found_kernel |= attr.checkpoint_key() == "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  EXPECT_TRUE(found_kernel);
}

TEST(CheckpointCorpus, V1CheckpointMatchesManifest) {
  TFPROD_REQUIRE_CORPUS();
  auto reader = open_checkpoint_v1((test::corpus_dir() / "v1_checkpoint_mlp_tf012" / "model.ckpt").string());
  EXPECT_EQ(reader->format(), CheckpointFormat::kV1);
  ASSERT_EQ(reader->tensors().size(), 14u);
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"mbias", {10}}, {"mbias2", {2}}, {"mweight", {4, 10}}, {"mweight2", {10, 2}}};
  for (const auto& [name, shape] : expected) {
    const CheckpointTensorInfo* info = reader->find(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dtype, tfprod::tf::DT_FLOAT);
    EXPECT_EQ(info->shape, shape);
    EXPECT_FALSE(info->partitioned);
    ASSERT_NE(reader->find(name + "/Adam"), nullptr);
    ASSERT_NE(reader->find(name + "/Adam_1"), nullptr);
  }
  for (const auto& info : reader->tensors()) EXPECT_EQ(info.dtype, tfprod::tf::DT_FLOAT) << info.name;
  // Trained weights: finite, not all equal.
  const auto w = floats(reader->read("mweight"));
  ASSERT_EQ(w.size(), 40u);
  for (float v : w) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NE(*std::min_element(w.begin(), w.end()), *std::max_element(w.begin(), w.end()));
  // Adam's second moment is a running mean of squares: never negative.
  for (float v : floats(reader->read("mweight/Adam_1"))) EXPECT_GE(v, 0.0f);
}

uint64_t varint(const std::string& bytes, std::size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; *pos < bytes.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(bytes[(*pos)++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

// True when the table's first data block (or its index block) is
// snappy-compressed, as TF 1.0 and 1.1 wrote them; TF >= 1.2 and BundleWriter
// write uncompressed tables. Footer -> index block -> first block handle.
bool table_is_compressed(const std::string& table) {
  std::size_t pos = table.size() - 48;
  varint(table, &pos);
  varint(table, &pos);  // metaindex handle
  const uint64_t index_offset = varint(table, &pos), index_size = varint(table, &pos);
  if (table[index_offset + index_size] != 0) return true;
  pos = index_offset;
  varint(table, &pos);  // shared key bytes (0)
  const uint64_t key_length = varint(table, &pos);
  varint(table, &pos);  // value length
  pos += key_length;
  varint(table, &pos);  // first data block offset (0)
  const uint64_t block_size = varint(table, &pos);
  return table[block_size] != 0;
}

std::vector<std::pair<std::string, std::string>> table_entries(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> entries;
  checkpoint::SSTable::open(path)->for_each([&](std::string_view k, std::string_view v) {
    entries.emplace_back(k, v);
    return true;
  });
  return entries;
}

// Rewrites a bundle with BundleWriter, adding tensors in their stored
// (shard, offset) order, and compares the files byte for byte.
void expect_identical_rewrite(const std::string& prefix, const fs::path& out_dir) {
  SCOPED_TRACE(prefix);
  auto reader = open_bundle_v2(prefix);
  auto table = checkpoint::SSTable::open(prefix + ".index");
  std::vector<std::tuple<int, int64_t, std::string>> order;
  table->for_each([&](std::string_view key, std::string_view value) {
    if (key.empty()) return true;
    tfprod::tf::BundleEntryProto entry;
    EXPECT_TRUE(entry.ParseFromArray(value.data(), static_cast<int>(value.size())));
    EXPECT_EQ(entry.slices_size(), 0);
    order.emplace_back(entry.shard_id(), entry.offset(), std::string(key));
    return true;
  });
  std::sort(order.begin(), order.end());
  const std::string out = (out_dir / fs::path(prefix).filename()).string();
  BundleWriter writer(out);
  for (const auto& [shard, offset, name] : order) writer.add(name, reader->read(name));
  writer.finish();
  const std::string data = ".data-00000-of-00001";
  const std::string original_index = slurp(prefix + ".index");
  if (table_is_compressed(original_index)) {
    // Written by TF 1.0/1.1 with snappy blocks: same entries, not same bytes.
    std::printf("%s.index: snappy-compressed (TF < 1.2): comparing entries, not bytes\n", prefix.c_str());
    EXPECT_EQ(table_entries(out + ".index"), table_entries(prefix + ".index"));
  } else {
    EXPECT_EQ(slurp(out + ".index"), original_index);
  }
  EXPECT_EQ(slurp(out + data), slurp(prefix + data));
  EXPECT_GT(slurp(out + data).size(), 0u);
}

TEST(CheckpointCorpus, AnprRewriteIsByteIdentical) {
  TFPROD_REQUIRE_CORPUS();
  const std::string prefix = (test::corpus_dir() / "anpr_estimator" / "model.ckpt-20000").string();
  ASSERT_FALSE(table_is_compressed(slurp(prefix + ".index")));
  expect_identical_rewrite(prefix, test::scratch_dir());
}

TEST(CheckpointCorpus, EveryCorpusBundleRewritesByteIdentical) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path scratch = test::scratch_dir();
  int i = 0;
  for (const auto& prefix : corpus_bundles()) {
    const fs::path dir = scratch / std::to_string(i++);
    fs::create_directories(dir);
    expect_identical_rewrite(prefix, dir);
  }
}

}  // namespace
}  // namespace tfprod
