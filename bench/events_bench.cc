// Events reader benchmark (Google Benchmark): generates two 256 MiB events
// files and reads them on one core, printing MiB/s and the process's peak RSS.
//  - training: what makes real events files big: per step, Estimator-style
//    scalars (simple_value) and histograms; read with read_run, every scalar
//    point kept (the `tfprod metrics` path);
//  - scalars: nothing but small scalar events (~50 bytes a record, the worst
//    case per byte); streamed with for_each_event, each value folded into a
//    sum (memory would otherwise be the points themselves, not the reader).
//
//   events_bench [--size_mib=256] [--dir=/tmp] [benchmark flags]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tfprod/events.h"
#include "tfprod/tf/util/event.pb.h"

namespace fs = std::filesystem;
using namespace tfprod;

namespace {

uint64_t g_size = uint64_t{256} << 20;
fs::path g_dir = fs::temp_directory_path();

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Streams events into `path` until it holds `size` bytes.
template <class MakeEvent>
void generate(const fs::path& path, uint64_t size, MakeEvent make) {
  if (fs::exists(path) && fs::file_size(path) >= size) return;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  tf::Event v;
  v.set_wall_time(1.6e9);
  v.set_file_version("brain.Event:2");
  std::string rec = events::frame_record(v.SerializeAsString());
  out.write(rec.data(), static_cast<std::streamsize>(rec.size()));
  uint64_t written = rec.size();
  for (int64_t step = 1; written < size; ++step) {
    const tf::Event e = make(step);
    rec = events::frame_record(e.SerializeAsString());
    out.write(rec.data(), static_cast<std::streamsize>(rec.size()));
    written += rec.size();
  }
}

fs::path training_file() {
  const fs::path dir = g_dir / "tfprod_events_bench_training";
  fs::create_directories(dir);
  const fs::path path = dir / "events.out.tfevents.1.bench";
  std::mt19937 rng(1);
  std::normal_distribution<double> normal;
  generate(path, g_size, [&](int64_t step) {
    tf::Event e;
    e.set_wall_time(1.6e9 + static_cast<double>(step) * 0.01);
    e.set_step(step);
    auto* s = e.mutable_summary();
    for (const char* tag : {"loss", "accuracy", "learning_rate", "global_step/sec", "dnn/hiddenlayer_0/fraction_of_zero_values",
                            "dnn/hiddenlayer_1/fraction_of_zero_values", "dnn/logits/fraction_of_zero_values", "average_loss"}) {
      auto* v = s->add_value();
      v->set_tag(tag);
      v->set_simple_value(static_cast<float>(1.0 / static_cast<double>(step) + 0.01 * normal(rng)));
    }
    for (const char* tag : {"dnn/hiddenlayer_0/activation", "dnn/hiddenlayer_1/activation", "dnn/logits/activation",
                            "dnn/hiddenlayer_0/kernel"}) {
      auto* h = s->add_value();
      h->set_tag(tag);
      auto* histo = h->mutable_histo();
      histo->set_min(-3), histo->set_max(3), histo->set_num(1000), histo->set_sum(normal(rng)),
          histo->set_sum_squares(1000);
      for (int b = 0; b < 30; ++b) {
        histo->add_bucket_limit(-3 + 0.2 * b);
        histo->add_bucket(std::abs(normal(rng)) * 50);
      }
    }
    return e;
  });
  return dir;
}

fs::path scalars_file() {
  const fs::path path = g_dir / "tfprod_events_bench_scalars.tfevents";
  generate(path, g_size, [](int64_t step) {
    tf::Event e;
    e.set_wall_time(1.6e9 + static_cast<double>(step) * 0.01);
    e.set_step(step);
    auto* v = e.mutable_summary()->add_value();
    v->set_tag("loss");
    v->set_simple_value(1.0f / static_cast<float>(step));
    return e;
  });
  return path;
}

void BM_ScalarsStream(benchmark::State& state) {
  const fs::path path = scalars_file();
  const uint64_t bytes = fs::file_size(path);
  uint64_t events = 0;
  double sum = 0;
  for (auto _ : state) {
    events += events::for_each_event(path, [&](const events::EventView& e) {
      for (const auto& v : e.values) sum += v.simple_value;
    });
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  state.counters["MiB/s"] = benchmark::Counter(static_cast<double>(bytes * state.iterations()) / (1 << 20),
                                                benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events / state.iterations());
  state.counters["peak_RSS_MiB"] = peak_rss_mib();
}

void BM_TrainingRun(benchmark::State& state) {
  const fs::path dir = training_file();
  uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(dir)) bytes += fs::file_size(e.path());
  std::size_t points = 0;
  for (auto _ : state) {
    const events::Run run = events::read_run(dir, dir);
    points = 0;
    for (const auto& [tag, s] : run.scalars) points += s.size();
    benchmark::DoNotOptimize(points);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  state.counters["MiB/s"] = benchmark::Counter(static_cast<double>(bytes * state.iterations()) / (1 << 20),
                                                benchmark::Counter::kIsRate);
  state.counters["points"] = static_cast<double>(points);
  state.counters["peak_RSS_MiB"] = peak_rss_mib();
}

BENCHMARK(BM_ScalarsStream)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TrainingRun)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--size_mib=", 11) == 0) g_size = std::stoull(argv[i] + 11) << 20;
    else if (std::strncmp(argv[i], "--dir=", 6) == 0) g_dir = argv[i] + 6;
    else continue;
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc, --i;
  }
  // Generated first; the generator streams one record at a time, so the
  // process-wide peak RSS printed after it is the generator's small one.
  scalars_file();
  training_file();
  std::printf("generated %s and %s (%.0f MiB each); peak RSS after generating: %.1f MiB\n",
              (g_dir / "tfprod_events_bench_scalars.tfevents").c_str(),
              (g_dir / "tfprod_events_bench_training").c_str(), static_cast<double>(g_size) / (1 << 20), peak_rss_mib());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
