// freeze_phases PATH OUTPUT_NODE OUT.pb [--floors [REPS]]
//
// Runs the same steps as `tfprod freeze PATH --output OUTPUT_NODE -o OUT.pb`
// (src/cli/freeze_job.cc) with a clock and the peak RSS around each phase,
// so a slow or fat freeze can be attributed without a profiler:
//
//   open_model_source   graph file parsed, checkpoint resolved
//   open_checkpoint     the .index read
//   from_graphdef       GraphDef -> Graph
//   freeze: ckpt.read   CheckpointReader::read (alloc + pread + crc32c), summed
//   freeze: rest        pruning, make_const/tensor_to_proto, validate
//   release_graphdef    Graph -> GraphDef
//   save_graphdef       ByteSizeLong + serialize through FileOutputStream
//   free                destroying the GraphDef (the tensors)
//
// With --floors it then measures, on the same machine and bytes, what the
// steps could cost at best: allocating and zero-filling a buffer the size of
// the data, pread into it, crc32c over it, write() in 8 KiB pieces through a
// copy (what save_graphdef's FileOutputStream does, whatever its block size,
// with protobuf 3.21) vs. 1 MiB pieces straight from the buffer,
// save_graphdef itself vs. the same stream with CodedOutputStream aliasing
// enabled (tensor_content handed to write() in place; output compared byte for
// byte), and, without holding the data: copy_file_range (what cp does), and
// pread + crc32c (+ write) through a 1 MiB buffer, i.e. a streamed freeze.
//
// A benchmark tool, not a test; see bench/freeze_bench.sh.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/freeze.h"
#include "tfprod/model_file.h"
#include "tfprod/model_source.h"

namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// VmRSS / VmHWM from /proc/self/status, in MiB.
std::pair<double, double> rss_mib() {
  std::ifstream in("/proc/self/status");
  double rss = 0, hwm = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::atof(line.c_str() + 6) / 1024;
  }
  return {rss, hwm};
}

double total_s = 0;
void report(const char* phase, double seconds, const char* extra = "") {
  total_s += seconds;
  auto [rss, hwm] = rss_mib();
  std::printf("  %-26s %8.3f s   rss %8.1f MiB   peak %8.1f MiB  %s\n", phase, seconds, rss, hwm, extra);
  std::fflush(stdout);
}

// Forwards to a reader, adding up the time spent in read().
class TimingReader final : public tfprod::CheckpointReader {
 public:
  explicit TimingReader(const tfprod::CheckpointReader& inner) : inner_(inner) {}
  tfprod::CheckpointFormat format() const override { return inner_.format(); }
  const std::string& prefix() const override { return inner_.prefix(); }
  const std::vector<tfprod::CheckpointTensorInfo>& tensors() const override { return inner_.tensors(); }
  const tfprod::CheckpointTensorInfo* find(const std::string& name) const override { return inner_.find(name); }
  tfprod::Tensor read(const std::string& name) const override {
    auto t0 = Clock::now();
    tfprod::Tensor t = inner_.read(name);
    seconds += since(t0);
    bytes += t.data.size();
    return t;
  }
  mutable double seconds = 0;
  mutable uint64_t bytes = 0;

 private:
  const tfprod::CheckpointReader& inner_;
};

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) tfprod::fail("write failed: {}", std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

int open_out(const fs::path& p) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) tfprod::fail("{}: cannot create: {}", p.string(), std::strerror(errno));
  return fd;
}

bool same_bytes(const fs::path& a, const fs::path& b) {
  if (fs::file_size(a) != fs::file_size(b)) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::vector<char> ba(1 << 20), bb(1 << 20);
  while (fa && fb) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount() || std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(fa.gcount())))
      return false;
  }
  return true;
}

