// Benchmark (not a test): forward time of tfprod's reference Evaluator against
// OpenCV DNN's forward on the same frozen conv net, single thread, as a ratio
// (aim: tfprod within 2x of OpenCV).
//
// The net is built in memory with deterministic random weights, written to a
// temporary binary GraphDef, and loaded from that file by both sides
// (tfprod::load_model_file, as `tfprod run` does; cv::dnn::readNetFromTensorflow):
//
//   x [1,64,64,3] NHWC
//   -> Conv2D 3x3x3x32 SAME + BiasAdd + Relu            [1,64,64,32]
//   -> Conv2D 3x3x32x64 stride 2 SAME + BiasAdd + Relu  [1,32,32,64]
//   -> MaxPool 2x2 stride 2 VALID                       [1,16,16,64]
//   -> Conv2D 3x3x64x64 SAME + BiasAdd + Relu           [1,16,16,64]
//   -> Reshape [-1, 16384] -> MatMul [16384,10] + BiasAdd -> Softmax
//
// The outputs of both are compared (max abs diff of the softmax, which also
// validates tfprod's kernels; the logits' diff is printed as well), then each
// side's forward pass is timed over --runs runs after warm-up (each side in
// its own block unless --interleave) and the medians compared.
//
// Usage: eval_vs_opencv [--runs N] [--warmup N] [--size S] [--interleave] [--profile]
//   S: input H = W (multiple of 4, default 64). --interleave alternates
//   tfprod and OpenCV runs instead of timing each in its own block.
//   --profile adds a per-node breakdown: each tfprod node timed alone (its
//   computed inputs fed, its Const inputs decoded as in a real run, so Const
//   rows show that cost) with page faults per run, and OpenCV's per-layer
//   times (Net::getPerfProfile, after its fusions).
// EVAL_VS_OPENCV_KEEP=1 keeps the temporary .pb (its path is printed), e.g.
// for `tfprod run` or a profiler.
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "example/graph_builder.h"
#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/eval.h"
#include "tfprod/graph.h"
#include "tfprod/model_file.h"
#include "tfprod/tensor.h"

