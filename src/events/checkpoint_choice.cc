// The checkpoint to ship, chosen by its eval metrics: every checkpoint on disk
// in a training directory (PREFIX-STEP.index) with the metrics its eval runs
// logged at its step (Estimator eval runs log at the checkpoint's global_step),
// and the selectors latest / best / best:METRIC / step:N of --checkpoint.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/events.h"

namespace tfprod::events {

namespace fs = std::filesystem;

namespace {

bool is_eval_run(const std::string& name) {
  const std::string last = fs::path(name).filename().string();
  return last == "eval" || last.rfind("eval_", 0) == 0 || last == "validation";
}

// Loss-like metrics are minimised, others (accuracy, auc, precision, ...) maximised.
bool lower_is_better(const std::string& metric) {
  std::string m = metric;
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"loss", "error", "mae", "mse", "rmse", "perplexity", "cost"})
    if (m.find(word) != std::string::npos) return true;
  return false;
}

std::string steps_list(const std::vector<CheckpointMetrics>& list) {
  std::string out;
  for (const auto& c : list) out += (out.empty() ? "" : ", ") + std::to_string(c.step);
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<CheckpointMetrics> checkpoint_metrics(const fs::path& dir, const std::vector<Run>& runs) {
  static const std::regex step_re(R"(^(.*-(\d{1,18}))\.index$)");
  std::vector<CheckpointMetrics> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, step_re)) continue;
    CheckpointMetrics c;
    c.prefix = (dir / m[1].str()).string();
    c.step = std::stoll(m[2].str());
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  // Eval runs in name order, "eval" itself first.
  std::vector<const Run*> evals;
  for (const Run& r : runs)
    if (is_eval_run(r.name)) evals.push_back(&r);
  std::stable_sort(evals.begin(), evals.end(), [](const Run* a, const Run* b) {
    return (a->name == "eval") > (b->name == "eval");
  });
  for (auto& c : out) {
    for (const Run* r : evals) {
      for (const auto& [tag, s] : r->scalars)
        for (std::size_t i = s.size(); i-- > 0;)
          if (s.steps[i] == c.step) {
            c.metrics[tag] = s.values[i];  // the last point logged at that step
            break;
          }
      if (!c.metrics.empty()) {
        c.eval_run = r->name;
        break;
      }
    }
  }
  return out;
}

std::vector<CheckpointMetrics> checkpoint_metrics(const fs::path& dir) {
  std::vector<Run> runs;
  if (!find_run_dirs(dir).empty()) runs = read_runs(dir);
  return checkpoint_metrics(dir, runs);
}

bool is_checkpoint_selector(std::string_view spec) {
  return spec == "latest" || spec == "best" || spec.starts_with("best:") || spec.starts_with("step:");
}

CheckpointChoice choose_checkpoint(const fs::path& dir, std::string_view spec) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail("{}: --checkpoint {} needs a training directory (checkpoints and eval events files)", dir.string(), spec);
  CheckpointChoice choice;
  if (spec == "latest") {
    const ResolvedCheckpoint r = resolve_checkpoint(dir);
    choice.prefix = r.prefix;
    choice.step = r.step.value_or(0);
    choice.reason = "the latest checkpoint";
    return choice;
  }
  const std::vector<CheckpointMetrics> all = checkpoint_metrics(dir);
  if (all.empty()) fail("{}: no checkpoint on disk (PREFIX-STEP.index) to choose from", dir.string());
  if (spec.starts_with("step:")) {
    const std::string n(spec.substr(5));
    char* end = nullptr;
    const long long step = std::strtoll(n.c_str(), &end, 10);
    if (n.empty() || *end) fail("--checkpoint {}: not a step number", spec);
    for (const auto& c : all)
      if (c.step == step) {
        choice.prefix = c.prefix;
        choice.step = c.step;
        choice.reason = fmt::format("step {} as asked", step);
        return choice;
      }
    fail("{}: no checkpoint at step {} on disk (checkpoints at steps {})", dir.string(), step, steps_list(all));
  }
  if (spec != "best" && !spec.starts_with("best:")) fail("--checkpoint {}: use latest, best, best:METRIC or step:N", spec);
  const std::string metric = spec == "best" ? "loss" : std::string(spec.substr(5));
  if (metric.empty()) fail("--checkpoint {}: name a metric after best:", spec);
  const bool minimise = lower_is_better(metric);
  const CheckpointMetrics* best = nullptr;
  std::size_t with_metric = 0;
  for (const auto& c : all) {
    auto it = c.metrics.find(metric);
    if (it == c.metrics.end() || std::isnan(it->second)) continue;
    ++with_metric;
    if (!best || (minimise ? it->second < best->metrics.at(metric) : it->second > best->metrics.at(metric))) best = &c;
  }
  if (!best) {
    std::set<std::string> names;
    for (const auto& c : all)
      for (const auto& [k, v] : c.metrics) names.insert(k);
    std::string known;
    for (const auto& k : names) known += (known.empty() ? "" : ", ") + k;
    fail("{}: no eval metric '{}' at the step of any checkpoint on disk (checkpoints at steps {}; eval metrics at "
         "those steps: {})",
         dir.string(), metric, steps_list(all), known.empty() ? "none" : known);
  }
  choice.prefix = best->prefix;
  choice.step = best->step;
  std::string without;
  for (const auto& c : all)
    if (!c.metrics.count(metric)) without += (without.empty() ? "" : ", ") + std::to_string(c.step);
  choice.reason = fmt::format("{} eval {} {} (run {}) among the {} checkpoint{} on disk with eval metrics{}",
                              minimise ? "lowest" : "highest", metric, fmt::format("{:.6g}", best->metrics.at(metric)),
                              best->eval_run, with_metric, with_metric == 1 ? "" : "s",
                              without.empty() ? "" : fmt::format(" (none at step{} {})",
                                                                 without.find(',') == std::string::npos ? "" : "s",
                                                                 without));
  return choice;
}

}  // namespace tfprod::events
