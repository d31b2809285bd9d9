// Runs: every folder holding events files, its files read in name order and
// its points accumulated as TensorBoard's EventAccumulator does:
//  - scalars are simple_values, and one-element numeric tensors whose tag's
//    first metadata names plugin "scalars";
//  - restarts (purge_orphaned_data): with file_version >= 2 a SessionLog.START
//    drops the run's points at steps >= its step; before that, a summary whose
//    step is below the most recent summary's drops its tags' points at steps
//    >= it. Duplicate steps without either keep every point.
// A truncated last record of the run's last file is a warning (a writer still
// at work); anywhere else a bad record stops that file with an error.
#include <algorithm>
#include <system_error>

#include "tfprod/error.h"
#include "tfprod/events.h"

namespace tfprod::events {

namespace fs = std::filesystem;

namespace {

class Accumulator {
 public:
  Accumulator(Run* run, const ReadOptions& options) : run_(run), options_(options) {}

  void add(const EventView& e) {
    ++run_->events;
    if (e.has_file_version) file_version_ = parse_file_version(e.file_version);
    maybe_purge(e);
    if (e.has_summary) most_recent_step_ = e.step;
    if (e.has_graph_def) ++run_->graphs;
    if (e.has_meta_graph_def) ++run_->meta_graphs;
    if (e.has_tagged_run_metadata) ++run_->run_metadata;
    if (e.has_session_log && e.session_status == 3) run_->checkpoint_steps.push_back(e.step);
    for (const ValueView& v : e.values) add_value(e, v);
  }

 private:
  void maybe_purge(const EventView& e) {
    if (file_version_ >= 2) {
      if (e.has_session_log && e.session_status == 1) {
        for (auto& [tag, series] : run_->scalars) purge(series, e.step);
        ++run_->purges;
      }
    } else if (e.has_summary && e.step < most_recent_step_) {
      bool any = false;
      for (const ValueView& v : e.values)
        if (auto it = run_->scalars.find(v.tag); it != run_->scalars.end()) any |= purge(it->second, e.step);
      if (any) ++run_->purges;
    }
  }

  static bool purge(Series& s, int64_t step) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < s.steps.size(); ++i) {
      if (s.steps[i] >= step) continue;
      s.steps[keep] = s.steps[i];
      s.values[keep] = s.values[i];
      s.wall_times[keep] = s.wall_times[i];
      ++keep;
    }
    const bool dropped = keep != s.steps.size();
    s.steps.resize(keep);
    s.values.resize(keep);
    s.wall_times.resize(keep);
    return dropped;
  }

  // A tag's plugin is its first metadata's (data_compat gives simple_value,
  // histo, image and audio the scalars/histograms/images/audio plugins).
  std::string_view plugin_of(const ValueView& v) {
    auto it = plugins_.find(v.tag);
    if (it != plugins_.end()) return it->second;
    std::string_view p;
    switch (v.kind) {
      case ValueView::Kind::kSimpleValue: p = "scalars"; break;
      case ValueView::Kind::kHisto: case ValueView::Kind::kOldHistogram: p = "histograms"; break;
      case ValueView::Kind::kImage: p = "images"; break;
      case ValueView::Kind::kAudio: p = "audio"; break;
      default:
        if (!v.has_metadata) return {};
        p = v.plugin_name;
    }
    return plugins_.emplace(std::string(v.tag), std::string(p)).first->second;
  }

  void add_value(const EventView& e, const ValueView& v) {
    if (v.kind == ValueView::Kind::kNone) return;
    const std::string_view plugin = plugin_of(v);
    if (options_.keep_tag && !options_.keep_tag(v.tag)) return;
    if (v.kind == ValueView::Kind::kSimpleValue ||
        (v.kind == ValueView::Kind::kTensor && plugin == "scalars" && v.tensor_scalar)) {
      auto it = run_->scalars.find(v.tag);
      if (it == run_->scalars.end()) it = run_->scalars.emplace(std::string(v.tag), Series{}).first;
      Series& s = it->second;
      s.steps.push_back(e.step);
      s.values.push_back(v.kind == ValueView::Kind::kSimpleValue ? static_cast<double>(v.simple_value)
                                                                   : *v.tensor_scalar);
      s.wall_times.push_back(e.wall_time);
      return;
    }
    auto it = run_->others.find(v.tag);
    if (it == run_->others.end()) {
      CountedTag c;
      c.plugin = std::string(plugin);
      c.first_step = e.step;
      it = run_->others.emplace(std::string(v.tag), std::move(c)).first;
    }
    ++it->second.count;
    it->second.last_step = e.step;
  }

