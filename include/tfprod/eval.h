// The reference evaluator: runs a TensorFlow GraphDef on the CPU with
// tfprod's own kernels (no OpenCV, no rewrites), so every transformation can
// be checked by evaluating the graph before and after on the same inputs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tensor.h"

namespace tfprod {

struct EvalOptions {
  uint64_t seed = 87654321;  // for RandomUniform and friends
  // Ask glibc to keep large freed buffers instead of returning them to the
  // kernel: a forward pass allocates the same activations every run, and
  // faulting fresh pages in costs more than the arithmetic on small nets.
  // Process-wide and done once; off for hosts that manage memory themselves.
  bool tune_allocator = true;
};

class Evaluator {
 public:
  explicit Evaluator(const Graph& graph, EvalOptions options = {});

  // `feeds` and `fetches` are tensor names ("x", "x:1"). Evaluates exactly the
  // nodes the fetches need (fed tensors cut the graph). Throws Error naming
  // the node and op: no kernel, unsupported attr, bad shapes, a dead fetch,
  // a Placeholder left unfed.
  std::vector<Tensor> run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                          const std::vector<std::string>& fetches);

  // True when the last run executed a random op (outputs are then seeded,
  // not TensorFlow's).
  bool used_random() const { return used_random_; }

 private:
  const Graph& graph_;
  EvalOptions options_;
  bool used_random_ = false;
};

// True when tfprod has a kernel for `op`.
bool has_kernel(const std::string& op);
// Every op with a kernel, sorted.
std::vector<std::string> kernel_ops();

}  // namespace tfprod
