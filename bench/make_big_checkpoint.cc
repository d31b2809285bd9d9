// make_big_checkpoint DIR [--mib 576] [--shards 1]
//
// Writes a large TF1-style training directory for the freeze benchmark
// (bench/freeze_bench.sh):
//
//   DIR/model.ckpt.index, DIR/model.ckpt.data-0000N-of-0000M
//       a V2 bundle (tfprod::BundleWriter) of float32 MLP weights totalling at
//       least --mib MiB, with deterministic pseudo-random contents;
//   DIR/graph.pb        the MLP as a binary GraphDef (for freeze_graph);
//   DIR/model.ckpt.meta the same graph as a MetaGraphDef, so that
//                       `tfprod freeze DIR` finds it as TF's Saver would leave it;
//   DIR/checkpoint      state file: model_checkpoint_path: "model.ckpt".
//
// The graph: Placeholder `input` [-1, 8192] -> per layer i:
//   VariableV2 dense_i/kernel -> Identity dense_i/kernel/read -> MatMul
//   VariableV2 dense_i/bias   -> Identity dense_i/bias/read   -> BiasAdd -> Relu
// and the last layer's logits feed Softmax `output`.
//
// Layer widths: as many 8192x8192 kernels (256 MiB each) as fit, then one
// 8192xR kernel for the remainder, then an Rx10 (or 8192x10) classifier.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tf/protobuf/meta_graph.pb.h"
#include "tfprod/checkpoint_writer.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"
#include "tfprod/tensor.h"

namespace {

namespace fs = std::filesystem;
using tfprod::tf::DT_FLOAT;

constexpr int64_t kWidth = 8192;
constexpr int64_t kClasses = 10;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "make_big_checkpoint: %s\nusage: make_big_checkpoint DIR [--mib 576] [--shards 1]\n", why);
  std::exit(2);
}

// xorshift64*: deterministic, fast; the seed differs per tensor.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

// Floats uniform in [-scale, scale): mantissa bits into [1, 2), then shifted.
tfprod::Tensor random_tensor(const tfprod::Shape& shape, uint64_t seed, float scale) {
  tfprod::Tensor t;
  t.dtype = DT_FLOAT;
  t.shape = shape;
  const int64_t n = tfprod::num_elements(shape);
  t.data.resize(static_cast<std::size_t>(n) * sizeof(float));
  char* out = t.data.data();
  Rng rng(seed);
  int64_t i = 0;
  auto to_float = [&](uint32_t bits) {
    uint32_t u = (bits >> 9) | 0x3F800000u;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return (f - 1.5f) * 2.0f * scale;
  };
  for (; i + 1 < n; i += 2) {
    uint64_t r = rng.next();
    float pair[2] = {to_float(static_cast<uint32_t>(r)), to_float(static_cast<uint32_t>(r >> 32))};
    std::memcpy(out + i * sizeof(float), pair, sizeof pair);
  }
  if (i < n) {
    float f = to_float(static_cast<uint32_t>(rng.next()));
    std::memcpy(out + i * sizeof(float), &f, sizeof f);
  }
  return t;
}

tfprod::tf::AttrValue* add_attr(tfprod::tf::NodeDef* node, const std::string& key) {
  auto* entry = node->add_attr();
  entry->set_key(key);
  return entry->mutable_value();
}

tfprod::tf::NodeDef* add_node(tfprod::tf::GraphDef& g, const std::string& name, const std::string& op,
                              std::vector<std::string> inputs = {}) {
  auto* n = g.add_node();
  n->set_name(name);
  n->set_op(op);
  for (auto& in : inputs) n->add_input(std::move(in));
  return n;
}

void set_shape(tfprod::tf::AttrValue* v, const std::vector<int64_t>& dims) {
  auto* s = v->mutable_shape();
  for (int64_t d : dims) s->add_dim()->set_size(d);
}