// Median of `reps` timings of fn(); `before` runs untimed ahead of each.
template <class Fn, class Before>
double median_of(int reps, Fn fn, Before before) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    before();
    auto t0 = Clock::now();
    fn();
    t.push_back(since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void read_shards(const std::vector<fs::path>& shards, std::vector<char>& chunk,
                 const std::function<void(const char*, std::size_t)>& sink) {
  for (const auto& s : shards) {
    int fd = ::open(s.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) tfprod::fail("{}: cannot open", s.string());
    for (uint64_t done = 0, n = fs::file_size(s); done < n;) {
      ssize_t r = ::pread(fd, chunk.data(), std::min<uint64_t>(n - done, chunk.size()), static_cast<off_t>(done));
      if (r <= 0) tfprod::fail("{}: read failed", s.string());
      sink(chunk.data(), static_cast<std::size_t>(r));
      done += static_cast<uint64_t>(r);
    }
    ::close(fd);
  }
}

void floors(const std::string& prefix, const tensorflow::GraphDef& frozen, const fs::path& out, int reps) {
  std::vector<fs::path> shards;
  fs::path dir = fs::path(prefix).parent_path();
  std::string stem = fs::path(prefix).filename().string() + ".data-";
  for (const auto& e : fs::directory_iterator(dir.empty() ? fs::path(".") : dir))
    if (e.path().filename().string().rfind(stem, 0) == 0) shards.push_back(e.path());
  std::sort(shards.begin(), shards.end());
  uint64_t size = 0;
  for (const auto& s : shards) size += fs::file_size(s);
  std::printf("floors (median of %d; the frozen graph is still held), over %zu data shard(s), %.1f MiB:\n", reps,
              shards.size(), size / 1048576.0);
  const fs::path scratch = out.string() + ".floor";
  auto clean = [&] {
    std::error_code ec;
    fs::remove(scratch, ec);
  };
  auto nothing = [] {};
  auto line = [](const char* what, double s, const char* note = "") {
    auto [rss, hwm] = rss_mib();
    std::printf("  %-26s %8.3f s   rss %8.1f MiB  %s\n", what, s, rss, note);
    std::fflush(stdout);
  };

  // Holding a copy of the data, as read_entry does.
  std::string buf;
  line("alloc+zero, 4 KiB pages", median_of(reps, [&] { buf.resize(size); }, [&] { std::string().swap(buf); }),
       "(page faults + memset: a plain resize)");
  line("alloc+zero, MADV_HUGEPAGE", median_of(reps, [&] {
         buf.reserve(size);  // allocated, untouched; then the 2 MiB-aligned inside marked for huge pages
         constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
         const auto start = reinterpret_cast<std::uintptr_t>(buf.data());
         const std::uintptr_t begin = (start + kHuge - 1) & ~(kHuge - 1), end = (start + size) & ~(kHuge - 1);
         if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
         buf.resize(size);
       }, [&] { std::string().swap(buf); }),
       "(as checkpoint::allocate_tensor_buffer)");
  std::vector<char> chunk(std::size_t{1} << 20);
  line("pread into it, 1 MiB", median_of(reps, [&] {
         uint64_t off = 0;
         for (const auto& s : shards) {
           int fd = ::open(s.c_str(), O_RDONLY | O_CLOEXEC);
           for (uint64_t done = 0, n = fs::file_size(s); done < n;) {
             ssize_t r = ::pread(fd, buf.data() + off + done, std::min<uint64_t>(n - done, 1 << 20),
                                 static_cast<off_t>(done));
             if (r <= 0) tfprod::fail("{}: read failed", s.string());
             done += static_cast<uint64_t>(r);
           }
           ::close(fd);
           off += fs::file_size(s);
         }
       }, nothing),
       "(straight into the held buffer, as DataFile::read)");
  line("crc32c, one stream", median_of(reps, [&] {
         volatile uint32_t crc = tfprod::crc32c::extend(0, buf.data(), buf.size());
         (void)crc;
       }, nothing));
  line("write 8 KiB via a copy", median_of(reps, [&] {
         int fd = open_out(scratch);
         std::vector<char> small(8192);
         for (uint64_t done = 0; done < size; done += small.size()) {
           const std::size_t n = std::min<uint64_t>(small.size(), size - done);
           std::memcpy(small.data(), buf.data() + done, n);
           write_all(fd, small.data(), n);
         }
         ::close(fd);
       }, clean), "(FileOutputStream's way)");
  line("write 1 MiB direct", median_of(reps, [&] {
         int fd = open_out(scratch);
         for (uint64_t done = 0; done < size; done += 1 << 20)
           write_all(fd, buf.data() + done, std::min<uint64_t>(1 << 20, size - done));
         ::close(fd);
       }, clean));
  line("save_graphdef (as freeze)", median_of(reps, [&] { tfprod::save_graphdef(frozen, scratch, false); }, clean));
  // The change proposed for save_graphdef: the same FileOutputStream, but a
  // CodedOutputStream with aliasing enabled, so each tensor_content goes to
  // one write() from where it lies instead of being copied 8 KiB at a time.
  line("save, aliasing enabled", median_of(reps, [&] {
         frozen.ByteSizeLong();  // caches the sizes SerializeWithCachedSizes uses
         int fd = open_out(scratch);
         bool ok;
         {
           pb::io::FileOutputStream stream(fd);
           {
             pb::io::CodedOutputStream coded(&stream);
             coded.EnableAliasing(true);
             frozen.SerializeWithCachedSizes(&coded);
             ok = !coded.HadError();
           }
           ok = stream.Flush() && ok;
         }
         ok = ::close(fd) == 0 && ok;
         if (!ok) tfprod::fail("{}: write failed", scratch.string());
       }, clean), same_bytes(scratch, out) ? "(output identical to save_graphdef's)" : "(OUTPUT DIFFERS)");
  clean();
  std::string().swap(buf);

  // Not holding the data: what a streaming freeze would do.
  line("copy_file_range", median_of(reps, [&] {
         int fd = open_out(scratch);
         for (const auto& s : shards) {
           int in = ::open(s.c_str(), O_RDONLY | O_CLOEXEC);
           for (uint64_t left = fs::file_size(s); left > 0;) {
             ssize_t n = ::copy_file_range(in, nullptr, fd, nullptr, left, 0);
             if (n <= 0) tfprod::fail("copy_file_range failed: {}", std::strerror(errno));
             left -= static_cast<uint64_t>(n);
           }
           ::close(in);
         }
         ::close(fd);
       }, clean), "(cp's way)");
  line("pread+crc, 1 MiB buffer", median_of(reps, [&] {
         uint32_t c = 0;
         read_shards(shards, chunk, [&](const char* p, std::size_t n) { c = tfprod::crc32c::extend(c, p, n); });
       }, nothing), "(verify without holding)");
  line("pread+crc+write, 1 MiB", median_of(reps, [&] {
         int fd = open_out(scratch);
         uint32_t c = 0;
         read_shards(shards, chunk, [&](const char* p, std::size_t n) {
           c = tfprod::crc32c::extend(c, p, n);
           write_all(fd, p, n);
         });
         ::close(fd);
       }, clean), "(streamed freeze: verify while copying)");
  clean();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: freeze_phases PATH OUTPUT_NODE OUT.pb [--floors [REPS]]\n");
    return 2;
  }
  const fs::path input = argv[1];
  const std::string output_node = argv[2];
  const fs::path out = argv[3];
  const bool with_floors = argc > 4 && std::string(argv[4]) == "--floors";
  const int reps = argc > 5 ? std::max(1, std::atoi(argv[5])) : 3;
  try {
    std::printf("freeze phases (%s -> %s):\n", input.c_str(), out.c_str());
    auto t0 = Clock::now();
    tfprod::ModelSource src = tfprod::open_model_source(input, {});
    report("open_model_source", since(t0));
    if (!src.checkpoint) tfprod::fail("{}: no checkpoint", input.string());

    t0 = Clock::now();
    auto reader = tfprod::open_checkpoint(*src.checkpoint);
    report("open_checkpoint", since(t0));

    t0 = Clock::now();
    tfprod::Graph graph =
        tfprod::Graph::from_graphdef(std::move(*src.meta.mutable_graph_def()), src.graph_path.string());
    report("from_graphdef", since(t0));

    TimingReader timed(*reader);
    tfprod::FreezeOptions options;
    options.outputs = {output_node};
    tfprod::FreezeReport freeze_report;
    t0 = Clock::now();
    tfprod::Graph frozen = tfprod::freeze(std::move(graph), timed, options, &freeze_report);
    const double freeze_s = since(t0);
    report("freeze: ckpt.read", timed.seconds,
           fmt::format("({} tensors, {:.1f} MiB)", freeze_report.frozen.size(), timed.bytes / 1048576.0).c_str());
    report("freeze: rest", freeze_s - timed.seconds);

    t0 = Clock::now();
    tensorflow::GraphDef def = std::move(frozen).release_graphdef();
    report("release_graphdef", since(t0));

    t0 = Clock::now();
    const std::size_t bytes = def.ByteSizeLong();
    tfprod::save_graphdef(def, out, false);
    report("save_graphdef", since(t0), fmt::format("({:.1f} MiB)", bytes / 1048576.0).c_str());
    std::printf("  %-26s %8.3f s\n", "total (before free)", total_s);

    if (with_floors) floors(src.checkpoint->prefix, def, out, reps);

    t0 = Clock::now();
    { tensorflow::GraphDef gone = std::move(def); }
    report("free", since(t0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freeze_phases: %s\n", e.what());
    return 1;
  }
  return 0;
}
