// resolve_checkpoint / open_checkpoint: from whatever the user points at (a
// training directory, a prefix, an .index or .data file) to one checkpoint
// prefix and its format, with notes for everything a user should be told
// (paths from another machine, a missing latest checkpoint, V1 and V2 files
// sharing a prefix, a guess made without a state file).
#include <algorithm>
#include <filesystem>
#include <regex>

#include "checkpoint/sstable.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"

namespace tfprod {

namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool has_v2(const std::string& prefix) { return is_file(prefix + ".index"); }

// PREFIX is an SSTable, or PREFIX-00000-of-NNNNN exists.
bool has_v1(const std::string& prefix) {
  if (is_file(prefix)) return checkpoint::has_sstable_magic(prefix);
  fs::path p(prefix);
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string first_shard = p.filename().string() + "-00000-of-";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == first_shard.size() + 5 && name.compare(0, first_shard.size(), first_shard) == 0 &&
        checkpoint::has_sstable_magic(entry.path().string()))
      return true;
  }
  return false;
}

// For paths named by a state file: a plain file there counts, so that a
// damaged V1 file is reported as such rather than as missing.
bool checkpoint_exists(const std::string& prefix) { return has_v2(prefix) || is_file(prefix) || has_v1(prefix); }

std::optional<int64_t> step_of(const std::string& prefix) {
  static const std::regex step_re(R"(-(\d{1,18})$)");
  std::smatch m;
  const std::string name = fs::path(prefix).filename().string();
  if (!std::regex_search(name, m, step_re)) return std::nullopt;
  return std::stoll(m[1]);
}

// The last component of a path written on any system ('/' or '\' separated).
std::string foreign_basename(const std::string& path) {
  const auto cut = path.find_last_of("/\\");
  return cut == std::string::npos ? path : path.substr(cut + 1);
}

bool is_windows_absolute(const std::string& path) {
  return (path.size() >= 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' &&
          (path[2] == '\\' || path[2] == '/')) ||
         path.rfind("\\\\", 0) == 0;
}

ResolvedCheckpoint resolve_prefix(std::string prefix, std::vector<std::string> notes) {
  static const std::regex data_re(R"(\.data-\d{5}-of-\d{5}$)");
  if (prefix.size() > 6 && prefix.ends_with(".index") && is_file(prefix))
    prefix.resize(prefix.size() - 6);
  else if (std::smatch m; std::regex_search(prefix, m, data_re) && is_file(prefix))
    prefix.resize(prefix.size() - static_cast<std::size_t>(m.length(0)));

  ResolvedCheckpoint r;
  r.prefix = prefix;
  r.step = step_of(prefix);
  r.notes = std::move(notes);
  const bool v2 = has_v2(prefix), v1 = has_v1(prefix);
  if (v2 && v1) {
    r.format = CheckpointFormat::kV2;
    r.notes.push_back(fmt::format("both a V1 checkpoint {} and a V2 bundle {}.index exist; using the V2 bundle",
                                  prefix, prefix));
  } else if (v2) {
    r.format = CheckpointFormat::kV2;
  } else if (v1) {
    r.format = CheckpointFormat::kV1;
  } else if (is_file(prefix)) {
    fail("{}: not a checkpoint: not a V1 checkpoint file (no SSTable footer: truncated, or another kind of "
         "file) and not the prefix of a V2 bundle ({}.index does not exist)",
         prefix, prefix);
  } else {
    fail("{}: no checkpoint found: neither {}.index (V2) nor a V1 checkpoint file exists", prefix, prefix);
  }
  return r;
}

// Where a path written in a state file lives on this machine; nullopt when
// no checkpoint exists at any reading of it. `note` explains a fallback.
std::optional<std::string> localize(const fs::path& dir, const std::string& written, std::string* note) {
  std::vector<std::string> candidates;
  const bool foreign = is_windows_absolute(written) || written.find('\\') != std::string::npos;
  if (!foreign) {
    fs::path p(written);
    candidates.push_back((p.is_absolute() ? p : dir / p).lexically_normal().string());
  }
  const std::string local = (dir / foreign_basename(written)).lexically_normal().string();
  if (std::find(candidates.begin(), candidates.end(), local) == candidates.end()) candidates.push_back(local);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!checkpoint_exists(candidates[i])) continue;
    if (i > 0 || foreign)
      *note = fmt::format("the checkpoint state names {}, a path from another machine or folder; using {}",
                          written, candidates[i]);
    return candidates[i];
  }
  return std::nullopt;
}

// "model.ckpt-200" -> "model.ckpt": the name a Saver gives all its steps.
std::string stem_of(const std::string& name) {
  static const std::regex step_re(R"(-\d{1,18}$)");
  return std::regex_replace(name, step_re, "");
}

