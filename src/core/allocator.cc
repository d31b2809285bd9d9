// Allocator tuning (see tfprod/allocator.h).
#include "tfprod/allocator.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#define TFPROD_GLIBC_LINUX 1
#endif

namespace tfprod {

#ifdef TFPROD_GLIBC_LINUX

namespace {

constexpr int kMmapThreshold = 32 << 20;  // glibc's largest: it refuses more and keeps its default
constexpr int kTopPad = 64 << 20;
constexpr int kTrimThreshold = 128 << 20;  // over the pad, so a trim leaves a whole pad

std::atomic<bool> advising{false};
std::atomic<uintptr_t> advised_begin{0};
std::atomic<uintptr_t> advised_end{0};

// False where the kernel's transparent huge pages are off ("[never]") or
// absent: the advice would change nothing.
bool huge_pages_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  if (!std::getline(in, mode)) return false;
  return mode.find("[never]") == std::string::npos;
}

// Where the heap starts ([heap] in /proc/self/maps), or `fallback`: the
// chunk the allocator hands out next may begin below the current break.
uintptr_t heap_start(uintptr_t fallback) {
  std::ifstream in("/proc/self/maps");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("[heap]") == std::string::npos) continue;
    return static_cast<uintptr_t>(std::stoull(line.substr(0, line.find('-')), nullptr, 16));
  }
  return fallback;
}

uintptr_t page_down(uintptr_t p) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return p & ~(page - 1);
}

}  // namespace

void tune_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
    mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
    mallopt(M_TOP_PAD, kTopPad);
    if (!huge_pages_available()) return;
    const auto begin = reinterpret_cast<uintptr_t>(sbrk(0));
    // One small buffer grows the heap by a whole pad now, so that the first
    // weights land in memory already marked (volatile: the pair is kept).
    // The heap is marked from its start: the free chunk at its top, which
    // the next buffer comes from, begins below the break.
    char* volatile probe = static_cast<char*>(std::malloc(1 << 20));
    std::free(probe);
    advised_begin = page_down(heap_start(begin));
    advised_end = advised_begin.load();
    advising = true;
    advise_heap();
  });
}

void advise_heap() {
  if (!advising.load(std::memory_order_relaxed)) return;
  const auto end = reinterpret_cast<uintptr_t>(sbrk(0));  // glibc's cached break: no system call
  uintptr_t done = advised_end.load(std::memory_order_relaxed);
  if (end == done) return;
  if (end < done) {  // trimmed: what grows again is a new mapping
    advised_end = end;
    return;
  }
  const uintptr_t from = page_down(done);
  if (madvise(reinterpret_cast<void*>(from), end - from, MADV_HUGEPAGE) != 0) {
    advising = false;  // the kernel does not take the advice: stop asking
    return;
  }
  advised_end = end;
}

std::size_t advised_heap_bytes() {
  if (!advising) return 0;
  const uintptr_t begin = advised_begin.load(), end = advised_end.load();
  return end > begin ? end - begin : 0;
}

#else

void tune_allocator() {}
void advise_heap() {}
std::size_t advised_heap_bytes() { return 0; }

#endif

}  // namespace tfprod
