#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tfprod/allocator.h"

namespace tfprod {
namespace {

bool huge_pages_on() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  return std::getline(in, mode) && mode.find("[never]") == std::string::npos;
}

// The VmFlags line of the mapping in /proc/self/smaps that holds `p`.
std::string vm_flags_of(const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = addr >= lo && addr < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(Allocator, MarksTheHeapForHugePagesAndKeepsMarkingItAsItGrows) {
  tune_allocator();
  tune_allocator();  // once per process
#if defined(__linux__) && defined(__GLIBC__)
  if (!huge_pages_on()) {
    EXPECT_EQ(advised_heap_bytes(), 0u) << "the kernel's transparent huge pages are off: nothing to advise";
    return;
  }
  const std::size_t first = advised_heap_bytes();
  EXPECT_GE(first, std::size_t{64} << 20) << "the heap grows by a whole 64 MiB pad, marked at once";

  // Under glibc's 32 MiB mmap threshold: from the heap, in the marked part.
  char* weights = static_cast<char*>(std::malloc(std::size_t{4} << 20));
  ASSERT_NE(weights, nullptr);
  std::memset(weights, 1, std::size_t{4} << 20);
  EXPECT_NE(vm_flags_of(weights).find(" hg"), std::string::npos) << vm_flags_of(weights);

  // Grow the heap past its first pad: what it grows by is marked on the next call.
  std::vector<char*> kept;
  for (int i = 0; i < 40; ++i) {
    kept.push_back(static_cast<char*>(std::malloc(std::size_t{4} << 20)));
    ASSERT_NE(kept.back(), nullptr);
    kept.back()[0] = 1;
  }
  advise_heap();
  EXPECT_GT(advised_heap_bytes(), first + (std::size_t{64} << 20));
  EXPECT_NE(vm_flags_of(kept.back()).find(" hg"), std::string::npos) << vm_flags_of(kept.back());
  for (char* p : kept) std::free(p);
  std::free(weights);
#else
  EXPECT_EQ(advised_heap_bytes(), 0u);
#endif
}

}  // namespace
}  // namespace tfprod