// The newest V2 bundle in `dir` named as one of `stems` without a step (the
// files were renamed), by the latest .index file time (the highest step
// first, should one ever qualify). Returns the prefix and how it was chosen.
std::optional<std::pair<std::string, std::string>> newest_on_disk(const fs::path& dir,
                                                                  const std::vector<std::string>& stems) {
  struct Found {
    std::string prefix;
    int64_t step;
    fs::file_time_type time;
  };
  std::vector<Found> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= 6 || !name.ends_with(".index") || !entry.is_regular_file(ec)) continue;
    const std::string base = name.substr(0, name.size() - 6);
    // Renamed files only ("model.ckpt-5000" -> "model.ckpt"): an older step
    // of the series the state names, which it does not list, is refused.
    if (std::find(stems.begin(), stems.end(), stem_of(base)) == stems.end() || stem_of(base) != base) continue;
    const std::string prefix = (dir / base).string();
    found.push_back({prefix, step_of(prefix).value_or(-1), fs::last_write_time(entry.path(), ec)});
  }
  if (found.empty()) return std::nullopt;
  auto newer = [](const Found& a, const Found& b) {
    return a.step != b.step ? a.step > b.step : (a.time != b.time ? a.time > b.time : a.prefix < b.prefix);
  };
  std::sort(found.begin(), found.end(), newer);
  std::string how = found.size() == 1 ? "the only one"
                    : found[0].step != found[1].step ? fmt::format("the highest step of {}", found.size())
                                                     : fmt::format("the latest file time of {}", found.size());
  return std::pair{found[0].prefix, how};
}

ResolvedCheckpoint resolve_from_state(const fs::path& dir, const fs::path& state_file) {
  const CheckpointState state = read_checkpoint_state(state_file);
  if (state.model_checkpoint_path.empty())
    fail("{}: model_checkpoint_path is empty", state_file.string());
  std::string note;
  if (auto prefix = localize(dir, state.model_checkpoint_path, &note)) {
    std::vector<std::string> notes;
    if (!note.empty()) notes.push_back(note);
    return resolve_prefix(*prefix, std::move(notes));
  }
  // The latest is gone (deleted, or never copied): the newest listed one that
  // still exists, said out loud.
  const auto& all = state.all_model_checkpoint_paths;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    std::string ignored;
    if (auto prefix = localize(dir, *it, &ignored)) {
      return resolve_prefix(
          *prefix, {fmt::format("{} names {} as the latest checkpoint, but it does not exist; using {}, the "
                                "newest existing checkpoint listed in all_model_checkpoint_paths",
                                state_file.string(), state.model_checkpoint_path, *prefix)});
    }
  }
  // Nothing it lists exists because the files were renamed (model.ckpt-N.*
  // -> model.ckpt.*): the newest such bundle on disk, said out loud.
  std::vector<std::string> stems{stem_of(foreign_basename(state.model_checkpoint_path))};
  for (const auto& p : all) stems.push_back(stem_of(foreign_basename(p)));
  if (auto newest = newest_on_disk(dir, stems)) {
    return resolve_prefix(
        newest->first,
        {fmt::format("{} names {} as the latest checkpoint, but no checkpoint it lists exists; using {}, the newest "
                     "checkpoint on disk ({})",
                     state_file.string(), state.model_checkpoint_path, newest->first, newest->second)});
  }
  fail("{}: names the checkpoint \"{}\", but no such checkpoint (V2 .index or V1 file) exists in {}{}",
       state_file.string(), state.model_checkpoint_path, dir.string(),
       all.empty() ? "" : "; none of its all_model_checkpoint_paths exists either");
}

ResolvedCheckpoint resolve_by_scan(const fs::path& dir) {
  std::vector<std::string> prefixes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.ends_with(".index") && entry.is_regular_file(ec))
      prefixes.push_back((dir / name.substr(0, name.size() - 6)).string());
  }
  if (prefixes.empty()) {
    const fs::path saved_model = dir / "variables" / "variables";
    if (has_v2(saved_model.string()))
      return resolve_prefix(saved_model.string(),
                            {fmt::format("{} is a SavedModel directory; using its variables {}", dir.string(),
                                         saved_model.string())});
    fail("{}: no checkpoint here: no `checkpoint` state file and no *.index bundle in this directory",
         dir.string());
  }
  // Highest step first; a prefix without a step sorts below any with one.
  auto rank = [](const std::string& p) { return step_of(p).value_or(-1); };
  std::sort(prefixes.begin(), prefixes.end(),
            [&](const std::string& a, const std::string& b) { return rank(a) > rank(b) || (rank(a) == rank(b) && a < b); });
  if (prefixes.size() > 1 && rank(prefixes[0]) == rank(prefixes[1]))
    fail("{}: no `checkpoint` state file and several bundles with no highest step ({} and {}): name one",
         dir.string(), prefixes[0], prefixes[1]);
  std::vector<std::string> notes;
  if (prefixes.size() > 1)
    notes.push_back(fmt::format("{} has no `checkpoint` state file; using {}, the highest-step bundle of {}",
                                dir.string(), prefixes[0], prefixes.size()));
  return resolve_prefix(prefixes[0], std::move(notes));
}

}  // namespace

ResolvedCheckpoint resolve_checkpoint(const std::filesystem::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path state_file = path / "checkpoint";
    if (is_file(state_file)) return resolve_from_state(path, state_file);
    return resolve_by_scan(path);
  }
  return resolve_prefix(path.string(), {});
}

std::unique_ptr<CheckpointReader> open_checkpoint(const ResolvedCheckpoint& resolved) {
  return resolved.format == CheckpointFormat::kV2 ? open_bundle_v2(resolved.prefix)
                                                   : open_checkpoint_v1(resolved.prefix);
}

}  // namespace tfprod
