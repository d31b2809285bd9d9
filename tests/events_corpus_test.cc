// `tfprod metrics --json` on each of the shared corpus's events_* cases gives
// the runs, tags, steps and values of its reference.json (a TensorBoard-style
// reading, see each case's MANIFEST.md). Values compare exactly (float32
// simple_values widened to double), NaN equal to NaN.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "events_support.h"
#include "test_support.h"

namespace tfprod::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> events_cases() {
  std::vector<std::string> names;
  if (corpus_dir().empty()) return names;
  for (const auto& e : fs::directory_iterator(corpus_dir()))
    if (e.path().filename().string().rfind("events_", 0) == 0) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

using Tags = std::map<std::string, nlohmann::json>;
std::map<std::string, Tags> by_run(const nlohmann::json& doc) {
  std::map<std::string, Tags> out;
  for (const auto& r : doc.at("runs")) {
    Tags tags;
    for (const auto& [tag, series] : r.at("tags").items()) tags[tag] = series;
    out[r.at("run").get<std::string>()] = tags;
  }
  return out;
}

TEST(EventsCorpus, MetricsJsonMatchesEveryReference) {
  TFPROD_REQUIRE_CORPUS();
  const auto cases = events_cases();
  ASSERT_EQ(cases.size(), 11u) << "expected the 11 events_* cases of the shared corpus";
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    const fs::path dir = corpus_dir() / name;
    const fs::path out = scratch_dir() / (name + ".json");
    const RunResult r = run(fmt::format("'{}' metrics --json '{}' -o '{}'", tool("tfprod").string(), dir.string(),
                                        out.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto got = by_run(parse_python_json(slurp(out)));
    const auto want = by_run(parse_python_json(slurp(dir / "reference.json")));
    std::set<std::string> got_runs, want_runs;
    for (const auto& [k, v] : got) got_runs.insert(k);
    for (const auto& [k, v] : want) want_runs.insert(k);
    ASSERT_EQ(got_runs, want_runs);
    for (const auto& [run_name, want_tags] : want) {
      const Tags& got_tags = got.at(run_name);
      std::set<std::string> g, w;
      for (const auto& [k, v] : got_tags) g.insert(k);
      for (const auto& [k, v] : want_tags) w.insert(k);
      ASSERT_EQ(g, w) << "run " << run_name;
      for (const auto& [tag, ws] : want_tags) {
        const auto& gs = got_tags.at(tag);
        ASSERT_EQ(gs.at("steps"), ws.at("steps")) << run_name << " " << tag;
        const auto& gv = gs.at("values");
        const auto& wv = ws.at("values");
        ASSERT_EQ(gv.size(), wv.size()) << run_name << " " << tag;
        ASSERT_EQ(gs.at("wall_times").size(), wv.size()) << run_name << " " << tag;
        for (std::size_t i = 0; i < wv.size(); ++i) {
          const double a = json_number(gv[i]), b = json_number(wv[i]);
          if (std::isnan(b)) EXPECT_TRUE(std::isnan(a)) << run_name << " " << tag << " #" << i;
          else EXPECT_EQ(a, b) << run_name << " " << tag << " #" << i;
        }
      }
    }
  }
}

TEST(EventsCorpus, TruncatedFileWarnsAndKeepsItsCompleteRecords) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = corpus_dir() / "events_truncated_graph_morvan_tf012";
  const auto runs = events::read_runs(dir);
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_TRUE(run.errors.empty());
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("offset"), std::string::npos) << run.warnings[0];
    EXPECT_EQ(run.events, 2u);  // file_version + graph_def: the two complete records
    EXPECT_EQ(run.graphs, 1u);
  }
  EXPECT_NE(runs[0].warnings[0].find("offset 49174"), std::string::npos) << runs[0].warnings[0];
}

TEST(EventsCorpus, HistogramsAndImagesAreCounted) {
  TFPROD_REQUIRE_CORPUS();
  const auto runs = events::read_runs(corpus_dir() / "events_tf1_image_multifile_cookbook");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].files.size(), 61u);
  std::size_t histograms = 0, images = 0;
  for (const auto& [tag, c] : runs[0].others) {
    if (c.plugin == "histograms") histograms += c.count;
    if (c.plugin == "images") images += c.count;
  }
  EXPECT_GT(histograms, 0u);
  EXPECT_GT(images, 0u);
}

}  // namespace
}  // namespace tfprod::test
