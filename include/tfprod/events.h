// Training metrics from TensorBoard events files, without TensorFlow.
//
// Layers, each usable alone:
//  - RecordReader: TFRecord framing (uint64 length, masked crc32c of the
//    length, payload, masked crc32c of the payload), every crc checked,
//    streamed through a fixed buffer (memory grows with the largest record,
//    never with the file);
//  - parse_event: the parts of an Event and its Summary.Values tfprod uses,
//    read straight off the wire into views of the record (no copies);
//  - read_runs: every folder under a directory that holds events files is a
//    run; its files are read in file-name order and its scalars accumulated
//    as TensorBoard's EventAccumulator does (restart purges included).
// Errors name the file and the byte offset: "FILE: offset N: what is wrong".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tfprod::events {

// True for a file name TensorBoard reads as an events file ("tfevents" in it).
bool is_events_file_name(std::string_view name);

// Frames one payload as a TFRecord (for writers and tests).
std::string frame_record(std::string_view payload);

class RecordReader {
 public:
  enum class Result { kRecord, kEnd, kTruncated };
  // Opens `file`; throws Error naming it when it cannot be read.
  explicit RecordReader(const std::filesystem::path& file, std::size_t buffer_bytes = std::size_t{1} << 20);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // The next payload (valid until the next call). kEnd at a clean end of
  // file; kTruncated when the last record is cut short (truncation() says
  // how). Throws Error "FILE: offset N: ..." on a crc mismatch.
  Result next(std::string_view* payload);
  uint64_t record_offset() const { return record_offset_; }  // of the record last returned / at fault
  uint64_t file_size() const { return size_; }
  uint64_t records() const { return records_; }
  const std::string& truncation() const { return truncation_; }
  const std::string& path() const { return path_; }

 private:
  bool fill(std::size_t need);  // ensures `need` bytes from buf_lo_; false at EOF
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0, base_ = 0, record_offset_ = 0, records_ = 0;  // base_: file offset of buf_[0]
  std::vector<char> buf_;
  std::size_t lo_ = 0, hi_ = 0;
  std::string truncation_;
};

// One Summary.Value, as views into the record.
struct ValueView {
  enum class Kind { kNone, kSimpleValue, kOldHistogram, kImage, kHisto, kAudio, kTensor };
  std::string_view tag;
  Kind kind = Kind::kNone;
  float simple_value = 0;
  bool has_metadata = false;
  std::string_view plugin_name;
  // kTensor: dtype, element count, and the value when it is one numeric element.
  int tensor_dtype = 0;
  int64_t tensor_elements = 0;
  std::optional<double> tensor_scalar;
};

// One Event, as views into the record.
struct EventView {
  double wall_time = 0;
  int64_t step = 0;
  bool has_file_version = false, has_summary = false, has_session_log = false, has_graph_def = false,
       has_log_message = false, has_tagged_run_metadata = false, has_meta_graph_def = false,
       has_source_metadata = false;
  std::string_view file_version, graph_def, meta_graph_def, source_writer, log_message, run_metadata_tag;
  int session_status = 0;  // 1 START, 2 STOP, 3 CHECKPOINT
  std::string_view checkpoint_path;
  std::vector<ValueView> values;
};

// Parses an Event (`out` is reset; its vectors keep their capacity). On
// malformed bytes returns false and says why in `why`.
bool parse_event(std::string_view bytes, EventView* out, std::string* why);

// "brain.Event:2" -> 2, as TensorBoard's _ParseFileVersion (-1 when unreadable).
double parse_file_version(std::string_view file_version);

struct Series {
  std::vector<int64_t> steps;
  std::vector<double> values, wall_times;
  std::size_t size() const { return steps.size(); }
};

// Tags that are not scalars: counted (histograms, images, audio, other tensors).
struct CountedTag {
  std::string plugin;  // "histograms", "images", "audio", or a tensor's plugin ("" when none)
  std::size_t count = 0;
  int64_t first_step = 0, last_step = 0;
};

