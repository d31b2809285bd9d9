// The `checkpoint` state file and resolve_checkpoint: relative, absolute and
// foreign (Windows, other machine) paths, a missing latest checkpoint,
// directories without a state file, V1 and V2 sharing a prefix, and prefixes
// given as .index or .data paths.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "checkpoint/slice_key.h"
#include "tfprod/tf/util/saved_tensor_slice.pb.h"
#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/error.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

// A one-tensor bundle whose "step" tensor says which one it is.
void make_bundle(const fs::path& prefix, int64_t step) {
  Tensor t;
  t.dtype = tfprod::tf::DT_INT64;
  t.data.assign(reinterpret_cast<const char*>(&step), sizeof step);
  BundleWriter writer(prefix.string());
  writer.add("step", t);
  writer.finish();
}

int64_t step_tensor(const ResolvedCheckpoint& r) {
  Tensor t = open_checkpoint(r)->read("step");
  int64_t v = 0;
  std::memcpy(&v, t.data.data(), sizeof v);
  return v;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

bool mentions(const std::vector<std::string>& notes, const std::string& what) {
  for (const auto& n : notes)
    if (n.find(what) != std::string::npos) return true;
  return false;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CheckpointState, ParsesTextFormat) {
  const fs::path dir = test::scratch_dir();
  write_text(dir / "checkpoint",
             "model_checkpoint_path: \"model.ckpt-20\"\n"
             "all_model_checkpoint_paths: \"model.ckpt-10\"\n"
             "all_model_checkpoint_paths: \"model.ckpt-20\"\n"
             "all_model_checkpoint_timestamps: 1520430462.5\n"
             "last_preserved_timestamp: 1520430000.0\n");
  CheckpointState s = read_checkpoint_state(dir / "checkpoint");
  EXPECT_EQ(s.model_checkpoint_path, "model.ckpt-20");
  EXPECT_EQ(s.all_model_checkpoint_paths, (std::vector<std::string>{"model.ckpt-10", "model.ckpt-20"}));
}

TEST(CheckpointState, ParseErrorNamesFileAndLine) {
  const fs::path dir = test::scratch_dir();
  write_text(dir / "checkpoint", "model_checkpoint_path: \"a\"\nbogus_field: 3\n");
  const std::string msg = error_of([&] { read_checkpoint_state(dir / "checkpoint"); });
  EXPECT_NE(msg.find((dir / "checkpoint").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
}

TEST(CheckpointState, CorpusRelativePaths) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "mnist_estimator_tf15";
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt-20000").string());
  EXPECT_EQ(r.format, CheckpointFormat::kV2);
  EXPECT_EQ(r.step, 20000);
  EXPECT_TRUE(r.notes.empty());
}

TEST(CheckpointState, CorpusWindowsAbsolutePath) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "tflearn_and_gate";
  ASSERT_NE(read_checkpoint_state(dir / "checkpoint").model_checkpoint_path.find("C:\\Users"), std::string::npos);
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "and.tflearn").string());
  EXPECT_FALSE(r.step.has_value());
  EXPECT_TRUE(mentions(r.notes, "C:\\Users\\Rohan Athawade\\Desktop\\TFMobile\\and.tflearn")) << r.notes.size();
  EXPECT_TRUE(mentions(r.notes, "another machine"));
  EXPECT_EQ(open_checkpoint(r)->tensors().size(), 13u);
}

TEST(CheckpointState, CorpusV1Directory) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "v1_checkpoint_mlp_tf012";
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt").string());
  EXPECT_EQ(r.format, CheckpointFormat::kV1);
  EXPECT_TRUE(r.notes.empty());
}

TEST(CheckpointState, AbsolutePathOnThisMachine) {
  const fs::path dir = test::scratch_dir();
  const fs::path elsewhere = dir / "elsewhere";
  fs::create_directories(elsewhere);
  fs::create_directories(dir / "train");
  make_bundle(elsewhere / "model.ckpt-3", 3);
  make_bundle(dir / "train" / "model.ckpt-3", 99);  // same name, must not be chosen
  write_text(dir / "train" / "checkpoint", "model_checkpoint_path: \"" + (elsewhere / "model.ckpt-3").string() + "\"\n");
  ResolvedCheckpoint r = resolve_checkpoint(dir / "train");
  EXPECT_EQ(r.prefix, (elsewhere / "model.ckpt-3").string());
  EXPECT_EQ(r.step, 3);
  EXPECT_TRUE(r.notes.empty());
  EXPECT_EQ(step_tensor(r), 3);
}

