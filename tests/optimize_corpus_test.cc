// The seed's third command, optimize_for_inference, verbatim: on our
// frozen_cut_graph.pb and on TF's own frozen_cut_graph.pb and
// frozen_cut_graph_opt.pb the result holds no dropout, OpenCV 4.6 loads it,
// reads 5.jpg as class 5, and its output equals the evaluator's on the
// original training graph in inference mode.
#include <gtest/gtest.h>

#include "tfprod/tensor_values.h"
#include "test_support.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/verify.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

Graph load(const fs::path& p) {
  return Graph::from_graphdef(load_model_file(p).model.meta_graphs(0).graph_def(), p.string());
}

int argmax(const Tensor& t) {
  Tensor f = eval::cast(t, tfprod::tf::DT_FLOAT);
  auto v = eval::values<float>(f);
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(OptimizeCorpus, SeedRecipeOnAnprGivesAVerifiedOpenCvModel) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::copy_case("anpr_estimator");
  fs::rename(dir / "frozen_cut_graph.pb", dir / "tf_frozen_cut_graph.pb");
  fs::rename(dir / "frozen_cut_graph_opt.pb", dir / "tf_frozen_cut_graph_opt.pb");
  auto r = test::run(test::tool("freeze_graph").string() +
                         " --input_graph=graph.pbtxt --input_checkpoint=model.ckpt-20000"
                         " --output_graph frozen_graph.pb --output_node_names=softmax_tensor",
                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(test::tool("transform_graph").string() +
                    " --in_graph=\"frozen_graph.pb\" --out_graph=\"frozen_cut_graph.pb\" --inputs=\"IteratorGetNext\""
                    " --outputs=\"softmax_tensor\" --transforms='strip_unused_nodes(type=half, shape=\"1,20,20,1\")"
                    " fold_constants(ignore_errors=true) fold_batch_norms fold_old_batch_norms sort_by_execution_order'",
                dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  Graph training = load(dir / "frozen_graph.pb");  // the freeze of the training graph
  Tensor image = load_image(dir / "5.jpg", true, 20, 20);
  std::printf("%-28s %-10s %-8s %s\n", "optimized from", "dropout?", "class", "OpenCV vs evaluator (training graph)");
  for (const char* source : {"frozen_cut_graph.pb", "tf_frozen_cut_graph.pb", "tf_frozen_cut_graph_opt.pb"}) {
    SCOPED_TRACE(source);
    const std::string out = std::string("opt_") + source;
    r = test::run(test::tool("optimize_for_inference").string() + " --input " + source + " --output " + out +
                      " --frozen_graph True --input_names IteratorGetNext --output_names softmax_tensor",
                  dir);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    Graph opt = load(dir / out);
    bool dropout = false;
    for (const Node* n : opt.nodes())
      dropout = dropout || n->op == "RandomUniform" || n->name().find("dropout") != std::string::npos;
    EXPECT_FALSE(dropout);

    OpenCvRun cv = run_in_opencv(dir / out, {{"IteratorGetNext", image}}, {{"softmax_tensor"}}, true);
    ASSERT_TRUE(cv.error.empty()) << cv.error;
    EXPECT_EQ(argmax(cv.outputs[0]), 5);

    VerifyOptions options;
    options.feeds = {{"IteratorGetNext", image}};
    options.outputs = {"softmax_tensor"};
    VerifyReport report = verify_model(dir / out, &training, options);
    EXPECT_TRUE(report.ok()) << report.table();
    std::printf("%-28s %-10s %-8d %s", source, dropout ? "yes" : "no", argmax(cv.outputs[0]), report.table().c_str());
  }

  // The production use, end to end: tfprod classify reads 5.jpg as a 5.
  r = test::run(test::tool("tfprod").string() + " classify opt_frozen_cut_graph.pb 5.jpg --gray --top 2", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("5\t", 0), 0u) << r.output;
}

}  // namespace
}  // namespace tfprod