  Run* run_;
  const ReadOptions& options_;
  double file_version_ = -1;
  int64_t most_recent_step_ = -1;
  std::map<std::string, std::string, std::less<>> plugins_;
};

std::vector<fs::path> events_files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code ec2;
    if (entry.is_regular_file(ec2) && is_events_file_name(entry.path().filename().string()))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return files;
}

}  // namespace

uint64_t for_each_event(const fs::path& file, const std::function<void(const EventView&)>& on_event,
                        std::string* truncated) {
  RecordReader reader(file);
  if (reader.file_size() == 0) fail("{}: offset 0: empty file: an events file starts with a file_version record", file.string());
  EventView event;
  std::string_view payload;
  uint64_t n = 0;
  for (;;) {
    const RecordReader::Result r = reader.next(&payload);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kTruncated) {
      if (!truncated)
        fail("{}: offset {}: {}", file.string(), reader.record_offset(), reader.truncation());
      *truncated = fmt::format("{}: offset {}: {}", file.string(), reader.record_offset(), reader.truncation());
      break;
    }
    std::string why;
    if (!parse_event(payload, &event, &why))
      fail("{}: offset {}: record {} is not an Event ({})", file.string(), reader.record_offset(), n + 1, why);
    if (n == 0 && !(event.has_file_version && event.file_version.starts_with("brain.Event:")))
      fail("{}: offset 0: not an events file: the first record has no file_version \"brain.Event:N\"",
           file.string());
    on_event(event);
    ++n;
  }
  return n;
}

std::vector<fs::path> find_run_dirs(const fs::path& dir) {
  std::vector<fs::path> dirs;
  if (!events_files_in(dir).empty()) dirs.push_back(dir);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !events_files_in(it->path()).empty()) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end(), [&](const fs::path& a, const fs::path& b) {
    return a.lexically_relative(dir).generic_string() < b.lexically_relative(dir).generic_string();
  });
  return dirs;
}

// Reads run.files in order into run (a truncated record is a warning only in
// the last file: the one a writer may still be appending to).
static void read_files(Run& run, const ReadOptions& options) {
  Accumulator acc(&run, options);
  for (std::size_t i = 0; i < run.files.size(); ++i) {
    const fs::path& file = run.files[i];
    uint64_t kept = 0;
    std::string truncated;
    try {
      for_each_event(file, [&](const EventView& e) { acc.add(e), ++kept; }, &truncated);
      if (truncated.empty()) continue;
      if (i + 1 == run.files.size())
        run.warnings.push_back(
            fmt::format("{} (the file may still be being written; its {} complete records kept)", truncated, kept));
      else
        run.errors.push_back(fmt::format("{} (a later file follows, so no writer is at work on it; its {} complete "
                                         "records kept)",
                                         truncated, kept));
    } catch (const Error& e) {
      run.errors.push_back(fmt::format("{}; kept the {} records before it, skipped the rest of the file", e.what(), kept));
    }
  }
}

Run read_run(const fs::path& root, const fs::path& run_dir, const ReadOptions& options) {
  Run run;
  const std::string rel = run_dir.lexically_normal().lexically_relative(root.lexically_normal()).generic_string();
  run.name = rel.empty() ? "." : rel;
  run.dir = run_dir;
  run.files = events_files_in(run_dir);
  read_files(run, options);
  return run;
}

std::vector<Run> read_runs(const fs::path& dir, const ReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail("{}: no such file or directory", dir.string());
  if (!fs::is_directory(dir, ec)) {
    if (is_events_file_name(dir.filename().string())) {
      // One events file: a run of its own, named by the file.
      Run run;
      run.name = dir.filename().string();
      run.dir = dir.parent_path();
      run.files = {dir};
      read_files(run, options);
      return {std::move(run)};
    }
    fail("{}: not a directory or an events file", dir.string());
  }
  const std::vector<fs::path> dirs = find_run_dirs(dir);
  if (dirs.empty())
    fail("{}: offset 0: no events files here or in any sub-folder (names containing \"tfevents\")", dir.string());
  std::vector<Run> runs;
  for (const fs::path& d : dirs) runs.push_back(read_run(dir, d, options));
  return runs;
}

}  // namespace tfprod::events