TEST(CheckpointState, ForeignAbsolutePathsFallBackToTheDirectory) {
  const std::vector<std::string> written = {
      "C:\\\\Users\\\\someone\\\\run\\\\model.ckpt-5",  // text-format escaped
      "D:/train/model.ckpt-5",
      "\\\\\\\\server\\\\share\\\\model.ckpt-5",
      "/home/someone/on/another/machine/model.ckpt-5",
  };
  for (const auto& path : written) {
    SCOPED_TRACE(path);
    const fs::path dir = test::scratch_dir();
    make_bundle(dir / "model.ckpt-5", 5);
    write_text(dir / "checkpoint", "model_checkpoint_path: \"" + path + "\"\n");
    ResolvedCheckpoint r = resolve_checkpoint(dir);
    EXPECT_EQ(r.prefix, (dir / "model.ckpt-5").string());
    EXPECT_EQ(r.step, 5);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("another machine"), std::string::npos) << r.notes[0];
    EXPECT_EQ(step_tensor(r), 5);
  }
}

TEST(CheckpointState, MissingLatestFallsBackToNewestListedWithNote) {
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "model.ckpt-10", 10);
  make_bundle(dir / "model.ckpt-20", 20);
  write_text(dir / "checkpoint",
             "model_checkpoint_path: \"model.ckpt-30\"\n"
             "all_model_checkpoint_paths: \"model.ckpt-10\"\n"
             "all_model_checkpoint_paths: \"model.ckpt-20\"\n"
             "all_model_checkpoint_paths: \"model.ckpt-30\"\n");
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt-20").string());
  EXPECT_EQ(r.step, 20);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("model.ckpt-30"), std::string::npos) << r.notes[0];
  EXPECT_NE(r.notes[0].find("does not exist"), std::string::npos) << r.notes[0];
  EXPECT_EQ(step_tensor(r), 20);
}

TEST(CheckpointState, MissingEverywhereIsAClearError) {
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "unrelated", 1);
  write_text(dir / "checkpoint",
             "model_checkpoint_path: \"model.ckpt-30\"\nall_model_checkpoint_paths: \"model.ckpt-30\"\n");
  const std::string msg = error_of([&] { resolve_checkpoint(dir); });
  EXPECT_NE(msg.find((dir / "checkpoint").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"model.ckpt-30\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such checkpoint"), std::string::npos) << msg;
}

TEST(CheckpointState, NoStateFileTakesHighestStep) {
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "model.ckpt-5", 5);
  make_bundle(dir / "model.ckpt-100", 100);
  make_bundle(dir / "model.ckpt-20", 20);  // sorts after -100 as text
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "model.ckpt-100").string());
  EXPECT_EQ(r.step, 100);
  EXPECT_TRUE(mentions(r.notes, "highest-step"));
  EXPECT_EQ(step_tensor(r), 100);
}

TEST(CheckpointState, NoStateFileSingleBundleAndFailures) {
  const fs::path dir = test::scratch_dir();
  EXPECT_NE(error_of([&] { resolve_checkpoint(dir); }).find("no checkpoint here"), std::string::npos);
  make_bundle(dir / "weights", 1);
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "weights").string());
  EXPECT_FALSE(r.step.has_value());
  make_bundle(dir / "other", 2);
  const std::string msg = error_of([&] { resolve_checkpoint(dir); });
  EXPECT_NE(msg.find("name one"), std::string::npos) << msg;
}

TEST(CheckpointState, SavedModelDirectoryUsesItsVariables) {
  const fs::path dir = test::scratch_dir();
  fs::create_directories(dir / "variables");
  make_bundle(dir / "variables" / "variables", 7);
  write_text(dir / "saved_model.pb", "");
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.prefix, (dir / "variables" / "variables").string());
  EXPECT_TRUE(mentions(r.notes, "SavedModel"));
}

