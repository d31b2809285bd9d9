// onnx_forward [--runs N] [--warmup N] [--layers] CASE TF.pb MODEL.onnx [CASE TF.pb MODEL.onnx ...]
//
// OpenCV 4.6's forward time on the two exports of one model, in one
// process, on one thread (cv::setNumThreads(1)): readNetFromTensorflow(TF.pb)
// and readNetFromONNX(MODEL.onnx), each fed its own inputs (the ONNX model's
// as it declares them, the TF graph's placeholders, 4-D ones NCHW as OpenCV's
// TF importer takes them; the two exports may cut at different inputs, e.g.
// X [1,784] vs its Reshape [1,28,28,1]: the same random values in both when
// the sizes agree), a warm-up, then N forward() passes of each, alternating, timed in the
// thread's CPU time (background load does not count) and in wall time.
// Prints one row per case: the medians, the ratio ONNX / TF against the
// aim (<= 1.1x), and the largest difference between the two outputs (they
// must compute the same function). --layers adds OpenCV's per-layer timings
// (Net::getPerfProfile) of both nets, for finding where a gap comes from.
// bench/onnx_bench.sh makes the exports and runs it. Exit 1 when a model
// does not load or run.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "tfprod/model_source.h"
#include "tfprod/onnx.h"
#include "tfprod/tensor.h"

