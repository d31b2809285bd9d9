// Every graph file in the corpus loads, is recognised as what it is, and
// writes back identically: the same bytes (binary) or an equal message (text),
// both directly and through tfprod's Graph model.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_graph_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(test::corpus_dir())) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    std::string name = e.path().filename().string();
    if (name == "keras_metadata.pb") continue;  // Keras metadata, not a graph
    if (ext == ".pb" || ext == ".pbtxt" || ext == ".meta") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Each meta graph's GraphDef, through Graph import/export.
tfprod::tf::SavedModel through_graph_model(const ModelFile& f) {
  tfprod::tf::SavedModel copy = f.model;
  for (auto& meta : *copy.mutable_meta_graphs()) {
    if (!meta.has_graph_def()) continue;
    Graph g = Graph::from_graphdef(meta.graph_def(), f.path.string());
    *meta.mutable_graph_def() = std::move(g).release_graphdef();
  }
  return copy;
}

std::string bytes_of(const ModelFile& f, const tfprod::tf::SavedModel& model) {
  switch (f.kind) {
    case ModelFileKind::kSavedModelBinary: return serialize(model);
    case ModelFileKind::kMetaGraphBinary: return serialize(model.meta_graphs(0));
    default: return serialize(model.meta_graphs(0).graph_def());
  }
}

TEST(ModelFileCorpus, EveryGraphFileRoundTrips) {
  TFPROD_REQUIRE_CORPUS();
  auto files = corpus_graph_files();
  ASSERT_GE(files.size(), 50u);
  int binary = 0, text = 0, dangling = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    ModelFile f = load_model_file(path);
    if (is_text(f.kind)) {
      ++text;
      tfprod::tf::SavedModel reparsed;
      std::string printed;
      ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(f.model, &printed));
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(printed, &reparsed));
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(f.model, reparsed));
      try {
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(f.model, through_graph_model(f)));
      } catch (const Error& e) {
        // OpenCV's hand-trimmed text configs may name weights that live only
        // in the matching .pb: the Graph model refuses them, naming the node.
        EXPECT_NE(path.string().find("opencv_extra_tf"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("names no node in the graph"), std::string::npos) << e.what();
        ++dangling;
      }
      continue;
    }
    auto through = through_graph_model(f);
    ++binary;
    std::string original = read_file(path);
    EXPECT_TRUE(bytes_of(f, f.model) == original) << "direct re-serialization differs";
    EXPECT_TRUE(bytes_of(f, through) == original) << "Graph model round trip differs";
    std::cout << "  " << describe(f.kind) << "  " << fs::relative(path, test::corpus_dir()).string() << "\n";
  }
  std::cout << binary << " binary and " << text << " text graph files round-trip\n";
  EXPECT_GT(text, 0);
  EXPECT_GT(dangling, 0);
}

TEST(ModelFileCorpus, TellsKinds) {
  TFPROD_REQUIRE_CORPUS();
  auto c = test::corpus_dir();
  EXPECT_EQ(load_model_file(c / "anpr_estimator/graph.pbtxt").kind, ModelFileKind::kGraphDefText);
  EXPECT_EQ(load_model_file(c / "anpr_estimator/model.ckpt-0.meta").kind, ModelFileKind::kMetaGraphBinary);
  EXPECT_EQ(load_model_file(c / "anpr_estimator/frozen_cut_graph.pb").kind, ModelFileKind::kGraphDefBinary);
  EXPECT_EQ(load_model_file(c / "tfserving_half_plus_two_tf1/00000123").kind, ModelFileKind::kSavedModelBinary);
  auto sm = load_model_file(c / "tfserving_half_plus_two_tf1/00000123/saved_model.pb");
  EXPECT_EQ(select_meta_graph(sm, {"serve"}).signature_def_size(), 5);
}

TEST(ModelFileCorpus, RefusesNonGraphProtobuf) {
  TFPROD_REQUIRE_CORPUS();
  fs::path p = test::corpus_dir() / "keras_mnist_savedmodel_tf210/keras_metadata.pb";
  try {
    load_model_file(p);
    FAIL() << "keras_metadata.pb accepted as a graph";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("keras_metadata.pb: not a GraphDef"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesMissingEmptyAndGarbage) {
  fs::path dir = test::scratch_dir();
  EXPECT_THROW(load_model_file(dir / "absent.pb"), Error);
  write_file_atomically(dir / "empty.pb", "");
  EXPECT_THROW(load_model_file(dir / "empty.pb"), Error);
  EXPECT_THROW(load_model_file(dir), Error);  // directory without saved_model.pb
  write_file_atomically(dir / "bad.pbtxt", "node { name: \"a\" op: \"Const\" bogus: 1 }");
  try {
    load_model_file(dir / "bad.pbtxt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pbtxt: not a valid text GraphDef: line 1"), std::string::npos)
        << e.what();
  }
  // A fingerprint.pb-like message: varint fields 1..5.
  std::string fingerprint = {'\x08', '\x01', '\x10', '\x02', '\x18', '\x03', '\x20', '\x04', '\x28', '\x05'};
  write_file_atomically(dir / "fingerprint.pb", fingerprint);
  try {
    load_model_file(dir / "fingerprint.pb");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fingerprint.pb: not a GraphDef"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfprod
