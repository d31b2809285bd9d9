// Streaming frozen weights from the checkpoint gives the very bytes that
// serializing the in-memory frozen graph gives, and still checks crc32c.
#include <gtest/gtest.h>

#include "test_support.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/example_model.h"
#include "tfprod/file_util.h"
#include "tfprod/freeze.h"
#include "tfprod/graph_stream_writer.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

// Freezes `source` twice, in memory and streamed, and returns both files' bytes.
std::pair<std::string, std::string> both_ways(const fs::path& source, const std::string& output,
                                              const fs::path& out_dir, std::size_t* streamed_count) {
  ModelSource src = open_model_source(source);
  auto reader = open_checkpoint(*src.checkpoint);
  Graph g1 = Graph::from_graphdef(src.meta.graph_def(), "g");
  Graph g2 = Graph::from_graphdef(src.meta.graph_def(), "g");
  Graph in_memory = freeze(std::move(g1), *reader, {.outputs = {output}});
  save_graphdef(std::move(in_memory).release_graphdef(), out_dir / "memory.pb", false);
  FreezeReport report;
  Graph streamed = freeze(std::move(g2), *reader, {.outputs = {output}, .stream_threshold = 1}, &report);
  *streamed_count = report.streamed.size();
  save_graphdef_streaming(std::move(streamed).release_graphdef(), report.streamed, out_dir / "streamed.pb");
  return {read_file(out_dir / "memory.pb"), read_file(out_dir / "streamed.pb")};
}

TEST(GraphStreamWriter, ByteIdenticalToInMemoryOnExample) {
  fs::path dir = test::scratch_dir();
  write_example_training_dir(dir / "train");
  std::size_t count = 0;
  auto [memory, streamed] = both_ways(dir / "train", "softmax_tensor", dir, &count);
  EXPECT_EQ(count, 4u) << "every variable streamed";
  EXPECT_GT(memory.size(), 10000u);
  EXPECT_TRUE(memory == streamed) << "streamed output differs from the in-memory serialization";
}

TEST(GraphStreamWriter, ByteIdenticalToInMemoryOnCorpus) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  const std::pair<const char*, const char*> cases[] = {
      {"anpr_estimator", "softmax_tensor"},
      {"keras_tf1_lenet_saver_and_frozen", "output_tensor/Softmax"},
      {"tfserving_half_plus_two_tf1/00000123", "y"}};
  for (const auto& [path, output] : cases) {
    SCOPED_TRACE(path);
    std::size_t count = 0;
    auto [memory, streamed] = both_ways(test::corpus_dir() / path, output, dir, &count);
    EXPECT_GT(count, 0u);
    EXPECT_TRUE(memory == streamed) << "streamed output differs";
  }
}

TEST(GraphStreamWriter, CrcMismatchWhileStreamingFailsWithoutOutput) {
  fs::path dir = test::scratch_dir();
  write_example_training_dir(dir / "train");
  fs::path data = dir / "train/model.ckpt-1000.data-00000-of-00001";
  std::string bytes = read_file(data);
  bytes[1000] = static_cast<char>(bytes[1000] ^ 1);  // inside dense/kernel
  write_file_atomically(data, bytes);

  ModelSource src = open_model_source(dir / "train");
  auto reader = open_checkpoint(*src.checkpoint);
  FreezeReport report;
  Graph g = freeze(Graph::from_graphdef(src.meta.graph_def(), "g"), *reader,
                   {.outputs = {"softmax_tensor"}, .stream_threshold = 1}, &report);
  try {
    save_graphdef_streaming(std::move(g).release_graphdef(), report.streamed, dir / "out.pb");
    FAIL() << "corrupt data streamed without error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("model.ckpt-1000.data-00000-of-00001: dense/kernel: crc32c mismatch"), std::string::npos) << m;
  }
  EXPECT_FALSE(fs::exists(dir / "out.pb"));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace tfprod
