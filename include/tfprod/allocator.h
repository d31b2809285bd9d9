// Process-wide memory-allocator tuning for tensor-sized buffers.
//
// A conversion allocates and frees buffers the size of its weights at every
// step. With glibc's defaults each buffer over 128 KiB is a fresh mmap that
// is unmapped on free, so its pages fault in anew every time, 4 KiB at a
// time; on a virtual machine a page fault costs several microseconds, and
// faults were half the CPU time of `tfprod export` on a small model.
//
// tune_allocator() (glibc on Linux; a no-op elsewhere) makes three changes,
// once per process:
//   - buffers up to 32 MiB (glibc's largest threshold) come from the heap,
//     and freed heap is kept for the next buffer instead of returned;
//   - the heap grows in steps of 64 MiB of address space (untouched pages
//     cost no memory);
//   - the heap is marked for transparent huge pages (madvise), as glibc's
//     own `glibc.malloc.hugetlb=1` tunable does, which can only be set in
//     the environment before a process starts. One fault then maps 2 MiB.
// Hosts that manage memory themselves (their own allocator, a memory
// budget) should not call it; tfprod's executables do, and so does the
// Evaluator unless EvalOptions::tune_allocator is false.
#pragma once

#include <cstddef>

namespace tfprod {

void tune_allocator();

// Marks heap grown since the last call for huge pages (cheap when the heap
// has not grown: no system call). Long phases that allocate much (pipeline
// steps, evaluations) call it; it does nothing before tune_allocator().
void advise_heap();

// Bytes of the heap marked so far (for tests and benchmarks): 0 where the
// advice is unavailable (not glibc on Linux, or the kernel's transparent
// huge pages are off).
std::size_t advised_heap_bytes();

}  // namespace tfprod
