// The events reader on generated files: framing and crc checks, the Event
// parser against protobuf's, TensorBoard's restart purges, scalar encodings,
// every listed bad input (one line naming file and byte offset), the output
// formats and the tag glob.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <unistd.h>

#include <cmath>
#include <fstream>

#include "events_support.h"
#include "test_support.h"
#include "tfprod/error.h"

namespace tfprod::test {
namespace {

namespace fs = std::filesystem;
using ERun = events::Run;

const events::Series& series(const ERun& run, const std::string& tag) {
  auto it = run.scalars.find(tag);
  if (it == run.scalars.end()) throw std::runtime_error("no tag " + tag);
  return it->second;
}

ERun read_one(const fs::path& dir) {
  auto runs = events::read_runs(dir);
  if (runs.size() != 1) throw std::runtime_error("expected one run");
  return runs[0];
}

TEST(Events, FramingRoundTripsEveryRecord) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  std::vector<tf::Event> evs = {version_event()};
  for (int i = 0; i < 1000; ++i) evs.push_back(scalar_event(i, "loss", 1.0f / static_cast<float>(i + 1)));
  write_events(f, evs);
  std::vector<int64_t> steps;
  const uint64_t n = events::for_each_event(f, [&](const events::EventView& e) {
    if (e.has_summary) steps.push_back(e.step);
  });
  EXPECT_EQ(n, 1001u);
  ASSERT_EQ(steps.size(), 1000u);
  EXPECT_EQ(steps[999], 999);
}

TEST(Events, ParserAgreesWithProtobuf) {
  tf::Event e = scalar_event(42, "a/b", -3.5f, 1234.5);
  auto* hv = e.mutable_summary()->add_value();
  hv->set_tag("h");
  hv->mutable_histo()->set_num(3);
  auto* iv = e.mutable_summary()->add_value();
  iv->set_tag("img");
  iv->mutable_image()->set_height(2);
  auto* tv = e.mutable_summary()->add_value();
  tv->set_tag("t");
  tv->mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
  tv->mutable_tensor()->set_dtype(tf::DT_DOUBLE);
  tv->mutable_tensor()->add_double_val(0.25);
  e.mutable_source_metadata()->set_writer("pytorch");
  const std::string bytes = e.SerializeAsString();
  events::EventView v;
  std::string why;
  ASSERT_TRUE(events::parse_event(bytes, &v, &why)) << why;
  EXPECT_EQ(v.step, e.step());
  EXPECT_EQ(v.wall_time, e.wall_time());
  EXPECT_EQ(v.source_writer, "pytorch");
  ASSERT_EQ(v.values.size(), 4u);
  EXPECT_EQ(v.values[0].tag, "a/b");
  EXPECT_EQ(v.values[0].simple_value, -3.5f);
  EXPECT_EQ(v.values[1].kind, events::ValueView::Kind::kHisto);
  EXPECT_EQ(v.values[2].kind, events::ValueView::Kind::kImage);
  EXPECT_EQ(v.values[3].kind, events::ValueView::Kind::kTensor);
  EXPECT_EQ(v.values[3].plugin_name, "scalars");
  ASSERT_TRUE(v.values[3].tensor_scalar.has_value());
  EXPECT_EQ(*v.values[3].tensor_scalar, 0.25);

  tf::Event s = session_event(7, tf::SessionLog::CHECKPOINT);
  s.mutable_session_log()->set_checkpoint_path("/x/model.ckpt-7");
  ASSERT_TRUE(events::parse_event(s.SerializeAsString(), &v, &why)) << why;
  EXPECT_TRUE(v.has_session_log);
  EXPECT_EQ(v.session_status, 3);
  EXPECT_EQ(v.checkpoint_path, "/x/model.ckpt-7");
  EXPECT_TRUE(v.values.empty());
}

TEST(Events, SessionLogStartPurgesTheRunInVersion2Files) {
  const fs::path dir = scratch_dir();
  std::vector<tf::Event> evs = {version_event("brain.Event:2")};
  for (int i = 0; i < 10; ++i) evs.push_back(scalar_event(i, "loss", static_cast<float>(i)));
  for (int i = 0; i < 10; ++i) evs.push_back(scalar_event(i, "acc", static_cast<float>(i)));
  evs.push_back(session_event(5, tf::SessionLog::START));
  for (int i = 5; i < 8; ++i) evs.push_back(scalar_event(i, "loss", 100.0f + static_cast<float>(i)));
  write_events(dir / "events.out.tfevents.1", evs);
  const ERun run = read_one(dir);
  EXPECT_EQ(series(run, "loss").steps, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(series(run, "loss").values[5], 105.0);
  EXPECT_EQ(series(run, "acc").steps, (std::vector<int64_t>{0, 1, 2, 3, 4}));  // the whole run purged
}

TEST(Events, OutOfOrderStepPurgesItsTagsInOlderFiles) {
  const fs::path dir = scratch_dir();
  std::vector<tf::Event> evs = {version_event("brain.Event:1")};
  for (int i = 0; i < 10; ++i) evs.push_back(scalar_event(i, "loss", static_cast<float>(i)));
  for (int i = 0; i < 10; ++i) evs.push_back(scalar_event(i, "acc", static_cast<float>(i)));
  // acc restarts at 3: acc's points at steps >= 3 go, loss keeps its own.
  evs.push_back(scalar_event(3, "acc", 42.0f));
  write_events(dir / "events.out.tfevents.1", evs);
  const ERun run = read_one(dir);
  EXPECT_EQ(series(run, "acc").steps, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(series(run, "acc").values.back(), 42.0);
  EXPECT_EQ(series(run, "loss").size(), 10u);
}

TEST(Events, DuplicateStepsWithoutSessionLogKeepEveryPointAndNaN) {
  const fs::path dir = scratch_dir();
  std::vector<tf::Event> evs = {version_event("brain.Event:2")};
  for (int rep = 0; rep < 2; ++rep)
    for (int i = 0; i < 5; ++i) evs.push_back(scalar_event(i, "x", rep ? NAN : static_cast<float>(i)));
  write_events(dir / "events.out.tfevents.1", evs);
  const ERun run = read_one(dir);
  ASSERT_EQ(series(run, "x").size(), 10u);
  EXPECT_TRUE(std::isnan(series(run, "x").values[9]));
}

TEST(Events, FilesOfARunAreReadInNameOrder) {
  const fs::path dir = scratch_dir();
  write_events(dir / "events.out.tfevents.2", {version_event(), scalar_event(2, "x", 2)});
  write_events(dir / "events.out.tfevents.1", {version_event(), scalar_event(1, "x", 1)});
  write_events(dir / "eval" / "events.out.tfevents.3", {version_event(), scalar_event(2, "x", 3)});
  const auto runs = events::read_runs(dir);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, ".");
  EXPECT_EQ(runs[1].name, "eval");
  EXPECT_EQ(series(runs[0], "x").steps, (std::vector<int64_t>{1, 2}));
}

TEST(Events, TensorScalarsFollowTheTagsFirstMetadata) {
  const fs::path dir = scratch_dir();
  write_events(dir / "events.out.tfevents.1",
               {version_event(), tensor_scalar_event(0, "loss", 0.5f), tensor_scalar_event(1, "loss", 0.25f, false),
                tensor_scalar_event(0, "nometa", 1.0f, false)});
  const ERun run = read_one(dir);
  EXPECT_EQ(series(run, "loss").values, (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(run.scalars.count("nometa"), 0u);
  EXPECT_EQ(run.others.count("nometa"), 1u);
}

// Resident memory now (statm), in bytes.
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

TEST(Events, ReadingStreamsMemoryDoesNotGrowWithTheFile) {
  const fs::path f = scratch_dir() / "events.out.tfevents.big";
  {
    std::filesystem::create_directories(f.parent_path());
    std::ofstream out(f, std::ios::binary);
    const std::string head = framed({version_event()});
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    // 64 MiB of 1 MiB histogram-like records and small scalars.
    tf::Event big = scalar_event(1, "h", 0);
    big.mutable_summary()->mutable_value(0)->set_obsolete_old_style_histogram(std::string(1 << 20, 'x'));
    const std::string big_rec = events::frame_record(big.SerializeAsString());
    for (int i = 0; i < 64; ++i) {
      out.write(big_rec.data(), static_cast<std::streamsize>(big_rec.size()));
      const std::string small = framed({scalar_event(i, "loss", 1.0f)});
      out.write(small.data(), static_cast<std::streamsize>(small.size()));
    }
  }
  ASSERT_GT(fs::file_size(f), uint64_t{64} << 20);
  const uint64_t before = resident_bytes();
  uint64_t peak = before, events = 0;
  events::for_each_event(f, [&](const events::EventView&) {
    peak = std::max(peak, resident_bytes());
    ++events;
  });
  EXPECT_EQ(events, 129u);
  // One 1 MiB record in the buffer at a time, not the 64 MiB file.
  EXPECT_LT(peak - before, uint64_t{8} << 20) << "resident memory grew by " << (peak - before) << " bytes";
}

// --- bad input: each a one-line error naming the file and the byte offset

std::string error_of(const fs::path& file) {
  try {
    events::for_each_event(file, [](const events::EventView&) {});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_one_line(const std::string& msg, const fs::path& file, const std::string& offset, const std::string& what) {
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset " + offset), std::string::npos) << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(EventsBadInput, CrcMismatchInTheLength) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  std::string bytes = framed({version_event(), scalar_event(1, "x", 1), scalar_event(2, "x", 2)});
  const std::size_t second = framed({version_event()}).size();
  bytes[second + 8] ^= 0x5a;  // the length's crc
  write_bytes(f, bytes);
  expect_one_line(error_of(f), f, std::to_string(second), "crc mismatch in the record length");
}

TEST(EventsBadInput, CrcMismatchInTheData) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  std::string bytes = framed({version_event(), scalar_event(1, "x", 1), scalar_event(2, "x", 2)});
  const std::size_t second = framed({version_event()}).size();
  bytes[second + 14] ^= 0x01;  // a payload byte
  write_bytes(f, bytes);
  expect_one_line(error_of(f), f, std::to_string(second), "crc mismatch in the data");
  // The run keeps what came before, and says so.
  const ERun run = read_one(f.parent_path());
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_NE(run.errors[0].find("kept the 1 records before it"), std::string::npos) << run.errors[0];
}

TEST(EventsBadInput, WrongLengthOrMagic) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  write_bytes(f, "this is not a TFRecord file at all, just text\n");
  expect_one_line(error_of(f), f, "0", "crc mismatch in the record length");
  // Valid framing, but the first record is not a file_version header.
  const fs::path g = scratch_dir() / "events.out.tfevents.2";
  write_events(g, {scalar_event(1, "x", 1)});
  expect_one_line(error_of(g), g, "0", "not an events file");
}

TEST(EventsBadInput, LengthRunningPastTheEndOfAnEarlierFile) {
  const fs::path dir = scratch_dir();
  std::string bytes = framed({version_event(), scalar_event(1, "x", 1), scalar_event(2, "x", 2)});
  bytes.resize(bytes.size() - 3);
  write_bytes(dir / "events.out.tfevents.1", bytes);
  write_events(dir / "events.out.tfevents.2", {version_event(), scalar_event(3, "x", 3)});
  const ERun run = read_one(dir);
  ASSERT_EQ(run.errors.size(), 1u);
  expect_one_line(run.errors[0], dir / "events.out.tfevents.1", std::to_string(framed({version_event(), scalar_event(1, "x", 1)}).size()),
                  "runs past the end of the file");
  EXPECT_EQ(series(run, "x").steps, (std::vector<int64_t>{1, 3}));
  // As the last file (a writer may be at work): a warning, the complete records kept.
  fs::remove(dir / "events.out.tfevents.2");
  const ERun last = read_one(dir);
  EXPECT_TRUE(last.errors.empty());
  ASSERT_EQ(last.warnings.size(), 1u);
  EXPECT_NE(last.warnings[0].find("may still be being written"), std::string::npos);
  EXPECT_EQ(series(last, "x").steps, (std::vector<int64_t>{1}));
}

TEST(EventsBadInput, RecordThatIsNotAnEvent) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  std::string bytes = framed({version_event()});
  const std::size_t second = bytes.size();
  bytes += events::frame_record(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11));
  write_bytes(f, bytes);
  expect_one_line(error_of(f), f, std::to_string(second), "is not an Event");
}

TEST(EventsBadInput, EmptyFile) {
  const fs::path f = scratch_dir() / "events.out.tfevents.1";
  write_bytes(f, "");
  expect_one_line(error_of(f), f, "0", "empty file");
}

TEST(EventsBadInput, DirectoryWithoutEventsFiles) {
  const fs::path dir = scratch_dir();
  write_bytes(dir / "sub" / "notes.txt", "x");
  try {
    events::read_runs(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    expect_one_line(e.what(), dir, "0", "no events files");
  }
}

TEST(EventsBadInput, MetricsCommandExitsNonZeroNamingFileAndOffset) {
  const fs::path dir = scratch_dir();
  std::string bytes = framed({version_event(), scalar_event(1, "x", 1), scalar_event(2, "x", 2)});
  bytes[bytes.size() - 2] ^= 0x10;  // the last record's data crc
  write_bytes(dir / "events.out.tfevents.1", bytes);
  const RunResult r = run(fmt::format("'{}' metrics --json '{}'", tool("tfprod").string(), dir.string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tfprod: error: " + (dir / "events.out.tfevents.1").string() + ": offset "), std::string::npos)
      << r.output;
}

// --- outputs

TEST(EventsOutput, PythonJsonNumbers) {
  EXPECT_EQ(events::python_json_number(1.0), "1.0");
  EXPECT_EQ(events::python_json_number(0.1), "0.1");
  EXPECT_EQ(events::python_json_number(-2.5), "-2.5");
  EXPECT_EQ(events::python_json_number(1e-5), "1e-05");
  EXPECT_EQ(events::python_json_number(0.0001), "0.0001");
  EXPECT_EQ(events::python_json_number(1e16), "1e+16");
  EXPECT_EQ(events::python_json_number(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(events::python_json_number(static_cast<double>(0.1f)), "0.10000000149011612");
  EXPECT_EQ(events::python_json_number(NAN), "NaN");
  EXPECT_EQ(events::python_json_number(INFINITY), "Infinity");
  EXPECT_EQ(events::python_json_number(-INFINITY), "-Infinity");
  EXPECT_EQ(events::python_json_number(1.5e300), "1.5e+300");
}

TEST(EventsOutput, JsonCsvAndTagGlob) {
  const fs::path dir = scratch_dir();
  write_events(dir / "events.out.tfevents.1",
               {version_event(), scalar_event(1, "loss", 0.5f), scalar_event(1, "acc", NAN), scalar_event(2, "loss", 0.25f)});
  const std::string tfprod = tool("tfprod").string();
  RunResult r = run(fmt::format("'{}' metrics --json --tag 'lo*' '{}'", tfprod, dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "{\"runs\": [{\"run\": \".\", \"tags\": {\"loss\": {\"steps\": [1, 2], \"values\": [0.5, 0.25], "
            "\"wall_times\": [1001.0, 1002.0]}}}]}\n");
  r = run(fmt::format("'{}' metrics --csv '{}'", tfprod, dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "run,tag,step,wall_time,value\n.,acc,1,1001.0,NaN\n.,loss,1,1001.0,0.5\n.,loss,2,1002.0,0.25\n");
  r = run(fmt::format("'{}' metrics '{}'", tfprod, dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("loss"), std::string::npos);
  EXPECT_NE(r.output.find("1..2"), std::string::npos) << r.output;
}

TEST(EventsOutput, GlobMatch) {
  EXPECT_TRUE(events::glob_match("*", "a/b"));
  EXPECT_TRUE(events::glob_match("epoch_*", "epoch_loss"));
  EXPECT_FALSE(events::glob_match("epoch_*", "batch_loss"));
  EXPECT_TRUE(events::glob_match("l?ss", "loss"));
  EXPECT_TRUE(events::glob_match("[lm]oss", "moss"));
  EXPECT_FALSE(events::glob_match("[!lm]oss", "loss"));
  EXPECT_TRUE(events::glob_match("*/loss", "dnn/x/loss"));
  EXPECT_FALSE(events::glob_match("loss", "loss2"));
}

TEST(EventsOutput, PlotDrawsAChartPerTag) {
  const fs::path dir = scratch_dir();
  write_events(dir / "events.out.tfevents.1", {version_event(), scalar_event(1, "loss", 0.5f), scalar_event(2, "loss", 0.25f)});
  write_events(dir / "eval" / "events.out.tfevents.1", {version_event(), scalar_event(2, "loss", 0.3f), scalar_event(2, "acc", 0.9f)});
  const auto runs = events::read_runs(dir);
  const std::string svg = events::metrics_svg(runs);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  std::size_t charts = 0;
  for (std::size_t p = svg.find("class=\"chart\""); p != std::string::npos; p = svg.find("class=\"chart\"", p + 1)) ++charts;
  EXPECT_EQ(charts, 2u);
  EXPECT_NE(svg.find(">eval</text>"), std::string::npos);  // train and eval on the loss chart
}

}  // namespace
}  // namespace tfprod::test
