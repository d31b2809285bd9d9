// The evaluator against TensorFlow's own outputs: every NAME_net.pb in
// opencv_extra_tf with NAME_in.npy and NAME_out.npy. Their 4-D .npy arrays
// are stored NCHW (transposed from TF's NHWC by OpenCV's generator), so 4-D
// inputs are transposed to NHWC and 4-D outputs back. Prints one row per net
// and fails on any mismatch; nothing is left out.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>

#include "tfprod/tensor_values.h"
#include "eval_test_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/model_file.h"
#include "tfprod/npy.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Tensor transpose4(const Tensor& t, const std::array<int, 4>& perm) {
  Tensor f = eval::to_float32(t);
  Shape out_shape(4);
  for (int i = 0; i < 4; ++i) out_shape[i] = f.shape[perm[i]];
  Tensor out = eval::make_tensor(f.dtype, out_shape);
  const Shape in_stride = eval::strides_of(f.shape);
  const std::size_t elem = dtype_size(f.dtype);
  int64_t i = 0;
  for (int64_t a = 0; a < out_shape[0]; ++a)
    for (int64_t b = 0; b < out_shape[1]; ++b)
      for (int64_t c = 0; c < out_shape[2]; ++c)
        for (int64_t d = 0; d < out_shape[3]; ++d, ++i) {
          const int64_t idx[4] = {a, b, c, d};
          int64_t src = 0;
          for (int k = 0; k < 4; ++k) src += idx[k] * in_stride[perm[k]];
          std::memcpy(out.data.data() + i * elem, f.data.data() + src * elem, elem);
        }
  return out;
}

struct NetSpec {
  std::vector<std::string> inputs;
  std::string output;
};

// "| name | files | in | out | `a,b` -> `out` | ..." rows of the MANIFEST table.
std::map<std::string, NetSpec> manifest_specs(const fs::path& manifest) {
  std::map<std::string, NetSpec> out;
  std::ifstream in(manifest);
  std::regex row(R"(^\| (\w+) \|.*\| `([^`]*)` -> `([^`]*)` \|)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    NetSpec spec;
    std::stringstream names(m[2].str());
    for (std::string n; std::getline(names, n, ',');) spec.inputs.push_back(n);
    spec.output = m[3].str();
    out[m[1].str()] = spec;
  }
  return out;
}

TEST(EvalCorpus, OpenCvExtraNetsMatchTensorFlow) {
  TFPROD_REQUIRE_CORPUS();
  const fs::path dir = test::corpus_dir() / "opencv_extra_tf";
  auto specs = manifest_specs(dir / "MANIFEST.md");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    if (f.size() > 7 && f.substr(f.size() - 7) == "_net.pb") names.push_back(f.substr(0, f.size() - 7));
  }
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 39u);

  int compared = 0, failed = 0;
  std::printf("%-24s %-22s %-16s %10s %10s  %s\n", "net", "output", "shape", "max|err|", "tolerance", "result");
  for (const auto& name : names) {
    if (!fs::exists(dir / (name + "_in.npy")) || !fs::exists(dir / (name + "_out.npy"))) {
      std::printf("%-24s (no _in.npy/_out.npy pair)\n", name.c_str());
      continue;
    }
    SCOPED_TRACE(name);
    ASSERT_TRUE(specs.count(name)) << "net missing from MANIFEST table";
    const NetSpec& spec = specs[name];
    ModelFile file = load_model_file(dir / (name + "_net.pb"));
    tfprod::tf::GraphDef def = file.model.meta_graphs(0).graph_def();
    std::string note;
    // The graph calls a Defun "Dropout" whose body was not kept in its
    // library: at inference it is the identity on its first input (what
    // OpenCV's importer also does). Spliced here, said in the table.
    for (auto& n : *def.mutable_node())
      if (n.op() == "Dropout") {
        n.set_op("Identity");
        while (n.input_size() > 1) n.mutable_input()->RemoveLast();
        note = " (library-less Dropout call evaluated as identity)";
      }
    Graph graph = Graph::from_graphdef(def, name);
    // OpenCV's generator stores NHWC arrays transposed to NCHW; a graph that
    // works in NCHW itself was fed and stored as is.
    bool nchw_graph = false;
    for (const Node* n : graph.nodes())
      if (const auto* f = n->attr("data_format"); f && f->s() == "NCHW") nchw_graph = true;
    if (nchw_graph) note += " (NCHW graph: arrays used as stored)";

    std::vector<std::pair<std::string, Tensor>> feeds;
    for (const auto& in : spec.inputs) {
      const Node* node = graph.find(in);
      ASSERT_NE(node, nullptr) << in;
      DataType dtype = node->attr("dtype")->type();
      if (dtype == tfprod::tf::DT_BOOL) {  // isTraining flags: inference
        feeds.emplace_back(in, test::tensor_b({}, {false}));
        continue;
      }
      Tensor x = read_npy(dir / (name + "_in.npy"));
      if (x.shape.size() == 4 && !nchw_graph) x = transpose4(x, {0, 2, 3, 1});
      feeds.emplace_back(in, eval::cast(x, dtype));
    }
    Tensor want = eval::to_float32(read_npy(dir / (name + "_out.npy")));
    std::string result;
    double err = 0, tol = 0;
    Shape shape;
    try {
      Evaluator ev(graph);
      Tensor got = eval::cast(ev.run(feeds, {spec.output})[0], tfprod::tf::DT_FLOAT);
      shape = got.shape;
      if (got.shape.size() == 4 && !nchw_graph) got = transpose4(got, {0, 3, 1, 2});
      const bool fp16 = name.rfind("fp16", 0) == 0;
      double magnitude = 1;
      for (float v : eval::values<float>(want)) magnitude = std::max(magnitude, std::fabs(static_cast<double>(v)));
      tol = (fp16 ? 5e-3 : 1e-4) * magnitude;
      if (got.num_elements() != want.num_elements()) {
        result = "SHAPE MISMATCH vs reference " + shape_string(want.shape);
      } else {
        auto g = eval::values<float>(got), w = eval::values<float>(want);
        for (std::size_t i = 0; i < g.size(); ++i) err = std::max(err, std::fabs(static_cast<double>(g[i]) - w[i]));
        result = err <= tol && !std::isnan(err) ? "ok" : "MISMATCH";
      }
    } catch (const Error& e) {
      result = std::string("ERROR: ") + e.what();
    }
    ++compared;
    if (result != "ok") ++failed;
    std::printf("%-24s %-22s %-16s %10.2e %10.2e  %s%s\n", name.c_str(), spec.output.substr(0, 22).c_str(),
                shape_string(shape).c_str(), err, tol, result.c_str(), note.c_str());
    EXPECT_EQ(result, "ok");
  }
  std::printf("%d nets compared, %d matched, %d failed\n", compared, compared - failed, failed);
  EXPECT_GE(compared, 39);
}

}  // namespace
}  // namespace tfprod
