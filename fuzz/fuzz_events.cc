// The events reader: TFRecord framing, Event parsing and a run's accumulation
// (restart purges, scalar encodings) on one fuzzed events file, read both as
// the run's last file (a cut record is a warning) and as an earlier one.
#include "fuzz_util.h"
#include "tfprod/events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = tfprod::fuzz::scratch() / "events";
  std::filesystem::create_directories(dir);
  tfprod::fuzz::put("events/events.out.tfevents.1", tfprod::fuzz::as_view(data, size));
  tfprod::fuzz::guarded([&] {
    const auto runs = tfprod::events::read_runs(dir);
    for (const auto& run : runs) {
      for (const auto& [tag, s] : run.scalars)
        if (s.steps.size() != s.values.size() || s.steps.size() != s.wall_times.size()) __builtin_trap();
      for (const auto& e : run.errors)
        if (e.empty() || e.find('\n') != std::string::npos) __builtin_trap();
      (void)tfprod::events::metrics_json(runs);
      (void)tfprod::events::metrics_table(runs);
    }
  });
  tfprod::fuzz::guarded([&] {
    tfprod::events::for_each_event(dir / "events.out.tfevents.1", [](const tfprod::events::EventView&) {});
  });
  return 0;
}
