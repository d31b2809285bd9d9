// Shared by malformed_checkpoint_test.cc and malformed_graph_test.cc: a fresh
// example training directory per test (tfprod example), ways to damage it,
// and the contract every malformed input must meet when a real tfprod command
// reads it: exit code 1..127 (never a signal), exactly one error line on
// stderr naming the file and the node or tensor, nothing else but notes, no
// output file (nor temporary) and the inputs untouched.
#pragma once

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint/sstable.h"
#include "tfprod/tf/protobuf/tensor_bundle.pb.h"
#include "test_support.h"
#include "tfprod/example_model.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"

namespace tfprod::malformed {

namespace fs = std::filesystem;

using test::slurp;
inline void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// The key -> value pairs of an SSTable (a V2 .index).
inline std::map<std::string, std::string> read_table(const fs::path& path) {
  std::map<std::string, std::string> out;
  checkpoint::SSTable::open(path.string())->for_each([&](std::string_view k, std::string_view v) {
    out.emplace(k, v);
    return true;
  });
  return out;
}
inline void write_table(const fs::path& path, const std::map<std::string, std::string>& table) {
  fs::remove(path);
  leveldb::WritableFile* file = nullptr;
  ASSERT_TRUE(leveldb::Env::Default()->NewWritableFile(path.string(), &file).ok());
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  leveldb::TableBuilder builder(options, file);
  for (const auto& [k, v] : table) builder.Add(k, v);
  ASSERT_TRUE(builder.Finish().ok());
  ASSERT_TRUE(file->Close().ok());
  delete file;
}

// Every block boundary of an SSTable: start and end (before the 5-byte
// trailer) and end of trailer of each data block, the metaindex and index
// blocks, the footer's start and its magic's start. Parsed from the footer and
// the index block as LevelDB lays them out.
inline std::vector<uint64_t> block_boundaries(const std::string& t) {
  auto varint = [&](std::size_t& pos) {
    uint64_t v = 0;
    for (int shift = 0; pos < t.size(); shift += 7) {
      auto b = static_cast<unsigned char>(t[pos++]);
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  std::vector<uint64_t> out;
  std::size_t pos = t.size() - 48;
  out.push_back(pos);
  out.push_back(t.size() - 8);
  uint64_t meta_off = varint(pos), meta_size = varint(pos), index_off = varint(pos), index_size = varint(pos);
  std::vector<std::pair<uint64_t, uint64_t>> blocks = {{meta_off, meta_size}, {index_off, index_size}};
  uint32_t restarts = 0;
  std::memcpy(&restarts, t.data() + index_off + index_size - 4, 4);
  const std::size_t entries_end = index_off + index_size - 4 * (restarts + 1);
  for (pos = index_off; pos < entries_end;) {
    varint(pos);  // shared key bytes
    uint64_t non_shared = varint(pos), value_len = varint(pos);
    pos += non_shared;
    std::size_t value = pos;
    uint64_t off = varint(value), size = varint(value);
    blocks.push_back({off, size});
    pos += value_len;
  }
  for (auto [off, size] : blocks)
    for (uint64_t b : {off, off + size, off + size + 5}) out.push_back(b);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  while (!out.empty() && out.back() >= t.size()) out.pop_back();
  return out;
}

class Malformed : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = test::scratch_dir();
    dir_ = base_ / "train";
    write_example_training_dir(dir_);
    fs::create_directories(base_ / "out");
  }

  fs::path file(const std::string& name) const { return dir_ / name; }
  fs::path index() const { return file("model.ckpt-1000.index"); }
  fs::path data() const { return file("model.ckpt-1000.data-00000-of-00001"); }
  fs::path out(const std::string& name = "result.pb") const { return base_ / "out" / name; }

  // `tfprod ARGS` in the training directory must fail by the contract; the
  // error line must contain every string of `must_contain`. Returns it.
  std::string expect_rejected(const std::string& args, const std::vector<std::string>& must_contain,
                              const fs::path& output) {
    const std::string before = test::tree_digest(dir_);
    const fs::path err = base_ / "stderr.txt";
    auto r = test::run("(" + test::tool("tfprod").string() + " " + args + " >/dev/null 2>" + err.string() + ")", dir_);
    std::string error_line;
    int error_lines = 0;
    std::istringstream lines(slurp(err));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("tfprod: error: ", 0) == 0) {
        ++error_lines;
        error_line = line;
      } else {
        // Only tfprod's own notes besides the error: no protobuf log lines,
        // no sanitizer or terminate() output.
        EXPECT_EQ(line.rfind("tfprod: ", 0), 0u) << "stray stderr line: " << line;
      }
    }
    EXPECT_GE(r.exit_code, 1) << "exit " << r.exit_code << " (-1: a signal); stderr: " << slurp(err);
    EXPECT_LE(r.exit_code, 127) << slurp(err);
    EXPECT_EQ(error_lines, 1) << slurp(err);
    for (const auto& s : must_contain)
      EXPECT_NE(error_line.find(s), std::string::npos) << "missing '" << s << "' in: " << error_line;
    EXPECT_FALSE(fs::exists(output)) << "an output was written: " << output;
    for (const auto& e : fs::directory_iterator(base_ / "out"))
      EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "temporary left: " << e.path();
    EXPECT_EQ(test::tree_digest(dir_), before) << "inputs were modified";
    return error_line;
  }

  // freeze of the training directory (the graph or checkpoint damaged).
  std::string expect_freeze_rejected(const std::vector<std::string>& must_contain, const std::string& what = ".") {
    return expect_rejected("freeze " + what + " --output softmax_tensor -o " + out().string(), must_contain, out());
  }

  tfprod::tf::GraphDef graph() const { return load_model_file(file("graph.pbtxt")).model.meta_graphs(0).graph_def(); }
  void write_graph(const tfprod::tf::GraphDef& g, const std::string& name = "graph.pbtxt") {
    if (name.ends_with(".pbtxt")) {
      std::string text;
      google::protobuf::TextFormat::PrintToString(g, &text);
      spit(file(name), text);
    } else {
      spit(file(name), g.SerializeAsString());
    }
  }
  static tfprod::tf::NodeDef& node(tfprod::tf::GraphDef& g, const std::string& name) {
    for (auto& n : *g.mutable_node())
      if (n.name() == name) return n;
    ADD_FAILURE() << "no node " << name;
    return *g.mutable_node(0);
  }
  static tfprod::tf::AttrValue& attr(tfprod::tf::NodeDef& n, const std::string& key) {
    for (auto& e : *n.mutable_attr())
      if (e.key() == key) return *e.mutable_value();
    auto* e = n.add_attr();
    e->set_key(key);
    return *e->mutable_value();
  }

  // Rewrites the .index with the entry of `tensor` changed by `edit`.
  template <class Edit>
  void edit_entry(const std::string& tensor, Edit edit) {
    auto table = read_table(index());
    tfprod::tf::BundleEntryProto entry;
    ASSERT_TRUE(entry.ParseFromString(table.at(tensor)));
    edit(entry);
    table[tensor] = entry.SerializeAsString();
    write_table(index(), table);
  }

  fs::path base_, dir_;
};

}  // namespace tfprod::malformed
