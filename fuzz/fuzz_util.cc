#include "fuzz_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>

#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <cstring>
#include <map>

#include "checkpoint/slice.h"
#include "checkpoint/slice_key.h"
#include "tfprod/tf/util/saved_tensor_slice.pb.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"
#include "tfprod/example_model.h"

namespace tfprod::fuzz {

namespace fs = std::filesystem;

namespace {
fs::path* g_scratch = nullptr;
void remove_scratch() {
  std::error_code ec;
  if (g_scratch) fs::remove_all(*g_scratch, ec);
}
}  // namespace

const fs::path& scratch() {
  if (!g_scratch) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/tfprod-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    g_scratch = new fs::path(pattern);
    std::atexit(remove_scratch);
  }
  return *g_scratch;
}

fs::path put(const std::string& name, std::string_view bytes) {
  fs::path path = scratch() / name;
  std::error_code ec;
  if (fs::is_directory(path, ec)) fs::remove_all(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

void guarded(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    std::string_view message = e.what();
    if (message.empty()) {
      std::fprintf(stderr, "fuzz: tfprod::Error with an empty message\n");
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: escaped exception that is not a tfprod::Error: %s\n", e.what());
    std::abort();
  }
}

const fs::path& example_dir() {
  static const fs::path dir = [] {
    fs::path d = scratch() / "example";
    write_example_training_dir(d);
    return d;
  }();
  return dir;
}

namespace {

template <class T>
Tensor filled(DataType dtype, Shape shape, T first) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  int64_t n = num_elements(t.shape);
  t.data.resize(static_cast<std::size_t>(n) * sizeof(T));
  for (int64_t i = 0; i < n; ++i) {
    T v = static_cast<T>(first + static_cast<T>(i));
    std::memcpy(t.data.data() + i * sizeof(T), &v, sizeof(T));
  }
  return t;
}

}  // namespace

void write_seed_bundle(const std::string& prefix, int variant) {
  BundleWriterOptions options;
  options.num_shards = variant + 1;
  options.big_endian = variant == 2;
  BundleWriter w(prefix, options);
  w.add("dense/kernel", filled<float>(tfprod::tf::DT_FLOAT, {3, 2}, 0.5f));
  w.add("dense/bias", filled<float>(tfprod::tf::DT_FLOAT, {2}, -1.0f));
  w.add("global_step", filled<int64_t>(tfprod::tf::DT_INT64, {}, 1000));
  w.add("half", filled<uint16_t>(tfprod::tf::DT_HALF, {2, 2}, 0x3c00));
  Tensor s;
  s.dtype = tfprod::tf::DT_STRING;
  s.shape = {3};
  s.strings = {"a", "", "long string value"};
  w.add("names", s);
  w.add_slice("part", {4, 2}, {{0, 2}, {0, -1}}, filled<float>(tfprod::tf::DT_FLOAT, {2, 2}, 1.0f));
  w.add_slice("part", {4, 2}, {{2, 2}, {0, -1}}, filled<float>(tfprod::tf::DT_FLOAT, {2, 2}, 5.0f));
  w.finish();
}

void write_seed_v1(const std::string& path) {
  struct Slice {
    std::vector<SliceExtent> extents;
    tfprod::tf::TensorProto values;
  };
  struct Var {
    std::string name;
    DataType dtype;
    Shape shape;
    std::vector<Slice> slices;
  };
  auto floats = [](std::initializer_list<float> v) {
    tfprod::tf::TensorProto p;
    for (float x : v) p.add_float_val(x);
    return p;
  };
  tfprod::tf::TensorProto ints;
  for (int i = 0; i < 3; ++i) ints.add_int_val(i * 7);
  std::vector<Var> vars = {
      {"w", tfprod::tf::DT_FLOAT, {2, 2}, {{{{0, -1}, {0, -1}}, floats({1, 2, 3, 4})}}},
      {"i", tfprod::tf::DT_INT32, {3}, {{{{0, -1}}, ints}}},
      {"p", tfprod::tf::DT_FLOAT, {4}, {{{{0, 2}}, floats({1, 2})}, {{{2, 2}}, floats({3, 4})}}},
  };
  std::map<std::string, std::string> table;
  tfprod::tf::SavedTensorSlices meta;
  meta.mutable_meta()->mutable_versions()->set_producer(1);
  for (const Var& var : vars) {
    auto* m = meta.mutable_meta()->add_tensor();
    m->set_name(var.name);
    m->set_type(var.dtype);
    shape_to_proto(var.shape, m->mutable_shape());
    for (const Slice& s : var.slices) {
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
  if (!leveldb::Env::Default()->NewWritableFile(path, &file).ok()) fail("{}: cannot create", path);
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  leveldb::TableBuilder builder(options, file);
  for (const auto& [k, v] : table) builder.Add(k, v);
  bool ok = builder.Finish().ok() && file->Close().ok();
  delete file;
  if (!ok) fail("{}: cannot write", path);
}

}  // namespace tfprod::fuzz