// A minimal V1 file (one int64 scalar "step") as TF's TensorSliceWriter lays it out.
void make_v1_file(const fs::path& path, int64_t step) {
  const std::vector<SliceExtent> scalar;  // rank 0: the slice has no extents
  tfprod::tf::SavedTensorSlices meta, data;
  auto* t = meta.mutable_meta()->add_tensor();
  t->set_name("step");
  t->set_type(tfprod::tf::DT_INT64);
  t->mutable_shape();
  t->add_slice();
  data.mutable_data()->set_name("step");
  data.mutable_data()->mutable_slice();
  data.mutable_data()->mutable_data()->add_int64_val(step);
  leveldb::WritableFile* file = nullptr;
  ASSERT_TRUE(leveldb::Env::Default()->NewWritableFile(path.string(), &file).ok());
  leveldb::TableBuilder builder(leveldb::Options(), file);
  builder.Add("", meta.SerializeAsString());
  builder.Add(checkpoint::encode_slice_key("step", scalar), data.SerializeAsString());
  ASSERT_TRUE(builder.Finish().ok());
  ASSERT_TRUE(file->Close().ok());
  delete file;
}

TEST(CheckpointState, V1AndV2SharingAPrefixPreferV2WithNote) {
  const fs::path dir = test::scratch_dir();
  make_v1_file(dir / "model.ckpt", 100);
  make_bundle(dir / "model.ckpt", 1);
  write_text(dir / "checkpoint", "model_checkpoint_path: \"model.ckpt\"\n");
  for (const fs::path& target : {dir, dir / "model.ckpt"}) {
    ResolvedCheckpoint r = resolve_checkpoint(target);
    EXPECT_EQ(r.prefix, (dir / "model.ckpt").string());
    EXPECT_EQ(r.format, CheckpointFormat::kV2);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("V1"), std::string::npos);
    EXPECT_NE(r.notes[0].find("using the V2 bundle"), std::string::npos) << r.notes[0];
    EXPECT_EQ(step_tensor(r), 1);
  }
  // Without the bundle, the same prefix is the V1 file, and no note.
  fs::remove(dir / "model.ckpt.index");
  ResolvedCheckpoint r = resolve_checkpoint(dir);
  EXPECT_EQ(r.format, CheckpointFormat::kV1);
  EXPECT_TRUE(r.notes.empty());
  EXPECT_EQ(step_tensor(r), 100);
}

TEST(CheckpointState, CorpusV1FileBesideAV2Bundle) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::scratch_dir();
  fs::copy_file(test::corpus_dir() / "v1_checkpoint_mlp_tf012" / "model.ckpt", dir / "model.ckpt");
  make_bundle(dir / "model.ckpt", 1);
  ResolvedCheckpoint r = resolve_checkpoint(dir / "model.ckpt");
  EXPECT_EQ(r.format, CheckpointFormat::kV2);
  EXPECT_EQ(r.notes.size(), 1u);
  fs::remove(dir / "model.ckpt.index");
  EXPECT_EQ(open_checkpoint(resolve_checkpoint(dir / "model.ckpt"))->tensors().size(), 14u);
}

TEST(CheckpointState, PrefixGivenAsIndexOrDataFile) {
  const fs::path dir = test::scratch_dir();
  make_bundle(dir / "model.ckpt-42", 42);
  for (const std::string suffix : {"", ".index", ".data-00000-of-00001"}) {
    ResolvedCheckpoint r = resolve_checkpoint((dir / "model.ckpt-42").string() + suffix);
    EXPECT_EQ(r.prefix, (dir / "model.ckpt-42").string()) << suffix;
    EXPECT_EQ(r.step, 42);
  }
}

TEST(CheckpointState, NotACheckpoint) {
  const fs::path dir = test::scratch_dir();
  write_text(dir / "model.ckpt.meta", "not a table");
  std::string msg = error_of([&] { resolve_checkpoint(dir / "model.ckpt"); });
  EXPECT_NE(msg.find((dir / "model.ckpt").string() + ": no checkpoint found"), std::string::npos) << msg;
  msg = error_of([&] { resolve_checkpoint(dir / "model.ckpt.meta"); });
  EXPECT_NE(msg.find("not a checkpoint"), std::string::npos) << msg;
}

}  // namespace
}  // namespace tfprod