namespace {

using tfprod::GraphBuilder;
using tfprod::Shape;
using tfprod::Tensor;
using Clock = std::chrono::steady_clock;

// Deterministic uniform floats in [-a, a] (mt19937's raw output is specified
// by the standard; the distributions are not).
struct Rng {
  std::mt19937 gen{20240521u};
  float uniform(float a) { return (static_cast<float>(gen() >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * a; }
};

Tensor random_tensor(Rng& rng, const Shape& shape, float a) {
  Tensor t;
  t.dtype = tfprod::tf::DT_FLOAT;
  t.shape = shape;
  const int64_t n = tfprod::num_elements(shape);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = rng.uniform(a);
  t.data.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  return t;
}

const float* floats(const Tensor& t) { return reinterpret_cast<const float*>(t.data.data()); }

tfprod::tf::AttrValue& attr(tfprod::tf::NodeDef& n, const std::string& key) {
  auto* e = n.add_attr();
  e->set_key(key);
  return *e->mutable_value();
}

void const_tensor(GraphBuilder& b, const std::string& name, Tensor t) {
  auto& n = b.node(name, "Const");
  GraphBuilder::type(n, "dtype", tfprod::tf::DT_FLOAT);
  tfprod::tensor_to_proto(std::move(t), attr(n, "value").mutable_tensor());
}

struct Net {
  tfprod::tf::GraphDef def;
  double mflops = 0;
  std::string input = "input", logits = "logits", output = "prob";
  std::string cv_logits = "fc/MatMul";  // OpenCV fuses the BiasAdd into its InnerProduct layer
};

// Conv2D + BiasAdd + Relu; returns the Relu's name. Adds the MACs to `flops`.
std::string conv_block(GraphBuilder& b, Rng& rng, const std::string& name, const std::string& in, int64_t cin,
                       int64_t cout, int64_t stride, int64_t out_hw, double& flops) {
  const float a = std::sqrt(6.0f / static_cast<float>(9 * cin));  // He-uniform-ish: activations stay O(1)
  const_tensor(b, name + "/weights", random_tensor(rng, {3, 3, cin, cout}, a));
  const_tensor(b, name + "/biases", random_tensor(rng, {cout}, 0.1f));
  auto& conv = b.node(name + "/Conv2D", "Conv2D", {in, name + "/weights"});
  GraphBuilder::type(conv, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::ints(conv, "strides", {1, stride, stride, 1});
  GraphBuilder::ints(conv, "dilations", {1, 1, 1, 1});
  GraphBuilder::str(conv, "padding", "SAME");
  GraphBuilder::str(conv, "data_format", "NHWC");
  GraphBuilder::boolean(conv, "use_cudnn_on_gpu", true);
  auto& bias = b.node(name + "/BiasAdd", "BiasAdd", {name + "/Conv2D", name + "/biases"});
  GraphBuilder::type(bias, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::str(bias, "data_format", "NHWC");
  auto& relu = b.node(name + "/Relu", "Relu", {name + "/BiasAdd"});
  GraphBuilder::type(relu, "T", tfprod::tf::DT_FLOAT);
  flops += 2.0 * static_cast<double>(out_hw * out_hw * cout * 9 * cin);
  return name + "/Relu";
}

Net build_net(int64_t hw) {
  Net net;
  Rng rng;
  GraphBuilder b(&net.def);
  net.def.mutable_versions()->set_producer(27);
  auto& x = b.node(net.input, "Placeholder");
  GraphBuilder::type(x, "dtype", tfprod::tf::DT_FLOAT);
  GraphBuilder::shape(x, "shape", {1, hw, hw, 3});
  double flops = 0;
  std::string h = conv_block(b, rng, "conv1", net.input, 3, 32, 1, hw, flops);
  h = conv_block(b, rng, "conv2", h, 32, 64, 2, hw / 2, flops);
  auto& pool = b.node("pool", "MaxPool", {h});
  GraphBuilder::type(pool, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::ints(pool, "ksize", {1, 2, 2, 1});
  GraphBuilder::ints(pool, "strides", {1, 2, 2, 1});
  GraphBuilder::str(pool, "padding", "VALID");
  GraphBuilder::str(pool, "data_format", "NHWC");
  const int64_t p = hw / 4;
  h = conv_block(b, rng, "conv3", "pool", 64, 64, 1, p, flops);
  const int64_t flat = p * p * 64;
  b.const_ints("flatten/shape", {-1, static_cast<int32_t>(flat)});
  auto& reshape = b.node("flatten", "Reshape", {h, "flatten/shape"});
  GraphBuilder::type(reshape, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::type(reshape, "Tshape", tfprod::tf::DT_INT32);
  const_tensor(b, "fc/weights", random_tensor(rng, {flat, 10}, std::sqrt(3.0f / static_cast<float>(flat))));
  const_tensor(b, "fc/biases", random_tensor(rng, {10}, 0.1f));
  auto& mm = b.node("fc/MatMul", "MatMul", {"flatten", "fc/weights"});
  GraphBuilder::type(mm, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::boolean(mm, "transpose_a", false);
  GraphBuilder::boolean(mm, "transpose_b", false);
  auto& logits = b.node(net.logits, "BiasAdd", {"fc/MatMul", "fc/biases"});
  GraphBuilder::type(logits, "T", tfprod::tf::DT_FLOAT);
  GraphBuilder::str(logits, "data_format", "NHWC");
  auto& prob = b.node(net.output, "Softmax", {net.logits});
  GraphBuilder::type(prob, "T", tfprod::tf::DT_FLOAT);
  flops += 2.0 * static_cast<double>(flat * 10);
  net.mflops = flops / 1e6;
  return net;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double d = 0;
  for (std::size_t i = 0; i < n; ++i) d = std::max(d, static_cast<double>(std::fabs(a[i] - b[i])));
  return d;
}

int to_int(const char* s, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (!s[0] || *end || v <= 0) {
    std::fprintf(stderr, "eval_vs_opencv: %s must be a positive integer, got '%s'\n", what, s);
    std::exit(2);
  }
  return static_cast<int>(v);
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

template <class F>
double median_ms(int runs, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f();
    t.push_back(ms_since(t0));
  }
  return median(t);
}

// Per-node medians for tfprod, per-layer times for OpenCV.
void profile(const Net& net, tfprod::Evaluator& evaluator, const Tensor& x, cv::dnn::Net& cvnet, const cv::Mat& blob,
             int runs, double full_ms) {
  std::vector<std::string> names;
  for (const auto& n : net.def.node()) names.push_back(n.name());
  std::vector<Tensor> all = evaluator.run({{net.input, x}}, names);
  std::map<std::string, const Tensor*> value;
  std::map<std::string, std::string> op;
  for (std::size_t i = 0; i < names.size(); ++i) value[names[i]] = &all[i];
  for (const auto& n : net.def.node()) op[n.name()] = n.op();
  std::printf("\n  tfprod per node (median of %d, each run alone; Const = decoding its TensorProto, paid every run):\n",
              runs);
  double sum = 0;
  for (const auto& n : net.def.node()) {
    if (n.op() == "Placeholder") continue;
    std::vector<std::pair<std::string, Tensor>> feeds;
    for (const auto& in : n.input())
      if (op[in] != "Const") feeds.emplace_back(in, *value[in]);
    const std::vector<std::string> fetch = {n.name()};
    evaluator.run(feeds, fetch);
    const long f0 = minor_faults();
    const double ms = median_ms(runs, [&] { evaluator.run(feeds, fetch); });
    const double faults = static_cast<double>(minor_faults() - f0) / runs;
    // The Const inputs are decoded inside this node's run: report them on their own rows.
    double consts = 0;
    if (n.op() != "Const")
      for (const auto& in : n.input())
        if (op[in] == "Const") consts += median_ms(runs, [&] { evaluator.run({}, {in}); });
    const double own = n.op() == "Const" ? ms : std::max(0.0, ms - consts);
    sum += own;
    const Tensor& out = *value[n.name()];
    std::printf("    %-18s %-10s %-16s %8.3f ms  %6.0f page faults/run\n", n.name().c_str(), n.op().c_str(),
                tfprod::shape_string(out.shape).c_str(), own, faults);
  }
  std::printf("    %-46s %8.3f ms (full run %.3f ms: the rest is the executor and, with the page faults below, the allocator)\n", "sum", sum, full_ms);
  const long f0 = minor_faults();
  median_ms(runs, [&] { evaluator.run({{net.input, x}}, {net.output}); });
  std::printf("    full run: %.0f page faults/run\n", static_cast<double>(minor_faults() - f0) / runs);

  double cv_sum = 0;
  const int repeats = runs;
  std::vector<double> acc;
  for (int r = 0; r < repeats; ++r) {
    cvnet.setInput(blob);
    cvnet.forward(net.output);
    std::vector<double> t;
    cvnet.getPerfProfile(t);
    if (acc.empty()) acc.assign(t.size(), 0);
    for (std::size_t i = 0; i < t.size() && i < acc.size(); ++i) acc[i] += t[i];
  }
  const double ticks_per_ms = cv::getTickFrequency() / 1000.0;
  const auto layer_names = cvnet.getLayerNames();
  std::printf("\n  OpenCV per layer (mean of %d, getPerfProfile; fused layers show 0):\n", repeats);
  for (std::size_t i = 0; i < acc.size() && i < layer_names.size(); ++i) {
    const double ms = acc[i] / repeats / ticks_per_ms;
    cv_sum += ms;
    std::printf("    %-18s %-12s %8.3f ms\n", layer_names[i].c_str(),
                cvnet.getLayer(layer_names[i])->type.c_str(), ms);
  }
  std::printf("    %-31s %8.3f ms\n", "sum", cv_sum);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, warmup = 3, hw = 64;
  bool want_profile = false, interleave = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--profile") {
      want_profile = true;
    } else if (a == "--interleave") {
      interleave = true;
    } else if ((a == "--runs" || a == "--warmup" || a == "--size") && i + 1 < argc) {
      const int v = to_int(argv[++i], a.c_str());
      (a == "--runs" ? runs : a == "--warmup" ? warmup : hw) = v;
    } else {
      std::fprintf(stderr, "usage: eval_vs_opencv [--runs N] [--warmup N] [--size S (multiple of 4)] [--interleave] [--profile]\n");
      return 2;
    }
  }
  if (hw % 4 != 0) {
    std::fprintf(stderr, "eval_vs_opencv: --size must be a multiple of 4\n");
    return 2;
  }
  try {
    Net net = build_net(hw);
    const auto path = std::filesystem::temp_directory_path() /
                      ("tfprod_eval_vs_opencv_" + std::to_string(::getpid()) + ".pb");
    {
      std::ofstream out(path, std::ios::binary);
      if (!net.def.SerializeToOstream(&out)) throw std::runtime_error("cannot write " + path.string());
    }
    const auto file_bytes = std::filesystem::file_size(path);

    // tfprod: the same load path as `tfprod run`.
    tfprod::ModelFile mf = tfprod::load_model_file(path);
    tfprod::Graph graph = tfprod::Graph::from_graphdef(
        tfprod::select_meta_graph(mf, {}).graph_def(), path.string());
    tfprod::Evaluator evaluator(graph);

    // OpenCV DNN, one thread, its own CPU backend.
    cv::setNumThreads(1);
    cv::dnn::Net cvnet = cv::dnn::readNetFromTensorflow(path.string());
    if (!std::getenv("EVAL_VS_OPENCV_KEEP")) std::filesystem::remove(path);
    cvnet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    cvnet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

    // Input: NHWC for tfprod, the same values as an NCHW blob for OpenCV.
    Rng in_rng;
    in_rng.gen.seed(7u);
    Tensor x = random_tensor(in_rng, {1, hw, hw, 3}, 1.0f);
    const int nchw[] = {1, 3, hw, hw};
    cv::Mat blob(4, nchw, CV_32F);
    {
      const float* src = floats(x);
      float* dst = blob.ptr<float>();
      for (int y = 0; y < hw; ++y)
        for (int xx = 0; xx < hw; ++xx)
          for (int c = 0; c < 3; ++c) dst[(c * hw + y) * hw + xx] = src[(y * hw + xx) * 3 + c];
    }

    const std::vector<std::string> fetches = {net.logits, net.output};
    auto run_tfprod = [&] { return evaluator.run({{net.input, x}}, fetches); };
    auto run_opencv = [&] {
      cvnet.setInput(blob);
      return cvnet.forward(net.output).clone();
    };

    // Agreement.
    std::vector<Tensor> ours = run_tfprod();
    cv::Mat theirs = run_opencv();
    if (ours[1].shape != Shape{1, 10} || static_cast<int>(theirs.total()) != 10)
      throw std::runtime_error("unexpected output shapes: tfprod " + tfprod::shape_string(ours[1].shape) +
                               ", OpenCV total " + std::to_string(theirs.total()));
    const double prob_diff = max_abs_diff(floats(ours[1]), theirs.ptr<float>(), 10);
    double logit_diff = -1;
    try {
      cvnet.setInput(blob);
      cv::Mat cv_logits = cvnet.forward(net.cv_logits);
      if (cv_logits.total() == 10) logit_diff = max_abs_diff(floats(ours[0]), cv_logits.ptr<float>(), 10);
    } catch (const cv::Exception&) {
      // Another OpenCV may name the fused layer differently; the softmax decides.
    }
    double max_prob = 0;
    for (int i = 0; i < 10; ++i) max_prob = std::max(max_prob, static_cast<double>(floats(ours[1])[i]));

    // Timing. In blocks (default): all of tfprod's runs, then all of OpenCV's,
    // so each runs alone as in real use. --interleave alternates them: shared
    // machine noise then hits both alike, but each runs in the other's cache
    // and page-fault wake (it measurably slows OpenCV, flattering the ratio).
    std::vector<double> t_ours, t_theirs;
    auto time_ours = [&] {
      const auto t0 = Clock::now();
      auto o = run_tfprod();
      t_ours.push_back(ms_since(t0));
    };
    auto time_theirs = [&] {
      const auto t0 = Clock::now();
      cv::Mat m = run_opencv();
      t_theirs.push_back(ms_since(t0));
    };
    if (!interleave) {
      for (int i = 0; i < warmup; ++i) run_tfprod();
      for (int i = 0; i < runs; ++i) time_ours();
      for (int i = 0; i < warmup; ++i) run_opencv();
      for (int i = 0; i < runs; ++i) time_theirs();
    } else {
      for (int i = 0; i < warmup; ++i) {
        run_tfprod();
        run_opencv();
      }
      for (int i = 0; i < runs; ++i) {
        time_ours();
        time_theirs();
      }
    }
    const double ms_ours = median(t_ours), ms_theirs = median(t_theirs);
    const double ratio = ms_ours / ms_theirs;
    const bool agree = prob_diff < 1e-4;

    std::printf("eval_vs_opencv: frozen conv net %dx%dx3 -> 3 conv (+BiasAdd+Relu), MaxPool, MatMul, Softmax\n",
                hw, hw);
    std::printf("  graph            %d nodes, %.1f KiB binary GraphDef%s%s\n", net.def.node_size(),
                static_cast<double>(file_bytes) / 1024.0, std::getenv("EVAL_VS_OPENCV_KEEP") ? ", kept at " : "",
                std::getenv("EVAL_VS_OPENCV_KEEP") ? path.c_str() : "");
    std::printf("  OpenCV           %s, setNumThreads(1) -> getNumThreads() = %d, DNN_BACKEND_OPENCV / DNN_TARGET_CPU\n",
                CV_VERSION, cv::getNumThreads());
    std::printf("  MFLOPs           %.2f (2 x multiply-adds of the convs and the MatMul)\n", net.mflops);
    std::printf("  agreement        softmax max|diff| = %.3g (%s, limit 1e-4; max prob %.3f)", prob_diff,
                agree ? "ok" : "MISMATCH", max_prob);
    if (logit_diff >= 0) std::printf(", logits max|diff| = %.3g", logit_diff);
    std::printf("\n");
    std::printf("  runs             %d timed (median), %d warm-up, %s\n", runs, warmup,
                interleave ? "interleaved" : "in blocks (tfprod's, then OpenCV's)");
    std::printf("  %-16s %9.3f ms  (min %.3f)  %7.2f GFLOP/s\n", "tfprod Evaluator", ms_ours,
                *std::min_element(t_ours.begin(), t_ours.end()), net.mflops / ms_ours);
    std::printf("  %-16s %9.3f ms  (min %.3f)  %7.2f GFLOP/s\n", "OpenCV DNN", ms_theirs,
                *std::min_element(t_theirs.begin(), t_theirs.end()), net.mflops / ms_theirs);
    std::printf("  ratio            %.2fx (tfprod / OpenCV)\n", ratio);
    std::printf("  aim (<= 2x)      %s\n", ratio <= 2.0 ? "met" : "NOT met");
    if (want_profile) profile(net, evaluator, x, cvnet, blob, runs, ms_ours);
    return agree ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_vs_opencv: %s\n", e.what());
    return 1;
  }
}