namespace {

constexpr double kAim = 1.1;

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Model {
  cv::dnn::Net net;
  std::vector<std::string> outputs;
  std::vector<double> cpu, wall;
  cv::Mat result;
};

void forward(Model& m) {
  std::vector<cv::Mat> outs;
  m.net.forward(outs, m.outputs);
  m.result = outs.at(0);
}

void timed_forward(Model& m) {
  const double c = thread_cpu_ms(), w = wall_ms();
  forward(m);
  m.cpu.push_back(thread_cpu_ms() - c);
  m.wall.push_back(wall_ms() - w);
}

void print_layers(const char* what, cv::dnn::Net& net) {
  std::vector<double> times;
  const double total = static_cast<double>(net.getPerfProfile(times)) * 1e3 / cv::getTickFrequency();
  const std::vector<std::string> names = net.getLayerNames();
  std::printf("  %s layers (last forward, %.3f ms):\n", what, total);
  for (std::size_t i = 0; i < times.size() && i < names.size(); ++i) {
    const int id = net.getLayerId(names[i]);
    const std::string type = net.getLayer(id)->type;
    std::printf("    %-56s %-16s %8.4f ms\n", names[i].c_str(), type.c_str(), times[i] * 1e3 / cv::getTickFrequency());
  }
}

// The largest |a - b| over max(1, |b|) of two outputs holding the same values
// (a 4-D TF output is NCHW, the ONNX one NHWC).
double max_rel_diff(const cv::Mat& tf, const cv::Mat& onnx) {
  cv::Mat a = tf;
  if (tf.dims == 4 && onnx.dims == 4 && tf.size[1] == onnx.size[3] && tf.size[1] != tf.size[3]) {
    cv::Mat nhwc;
    cv::transposeND(tf, {0, 2, 3, 1}, nhwc);
    a = nhwc;
  }
  if (a.total() != onnx.total()) return INFINITY;
  a = a.reshape(1, 1);
  cv::Mat b = onnx.reshape(1, 1);
  double worst = 0;
  for (int i = 0; i < static_cast<int>(a.total()); ++i) {
    const double x = a.at<float>(i), y = b.at<float>(i);
    worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(y)));
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200, warmup = 20;
  bool layers = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (a == "--warmup" && i + 1 < argc) warmup = std::stoi(argv[++i]);
    else if (a == "--layers") layers = true;
    else args.push_back(a);
  }
  if (args.empty() || args.size() % 3 != 0 || runs < 1) {
    std::fprintf(stderr, "usage: onnx_forward [--runs N] [--warmup N] [--layers] CASE TF.pb MODEL.onnx ...\n");
    return 2;
  }
  cv::setNumThreads(1);
  std::printf("OpenCV %s, 1 thread, median of %d forward() passes after %d warm-up (thread CPU time; wall in "
              "brackets)\n",
              CV_VERSION, runs, warmup);
  std::printf("%-34s %16s %16s %7s  %-10s %s\n", "case", "TF ms", "ONNX ms", "ratio", "aim <=1.1x", "max rel diff");
  for (std::size_t c = 0; c < args.size(); c += 3) {
    const std::string& name = args[c];
    Model tf, onnx;
    try {
      const tfprod::OnnxFileInfo info = tfprod::read_onnx_info(args[c + 2]);
      tf.net = cv::dnn::readNetFromTensorflow(args[c + 1]);
      onnx.net = cv::dnn::readNetFromONNX(args[c + 2]);
      for (Model* m : {&tf, &onnx}) {
        m->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        m->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      }
      onnx.outputs = info.outputs;
      tf.outputs = info.outputs;  // ONNX outputs carry the TF names (":0" dropped), which are the TF layers'
      // The TF export's inputs: its placeholders (fully shaped by the export).
      std::vector<std::pair<std::string, std::vector<int>>> tf_inputs;
      const tfprod::ModelSource src = tfprod::open_model_source(args[c + 1]);
      for (const auto& node : src.meta.graph_def().node()) {
        if (node.op() != "Placeholder") continue;
        std::vector<int> shape;
        for (const auto& a : node.attr())
          if (a.key() == "shape")
            for (int64_t d : tfprod::shape_from_proto(a.value().shape())) shape.push_back(d < 0 ? 1 : static_cast<int>(d));
        tf_inputs.emplace_back(node.name(), shape);
      }
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> dist(0.f, 1.f);
      std::vector<cv::Mat> onnx_feeds;
      for (std::size_t k = 0; k < info.inputs.size(); ++k) {
        std::vector<int> shape;
        for (int64_t d : info.input_shapes[k]) shape.push_back(d < 0 ? 1 : static_cast<int>(d));
        cv::Mat x(static_cast<int>(shape.size()), shape.data(), CV_32F);
        for (auto it = x.begin<float>(); it != x.end<float>(); ++it) *it = dist(rng);
        onnx.net.setInput(x, info.inputs[k]);
        onnx_feeds.push_back(x);
      }
      for (std::size_t k = 0; k < tf_inputs.size(); ++k) {
        const std::vector<int>& shape = tf_inputs[k].second;
        cv::Mat x(static_cast<int>(shape.size()), shape.data(), CV_32F);
        if (k < onnx_feeds.size() && onnx_feeds[k].total() == x.total())
          std::copy(onnx_feeds[k].begin<float>(), onnx_feeds[k].end<float>(), x.begin<float>());  // NHWC order
        else
          for (auto it = x.begin<float>(); it != x.end<float>(); ++it) *it = dist(rng);
        if (shape.size() == 4) {
          cv::Mat nchw;
          cv::transposeND(x, {0, 3, 1, 2}, nchw);
          x = nchw;
        }
        tf.net.setInput(x, tf_inputs[k].first);
      }
      for (int i = 0; i < warmup; ++i) {
        forward(tf);
        forward(onnx);
      }
      for (int i = 0; i < runs; ++i) {
        timed_forward(tf);
        timed_forward(onnx);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "onnx_forward: %s: %s\n", name.c_str(), e.what());
      return 1;
    }
    const double t = median(tf.cpu), o = median(onnx.cpu);
    const std::string tcol = cv::format("%.4f [%.4f]", t, median(tf.wall));
    const std::string ocol = cv::format("%.4f [%.4f]", o, median(onnx.wall));
    std::printf("%-34s %16s %16s %6.3fx  %-10s %.1e\n", name.c_str(), tcol.c_str(), ocol.c_str(), o / t,
                o <= kAim * t ? "met" : "MISSED", max_rel_diff(tf.result, onnx.result));
    if (layers) {
      print_layers("TF", tf.net);
      print_layers("ONNX", onnx.net);
    }
  }
  return 0;
}