// VariableV2 NAME + Identity NAME/read; returns the read's name.
std::string add_variable(tfprod::tf::GraphDef& g, const std::string& name, const std::vector<int64_t>& shape) {
  auto* var = add_node(g, name, "VariableV2");
  set_shape(add_attr(var, "shape"), shape);
  add_attr(var, "dtype")->set_type(DT_FLOAT);
  add_attr(var, "container")->set_s("");
  add_attr(var, "shared_name")->set_s("");
  auto* read = add_node(g, name + "/read", "Identity", {name});
  add_attr(read, "T")->set_type(DT_FLOAT);
  add_attr(read, "_class")->mutable_list()->add_s("loc:@" + name);
  return name + "/read";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("missing DIR");
  fs::path dir;
  double mib = 576;
  int shards = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--mib")
      mib = std::atof(value().c_str());
    else if (a == "--shards")
      shards = std::atoi(value().c_str());
    else if (a == "-h" || a == "--help")
      usage("help");
    else if (!a.empty() && a[0] == '-')
      usage(("unknown option " + a).c_str());
    else if (dir.empty())
      dir = a;
    else
      usage("more than one DIR");
  }
  if (dir.empty()) usage("missing DIR");
  if (!(mib >= 1)) usage("--mib must be at least 1");
  if (shards < 1) usage("--shards must be at least 1");

  try {
    fs::create_directories(dir);
    // Layer widths.
    const int64_t target = static_cast<int64_t>(mib * 1024 * 1024);
    const int64_t full_layer = kWidth * kWidth * 4;
    std::vector<int64_t> widths = {kWidth};  // input width, then each layer's output
    int64_t left = target;
    while (left >= full_layer) {
      widths.push_back(kWidth);
      left -= full_layer;
    }
    if (left > 0) {
      int64_t r = (left + kWidth * 4 - 1) / (kWidth * 4);  // round up: at least the target
      widths.push_back(r);
    }
    widths.push_back(kClasses);

    tfprod::tf::GraphDef graph;
    graph.mutable_versions()->set_producer(27);
    auto* input = add_node(graph, "input", "Placeholder");
    add_attr(input, "dtype")->set_type(DT_FLOAT);
    set_shape(add_attr(input, "shape"), {-1, kWidth});

    const std::string prefix = (dir / "model.ckpt").string();
    tfprod::BundleWriterOptions options;
    options.num_shards = shards;
    tfprod::BundleWriter writer(prefix, options);
    uint64_t total = 0;
    std::string x = "input";
    const std::size_t layers = widths.size() - 1;
    for (std::size_t i = 0; i < layers; ++i) {
      const std::string scope = i == 0 ? "dense" : "dense_" + std::to_string(i);
      const int64_t in = widths[i], out = widths[i + 1];
      const std::string kernel = add_variable(graph, scope + "/kernel", {in, out});
      const std::string bias = add_variable(graph, scope + "/bias", {out});
      auto* mm = add_node(graph, scope + "/MatMul", "MatMul", {x, kernel});
      add_attr(mm, "T")->set_type(DT_FLOAT);
      add_attr(mm, "transpose_a")->set_b(false);
      add_attr(mm, "transpose_b")->set_b(false);
      auto* ba = add_node(graph, scope + "/BiasAdd", "BiasAdd", {scope + "/MatMul", bias});
      add_attr(ba, "T")->set_type(DT_FLOAT);
      add_attr(ba, "data_format")->set_s("NHWC");
      x = scope + "/BiasAdd";
      if (i + 1 < layers) {
        auto* relu = add_node(graph, scope + "/Relu", "Relu", {x});
        add_attr(relu, "T")->set_type(DT_FLOAT);
        x = scope + "/Relu";
      }

      // One tensor in memory at a time; BundleWriter writes it through.
      {
        tfprod::Tensor k = random_tensor({in, out}, 2 * i + 1, 0.05f);
        total += k.data.size();
        writer.add(scope + "/kernel", k);
      }
      {
        tfprod::Tensor b = random_tensor({out}, 2 * i + 2, 0.01f);
        total += b.data.size();
        writer.add(scope + "/bias", b);
      }
    }
    auto* softmax = add_node(graph, "output", "Softmax", {x});
    add_attr(softmax, "T")->set_type(DT_FLOAT);
    writer.finish();

    tfprod::save_graphdef(graph, dir / "graph.pb", /*text=*/false);
    tfprod::tf::MetaGraphDef meta;
    meta.mutable_meta_info_def()->set_tensorflow_version("1.15.0");
    *meta.mutable_graph_def() = graph;
    tfprod::write_file_atomically(dir / "model.ckpt.meta", tfprod::serialize(meta));
    tfprod::write_file_atomically(dir / "checkpoint",
                                  "model_checkpoint_path: \"model.ckpt\"\n"
                                  "all_model_checkpoint_paths: \"model.ckpt\"\n");

    std::printf("%s: %zu layers, %d shard(s), %llu bytes of variables (%.1f MiB)\n", dir.c_str(), layers, shards,
                static_cast<unsigned long long>(total), static_cast<double>(total) / (1024.0 * 1024.0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_big_checkpoint: %s\n", e.what());
    return 1;
  }
  return 0;
}
