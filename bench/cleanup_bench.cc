// cleanup_bench [NODES...]  (default 10000 20000 40000)
//
// Times the export preset (tfprod/presets.h: inference cleanup, OpenCV
// passes, sort_by_execution_order), after a strip_unused_nodes cut, on
// generated training-style graphs of about NODES nodes each, and prints each
// step's time per node at every size and the growth of that figure from the
// smallest to the largest size: 1.0x is linear, 2x per doubling quadratic.
// Run by bench/pipeline_bench.sh; a measurement, it exits 0 whatever it finds.
//
// The graph: Placeholder x [1,1,1,8] and a PlaceholderWithDefault
// is_training (false), then a chain of blocks, each
//   Conv2D(1x1, w via Identity) -> BiasAdd -> FusedBatchNorm(is_training)
//   -> Mul(Mul(2, 0.5)) -> Relu -> Reshape(Shape) -> CheckNumerics
//   -> TF1 dropout -> Switch(is_training) -> Identity / Neg -> Merge
// plus a dead Neg per block, ending in Softmax `output`: 31 nodes a block,
// every one of them work for some step of the preset.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/allocator.h"
#include "tfprod/error.h"
#include "tfprod/graph.h"
#include "tfprod/presets.h"
#include "tfprod/transform.h"

namespace {

using tfprod::tf::DT_FLOAT;

tfprod::tf::AttrValue* attr(tfprod::tf::NodeDef* n, const std::string& key) {
  auto* e = n->add_attr();
  e->set_key(key);
  return e->mutable_value();
}

tfprod::tf::NodeDef* node(tfprod::tf::GraphDef& g, const std::string& name, const std::string& op,
                          std::vector<std::string> inputs = {}, bool typed = true) {
  auto* n = g.add_node();
  n->set_name(name);
  n->set_op(op);
  for (auto& in : inputs) n->add_input(std::move(in));
  if (typed) attr(n, "T")->set_type(DT_FLOAT);
  return n;
}

void constant(tfprod::tf::GraphDef& g, const std::string& name, const std::vector<int64_t>& shape, float value) {
  auto* n = node(g, name, "Const", {}, false);
  attr(n, "dtype")->set_type(DT_FLOAT);
  auto* t = attr(n, "value")->mutable_tensor();
  t->set_dtype(DT_FLOAT);
  int64_t count = 1;
  for (int64_t d : shape) {
    t->mutable_tensor_shape()->add_dim()->set_size(d);
    count *= d;
  }
  std::vector<float> v(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = value * (1.0f + 0.01f * static_cast<float>(i % 7));
  t->set_tensor_content(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

tfprod::tf::GraphDef make_graph(int blocks) {
  tfprod::tf::GraphDef g;
  auto* x = node(g, "x", "Placeholder", {}, false);
  attr(x, "dtype")->set_type(DT_FLOAT);
  for (int d : {1, 1, 1, 8}) attr(x, "shape")->mutable_shape()->add_dim()->set_size(d);
  auto* f = node(g, "is_training/default", "Const", {}, false);
  attr(f, "dtype")->set_type(tfprod::tf::DT_BOOL);
  auto* ft = attr(f, "value")->mutable_tensor();
  ft->set_dtype(tfprod::tf::DT_BOOL);
  ft->add_bool_val(false);
  auto* flag = node(g, "is_training", "PlaceholderWithDefault", {"is_training/default"}, false);
  attr(flag, "dtype")->set_type(tfprod::tf::DT_BOOL);
  attr(flag, "shape")->mutable_shape();

  std::string prev = "x";
  for (int i = 0; i < blocks; ++i) {
    const std::string b = "b" + std::to_string(i) + "/";
    constant(g, b + "w", {1, 1, 8, 8}, 0.1f);
    node(g, b + "w/read", "Identity", {b + "w"});
    auto* conv = node(g, b + "conv", "Conv2D", {prev, b + "w/read"});
    for (int s : {1, 1, 1, 1}) attr(conv, "strides")->mutable_list()->add_i(s);
    attr(conv, "padding")->set_s("VALID");
    attr(conv, "data_format")->set_s("NHWC");
    constant(g, b + "bias", {8}, 0.01f);
    attr(node(g, b + "bias_add", "BiasAdd", {b + "conv", b + "bias"}), "data_format")->set_s("NHWC");
    for (const char* s : {"gamma", "beta", "mean", "var"}) constant(g, b + s, {8}, 1.0f);
    auto* bn = node(g, b + "bn", "FusedBatchNorm",
                    {b + "bias_add", b + "gamma", b + "beta", b + "mean", b + "var"});
    attr(bn, "epsilon")->set_f(0.001f);
    attr(bn, "data_format")->set_s("NHWC");
    attr(bn, "is_training")->set_b(true);
    constant(g, b + "k1", {}, 2.0f);
    constant(g, b + "k2", {}, 0.5f);
    node(g, b + "k", "Mul", {b + "k1", b + "k2"});
    node(g, b + "scaled", "Mul", {b + "bn", b + "k"});
    node(g, b + "relu", "Relu", {b + "scaled"});
    // tf.reshape(relu, tf.shape(relu)): a shape known from the placeholder's
    attr(node(g, b + "shape", "Shape", {b + "relu"}), "out_type")->set_type(tfprod::tf::DT_INT32);
    attr(node(g, b + "reshape", "Reshape", {b + "relu", b + "shape"}), "Tshape")->set_type(tfprod::tf::DT_INT32);
    attr(node(g, b + "check", "CheckNumerics", {b + "reshape"}), "message")->set_s("bad");
    node(g, b + "dead", "Neg", {b + "relu"});
    // TF1 tf.nn.dropout(check, 0.5)
    constant(g, b + "drop/keep", {}, 0.5f);
    auto* shape = node(g, b + "drop/Shape", "Shape", {b + "check"});
    attr(shape, "out_type")->set_type(tfprod::tf::DT_INT32);
    auto* ru = node(g, b + "drop/random_uniform", "RandomUniform", {b + "drop/Shape"}, false);
    attr(ru, "T")->set_type(tfprod::tf::DT_INT32);
    attr(ru, "dtype")->set_type(DT_FLOAT);
    attr(ru, "seed")->set_i(0);
    attr(ru, "seed2")->set_i(0);
    node(g, b + "drop/add", "Add", {b + "drop/keep", b + "drop/random_uniform"});
    node(g, b + "drop/Floor", "Floor", {b + "drop/add"});
    node(g, b + "drop/div", "RealDiv", {b + "check", b + "drop/keep"});
    node(g, b + "drop/mul", "Mul", {b + "drop/div", b + "drop/Floor"});
    // tf.cond(is_training, lambda: -y, lambda: y)
    node(g, b + "cond/Switch", "Switch", {b + "drop/mul", "is_training"});
    node(g, b + "cond/f", "Identity", {b + "cond/Switch"});
    node(g, b + "cond/t", "Neg", {b + "cond/Switch:1"});
    attr(node(g, b + "cond/Merge", "Merge", {b + "cond/f", b + "cond/t"}), "N")->set_i(2);
    prev = b + "cond/Merge";
  }
  node(g, "output", "Softmax", {prev});
  g.mutable_versions()->set_producer(38);
  return g;
}

constexpr int kNodesPerBlock = 31;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  tfprod::tune_allocator();  // as tfprod's executables do (tfprod/allocator.h)
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {10000, 20000, 40000};
  std::sort(sizes.begin(), sizes.end());

  std::vector<std::string> steps{"strip_unused_nodes"};
  for (const auto& s : tfprod::preset_steps(tfprod::Preset::kExport)) steps.push_back(s.transform);
  std::map<std::string, std::vector<double>> us_per_node;  // step -> per size
  std::vector<double> total_per_node, nodes_of, clone_per_node;
  try {
    for (int size : sizes) {
      const int blocks = std::max(1, (size - 4) / kNodesPerBlock);
      tfprod::Graph graph = tfprod::Graph::from_graphdef(make_graph(blocks), "generated");
      nodes_of.push_back(static_cast<double>(graph.size()));
      const double n = static_cast<double>(graph.size());
      {  // reference: a copy of every node and edge, linear by construction
        auto t = std::chrono::steady_clock::now();
        { tfprod::Graph copy = graph.clone(); }
        clone_per_node.push_back(seconds_since(t) * 1e6 / n);
      }
      tfprod::PassContext context{{"x"}, {"output"}, {}};
      std::string calls = "strip_unused_nodes " + tfprod::preset_transforms(tfprod::Preset::kExport);
      auto pipeline = tfprod::build_pipeline(tfprod::parse_transforms(calls));
      double total = 0;
      tfprod::PipelineHistory history;  // one pipeline, timed step by step, as export runs it
      tfprod::PipelineOptions options;
      options.history = &history;
      for (const auto& step : pipeline) {
        auto t = std::chrono::steady_clock::now();
        auto r = tfprod::run_pipeline(graph, {step}, context, options);
        double s = seconds_since(t);
        if (!r[0].ok) std::fprintf(stderr, "cleanup_bench: %s failed: %s\n", r[0].name.c_str(), r[0].message.c_str());
        us_per_node[step.pass->name].push_back(s * 1e6 / n);
        total += s;
      }
      total_per_node.push_back(total * 1e6 / n);
      std::fprintf(stderr, "cleanup_bench: %d nodes -> %zu nodes in %.3f s\n", static_cast<int>(n), graph.size(),
                   total);
    }
  } catch (const tfprod::Error& e) {
    std::fprintf(stderr, "cleanup_bench: %s\n", e.what());
    return 1;
  }

  std::printf("%-26s", "step (us per node)");
  for (double n : nodes_of) std::printf(" %10.0f", n);
  std::printf(" %8s\n", "growth");
  auto row = [&](const std::string& name, const std::vector<double>& v) {
    std::printf("%-26s", name.c_str());
    for (double x : v) std::printf(" %10.3f", x);
    std::printf(" %7.2fx\n", v.front() > 0 ? v.back() / v.front() : 0.0);
  };
  for (const auto& s : steps) row(s, us_per_node[s]);
  row("total", total_per_node);
  row("reference: clone+free", clone_per_node);
  std::printf("growth: per-node time at %.0f nodes / at %.0f nodes (1.0x = linear, %.1fx = quadratic)\n",
              nodes_of.back(), nodes_of.front(), nodes_of.back() / nodes_of.front());
  std::printf("reference: Graph::clone and its freeing, linear work, show this machine's own per-node growth\n");
  return 0;
}
