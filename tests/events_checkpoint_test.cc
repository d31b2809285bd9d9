// Choosing the checkpoint to export by its eval metrics: export --checkpoint
// best / best:METRIC / step:N (and freeze --checkpoint best) on mnist_estimator_tf15 (as it is, and with an
// eval run added that makes an older checkpoint the best), the refusal
// without eval metrics, and inspect's per-checkpoint metrics.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "events_support.h"
#include "test_support.h"

namespace tfprod::test {
namespace {

namespace fs = std::filesystem;

// The step of the checkpoint on disk with the lowest eval loss, worked out
// here from the eval run's points and the .index files.
int64_t lowest_eval_loss_step(const fs::path& dir) {
  std::set<int64_t> on_disk;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    const auto dash = n.rfind('-');
    if (n.ends_with(".index") && dash != std::string::npos) on_disk.insert(std::stoll(n.substr(dash + 1)));
  }
  const auto runs = events::read_runs(dir);
  double best = INFINITY;
  int64_t step = -1;
  for (const auto& r : runs) {
    if (r.name != "eval") continue;
    const auto& s = r.scalars.at("loss");
    for (std::size_t i = 0; i < s.size(); ++i)
      if (on_disk.count(s.steps[i]) && s.values[i] < best) best = s.values[i], step = s.steps[i];
  }
  return step;
}

TEST(EventsCheckpoint, ExportBestTakesTheLowestEvalLossOnDisk) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = copy_case("mnist_estimator_tf15");
  const int64_t want = lowest_eval_loss_step(dir);
  ASSERT_GT(want, 0);
  const RunResult r = run(fmt::format("'{}' export '{}' --checkpoint best -o '{}'", tool("tfprod").string(), dir.string(),
                                      (dir.parent_path() / "model.pb").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(fmt::format("checkpoint: {}/model.ckpt-{} (--checkpoint best: lowest eval loss", dir.string(), want)),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir.parent_path() / "model.pb"));
}

TEST(EventsCheckpoint, AnOlderCheckpointWinsWhenItsEvalIsBetter) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = copy_case("mnist_estimator_tf15");
  // A later eval file: step 1 with a lower loss (and a lower accuracy).
  tf::Event loss = scalar_event(1, "loss", 0.001f);
  auto* acc = loss.mutable_summary()->add_value();
  acc->set_tag("accuracy");
  acc->set_simple_value(0.5f);
  write_events(dir / "eval" / "events.out.tfevents.1600000000.test", {version_event("brain.Event:2"), loss});
  ASSERT_EQ(lowest_eval_loss_step(dir), 1);
  const std::string tfprod = tool("tfprod").string();
  const std::string out = (dir.parent_path() / "model.pb").string();
  RunResult r = run(fmt::format("'{}' export '{}' --checkpoint best --no-verify -q -o '{}'", tfprod, dir.string(), out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.ckpt-1 (--checkpoint best: lowest eval loss 0.001"), std::string::npos) << r.output;
  r = run(fmt::format("'{}' export '{}' --checkpoint best:accuracy --no-verify -q -o '{}'", tfprod, dir.string(), out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.ckpt-20000 (--checkpoint best:accuracy: highest eval accuracy 0.9884"),
            std::string::npos)
      << r.output;
  r = run(fmt::format("'{}' export '{}' --checkpoint step:1 --no-verify -q -o '{}'", tfprod, dir.string(), out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.ckpt-1 (--checkpoint step:1"), std::string::npos) << r.output;
  r = run(fmt::format("'{}' freeze '{}' --checkpoint best --output softmax_tensor -o '{}'", tfprod, dir.string(), out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("froze 6 variables (18.9 KiB) from " + dir.string() + "/model.ckpt-1;"), std::string::npos)
      << r.output;
  r = run(fmt::format("'{}' export '{}' --checkpoint step:7 --no-verify -q -o '{}'", tfprod, dir.string(), out));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no checkpoint at step 7 on disk (checkpoints at steps 1, 20000)"), std::string::npos)
      << r.output;
}

TEST(EventsCheckpoint, BestIsRefusedWithoutEvalMetrics) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = copy_case("mnist_estimator_tf15");
  fs::remove_all(dir / "eval");
  const fs::path out = dir.parent_path() / "model.pb";
  const RunResult r = run(fmt::format("'{}' export '{}' --checkpoint best -o '{}'", tool("tfprod").string(),
                                      dir.string(), out.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tfprod: error: " + dir.string() + ": no eval metric 'loss' at the step of any checkpoint"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(EventsCheckpoint, InspectShowsEvalMetricsPerCheckpoint) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = corpus_dir() / "mnist_estimator_tf15";
  const RunResult r = run(fmt::format("'{}' inspect '{}' --no-opencv", tool("tfprod").string(), dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("eval (eval): accuracy=0.9884 loss=0.0365276"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("model.ckpt-1 "), std::string::npos);
  EXPECT_NE(r.output.find("no eval metrics"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tfprod::test
