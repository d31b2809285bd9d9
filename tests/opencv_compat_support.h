// Helpers for the OpenCV-compatibility tests: layouts, scaled differences,
// graph files.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tfprod/tensor_values.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"

namespace tfprod::test {

namespace fs = std::filesystem;

// NCHW .npy (opencv_extra's 4-D layout) -> TF's NHWC; other ranks as they are.
inline Tensor nchw_to_nhwc(const Tensor& t) {
  if (t.shape.size() != 4) return t;
  Tensor f = eval::cast(t, tfprod::tf::DT_FLOAT);
  Tensor out = f;
  int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  out.shape = {n, h, w, c};
  auto in = eval::values<float>(f);
  float* o = reinterpret_cast<float*>(out.data.data());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) o[((a * h + y) * w + x) * c + b] = in[((a * c + b) * h + y) * w + x];
  return out;
}

// max |a - b| / max(1, max |b|); infinity on a shape mismatch.
inline double scaled_diff(const Tensor& a, const Tensor& b) {
  if (a.num_elements() != b.num_elements()) return INFINITY;
  Tensor x = eval::cast(a, tfprod::tf::DT_DOUBLE), y = eval::cast(b, tfprod::tf::DT_DOUBLE);
  auto xv = eval::values<double>(x), yv = eval::values<double>(y);
  double diff = 0, scale = 1;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    diff = std::max(diff, std::abs(xv[i] - yv[i]));
    scale = std::max(scale, std::abs(yv[i]));
  }
  return diff / scale;
}

inline Graph load_graph(const fs::path& path) {
  ModelFile f = load_model_file(path);
  return Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), path.string());
}

inline void save_graph(const Graph& g, const fs::path& path) {
  std::ofstream(path, std::ios::binary) << g.to_graphdef().SerializeAsString();
}

}  // namespace tfprod::test