struct Run {
  std::string name;  // path relative to the directory read, "." for the directory itself
  std::filesystem::path dir;
  std::vector<std::filesystem::path> files;  // in the order read (file-name order)
  std::map<std::string, Series, std::less<>> scalars;
  std::map<std::string, CountedTag, std::less<>> others;
  std::size_t events = 0, graphs = 0, meta_graphs = 0, run_metadata = 0, purges = 0;
  std::vector<int64_t> checkpoint_steps;  // SessionLog CHECKPOINT events
  std::vector<std::string> warnings;      // one line each (a truncated last record, ...)
  std::vector<std::string> errors;        // one line each: FILE: offset N: what; what was kept
};

struct ReadOptions {
  std::function<bool(std::string_view tag)> keep_tag;  // scalars and counted tags; empty: all
};

// Folders under `dir` (itself included) holding events files, sorted.
std::vector<std::filesystem::path> find_run_dirs(const std::filesystem::path& dir);

// Reads one run: its events files (not those of sub-folders) in name order.
Run read_run(const std::filesystem::path& root, const std::filesystem::path& run_dir, const ReadOptions& options = {});

// Every run under `dir`. Throws Error when `dir` does not exist or holds no
// events file. File-level problems land in each Run's warnings / errors.
std::vector<Run> read_runs(const std::filesystem::path& dir, const ReadOptions& options = {});

// Streams the events of one file through `on_event` (the run's restart logic
// not applied). Throws Error "FILE: offset N: ..." on bad input; a truncated
// last record ends the stream and is reported through `truncated`
// (left empty otherwise). Returns the number of events read.
uint64_t for_each_event(const std::filesystem::path& file, const std::function<void(const EventView&)>& on_event,
                        std::string* truncated = nullptr);

// --- output: `tfprod metrics`

// Shell-style glob: * ? [abc]; '/' is an ordinary character.
bool glob_match(std::string_view pattern, std::string_view text);

// A double as Python's json module writes it: shortest round-trip repr, "1.0"
// for integral values, NaN / Infinity / -Infinity.
std::string python_json_number(double v);

std::string metrics_json(const std::vector<Run>& runs);
std::string metrics_csv(const std::vector<Run>& runs);   // run,tag,step,wall_time,value
std::string metrics_table(const std::vector<Run>& runs);  // per run and tag: points, steps, first/last/min/max

struct PlotOptions {
  bool log_scale = false;
  int width = 520, height = 300;  // of one chart
};
// One chart per scalar tag, every run that has the tag drawn on it. Standalone SVG.
std::string metrics_svg(const std::vector<Run>& runs, const PlotOptions& options = {});

// --- choosing a checkpoint by its eval metrics

struct CheckpointMetrics {
  std::string prefix;  // checkpoint prefix on disk
  int64_t step = 0;
  std::map<std::string, double> metrics;  // eval metrics recorded at this step (first eval run that has it)
  std::string eval_run;                   // which run they came from ("" when none)
};

// Every V2/V1 checkpoint in `dir` with a -STEP suffix, by step, with the eval
// metrics recorded at its step in the eval runs (eval/, eval_*/, validation/).
std::vector<CheckpointMetrics> checkpoint_metrics(const std::filesystem::path& dir, const std::vector<Run>& runs);
std::vector<CheckpointMetrics> checkpoint_metrics(const std::filesystem::path& dir);

struct CheckpointChoice {
  std::string prefix;
  int64_t step = 0;
  std::string reason;  // one line: why this one
};

// True for "latest", "best", "best:METRIC", "step:N".
bool is_checkpoint_selector(std::string_view spec);
// Resolves a selector in training directory `dir`. "best" minimises eval
// loss; "best:METRIC" minimises a loss/error-like metric (loss, error, mae,
// mse, ...) and maximises any other. Throws Error with a clear message when
// no checkpoint on disk has the metric, or no checkpoint has step N.
CheckpointChoice choose_checkpoint(const std::filesystem::path& dir, std::string_view spec);

}  // namespace tfprod::events
