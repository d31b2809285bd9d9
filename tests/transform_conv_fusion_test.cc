// flatten_atrous_conv, fuse_pad_and_conv, fuse_resize_and_conv,
// fuse_resize_pad_and_conv and backport_concatv2: the graph after
// (structure) and the same numbers before and after on random inputs (the
// fused ops run on the evaluator's FusedPadConv2D / FusedResizeAndPadConv2D
// kernels).
#include <gtest/gtest.h>

#include "test_support.h"
#include "tfprod/model_source.h"
#include "tfprod/npy.h"
#include "graph_text_support.h"
#include "transform_test_support.h"

namespace tfprod {
namespace {

using namespace tfprod::test;



std::string floats(const std::string& name, const Shape& s) {
  std::string vals;
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  for (int64_t i = 0; i < n; ++i) vals += " float_val: " + std::to_string(static_cast<float>((i * 7) % 13 - 6) / 6);
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } " +
         "attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape {" + dims(s) + " }" + vals + " } } } }\n";
}

std::string ints(const std::string& name, const Shape& s, const std::vector<int>& v) {
  std::string vals;
  for (int x : v) vals += " int_val: " + std::to_string(x);
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } " +
         "attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape {" + dims(s) + " }" + vals + " } } } }\n";
}

const std::string kT = "attr { key: 'T' value { type: DT_FLOAT } }";


std::string conv_attrs(const std::string& padding = "VALID", int stride = 1) {
  const std::string s = std::to_string(stride);
  return kT + " attr { key: 'padding' value { s: '" + padding + "' } } attr { key: 'strides' value { list { i: 1 i: " +
         s + " i: " + s + " i: 1 } } } attr { key: 'data_format' value { s: 'NHWC' } }";
}

std::string s_attr(const std::string& key, const std::string& v) {
  return " attr { key: '" + key + "' value { s: '" + v + "' } }";
}
std::string b_attr(const std::string& key, bool v) {
  return std::string(" attr { key: '") + key + "' value { b: " + (v ? "true" : "false") + " } }";
}


void check_numbers(const Graph& before, const Graph& after, const std::vector<std::string>& outputs) {
  expect_same_outputs(before, after, outputs, random_feeds(before, outputs));
}

// ---- flatten_atrous_conv ----

// SpaceToBatchND -> conv -> BatchToSpaceND on a [1, h, w, 2] input with a
// 3x3 filter and block [2, 2].
std::string atrous(int64_t h, int64_t w, const std::vector<int>& pads, const std::vector<int>& crops,
                   const std::string& conv_op = "Conv2D", const std::string& inner_padding = "VALID") {
  const std::string attrs = conv_op == "Conv2D" ? conv_attrs(inner_padding)
                                                : kT + s_attr("padding", inner_padding) +
                                                      " attr { key: 'strides' value { list { i: 1 i: 1 i: 1 i: 1 } } }";
  return shaped_placeholder("x", {1, h, w, 2}) + floats("w", {3, 3, 2, 3}) + ints("block", {2}, {2, 2}) +
         ints("pads", {2, 2}, pads) + ints("crops", {2, 2}, crops) +
         node("stb", "SpaceToBatchND", {"x", "block", "pads"}) + node("conv", conv_op, {"stb", "w"}, attrs) +
         node("bts", "BatchToSpaceND", {"conv", "block", "crops"}) + node("out", "Relu", {"bts"});
}

TEST(TransformConvFusion, FlattensAtrousConvSame) {
  // tf.nn.atrous_conv2d(rate=2, SAME) on 9x9: pads 2 + (2 + 1 to divide), crops (0, 1).
  Graph g = parse_graph(atrous(9, 9, {2, 3, 2, 3}, {0, 1, 0, 1}));
  Graph after = apply_transforms(g, "flatten_atrous_conv", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "w = Const[DT_FLOAT [3,3,2,3]]()\n"
            "bts = Conv2D(x, w)\n"
            "out = Relu(bts)\n");
  const Node* conv = after.find("bts");
  EXPECT_EQ(conv->attr("padding")->s(), "SAME");
  EXPECT_EQ(std::vector<int64_t>(conv->attr("dilations")->list().i().begin(), conv->attr("dilations")->list().i().end()),
            (std::vector<int64_t>{1, 2, 2, 1}));
  check_numbers(g, after, {"out"});
}

TEST(TransformConvFusion, FlattensAtrousConvValidExplicitAndDepthwise) {
  struct Case {
    const char* what;
    std::string graph;
    const char* padding;
  } cases[] = {
      {"VALID", atrous(9, 9, {0, 1, 0, 1}, {0, 1, 0, 1}), "VALID"},
      {"uneven pads give EXPLICIT", atrous(8, 8, {1, 1, 0, 2}, {0, 0, 0, 0}), "EXPLICIT"},
      {"inner SAME", atrous(8, 6, {0, 0, 0, 0}, {0, 0, 0, 0}, "Conv2D", "SAME"), "SAME"},
      {"depthwise", atrous(9, 9, {2, 3, 2, 3}, {0, 1, 0, 1}, "DepthwiseConv2dNative"), "SAME"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Graph g = parse_graph(c.graph);
    Graph after = apply_transforms(g, "flatten_atrous_conv", {"x"}, {"out"});
    EXPECT_EQ(count_op(after, "SpaceToBatchND") + count_op(after, "BatchToSpaceND"), 0);
    EXPECT_EQ(after.find("bts")->attr("padding")->s(), c.padding);
    check_numbers(g, after, {"out"});
  }
}

TEST(TransformConvFusion, AtrousLeftAloneWhenCropsExceedPadding) {
  Graph g = parse_graph(atrous(8, 8, {0, 0, 0, 0}, {1, 1, 0, 0}));
  Graph after = apply_transforms(g, "flatten_atrous_conv", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after), graph_text(g));
}

// ---- fuse_pad_and_conv ----

std::string pad_conv(const std::string& mode, const std::string& padding, int stride) {
  return shaped_placeholder("x", {1, 6, 7, 2}) + ints("pads", {4, 2}, {0, 0, 1, 2, 2, 1, 0, 0}) + floats("w", {3, 3, 2, 3}) +
         node("pad", "MirrorPad", {"x", "pads"}, kT + s_attr("mode", mode)) +
         node("conv", "Conv2D", {"pad", "w"}, conv_attrs(padding, stride)) + node("out", "Relu", {"conv"});
}

TEST(TransformConvFusion, FusesMirrorPadIntoConv) {
  Graph g = parse_graph(pad_conv("REFLECT", "VALID", 1));
  Graph after = apply_transforms(g, "fuse_pad_and_conv", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "pads = Const[DT_INT32 [4,2]]()\n"
            "w = Const[DT_FLOAT [3,3,2,3]]()\n"
            "conv = FusedPadConv2D(x, pads, w)\n"
            "out = Relu(conv)\n");
  EXPECT_EQ(after.find("conv")->attr("mode")->s(), "REFLECT");
  EXPECT_EQ(after.find("conv")->attr("data_format"), nullptr) << "FusedPadConv2D has no data_format";
  check_numbers(g, after, {"out"});

  Graph g2 = parse_graph(pad_conv("SYMMETRIC", "SAME", 2));
  Graph after2 = apply_transforms(g2, "fuse_pad_and_conv", {"x"}, {"out"});
  EXPECT_EQ(after2.find("conv")->op, "FusedPadConv2D");
  check_numbers(g2, after2, {"out"});
}

TEST(TransformConvFusion, PadReadElsewhereIsNotFused) {
  Graph g = parse_graph(pad_conv("REFLECT", "VALID", 1) + node("side", "Neg", {"pad"}));
  Graph after = apply_transforms(g, "fuse_pad_and_conv", {"x"}, {"out", "side"});
  EXPECT_EQ(graph_text(after), graph_text(g));
}

// ---- fuse_resize_and_conv / fuse_resize_pad_and_conv ----

std::string resize_conv(bool align, bool half_pixel, bool with_pad) {
  std::string g = shaped_placeholder("x", {1, 4, 5, 2}) + ints("size", {2}, {7, 9}) + floats("w", {3, 3, 2, 3}) +
                  node("resize", "ResizeBilinear", {"x", "size"},
                       kT + b_attr("align_corners", align) + b_attr("half_pixel_centers", half_pixel));
  if (with_pad)
    g += ints("pads", {4, 2}, {0, 0, 2, 1, 1, 2, 0, 0}) +
         node("pad", "MirrorPad", {"resize", "pads"}, kT + s_attr("mode", "SYMMETRIC"));
  return g + node("conv", "Conv2D", {with_pad ? "pad" : "resize", "w"}, conv_attrs("SAME")) +
         node("out", "Relu", {"conv"});
}

TEST(TransformConvFusion, FusesResizeIntoConv) {
  for (bool align : {false, true}) {
    SCOPED_TRACE(align);
    Graph g = parse_graph(resize_conv(align, false, false));
    Graph after = apply_transforms(g, "fuse_resize_and_conv", {"x"}, {"out"});
    EXPECT_EQ(graph_text(after),
              "x = Placeholder()\n"
              "size = Const[DT_INT32 [2]]()\n"
              "w = Const[DT_FLOAT [3,3,2,3]]()\n"
              "conv = FusedResizeAndPadConv2D(x, size, conv_dummy_paddings, w)\n"
              "out = Relu(conv)\n"
              "conv_dummy_paddings = Const[DT_INT32 [4,2]]()\n");
    EXPECT_EQ(after.find("conv")->attr("resize_align_corners")->b(), align);
    check_numbers(g, after, {"out"});
  }
}

TEST(TransformConvFusion, FusesResizeAndPadIntoConv) {
  Graph g = parse_graph(resize_conv(true, false, true));
  Graph after = apply_transforms(g, "fuse_resize_pad_and_conv", {"x"}, {"out"});
  EXPECT_EQ(graph_text(after),
            "x = Placeholder()\n"
            "size = Const[DT_INT32 [2]]()\n"
            "w = Const[DT_FLOAT [3,3,2,3]]()\n"
            "pads = Const[DT_INT32 [4,2]]()\n"
            "conv = FusedResizeAndPadConv2D(x, size, pads, w)\n"
            "out = Relu(conv)\n");
  EXPECT_EQ(after.find("conv")->attr("mode")->s(), "SYMMETRIC");
  check_numbers(g, after, {"out"});
  // fuse_resize_and_conv does not match through the pad.
  EXPECT_EQ(graph_text(apply_transforms(g, "fuse_resize_and_conv", {"x"}, {"out"})), graph_text(g));
}

TEST(TransformConvFusion, HalfPixelResizeIsNotFused) {
  for (bool with_pad : {false, true}) {
    SCOPED_TRACE(with_pad);
    Graph g = parse_graph(resize_conv(false, true, with_pad));
    Graph after = apply_transforms(g, "fuse_resize_and_conv fuse_resize_pad_and_conv", {"x"}, {"out"});
    EXPECT_EQ(graph_text(after), graph_text(g)) << "FusedResizeAndPadConv2D has no half_pixel_centers";
  }
}

// ---- backport_concatv2 ----

TEST(TransformConvFusion, BackportsConcatV2) {
  Graph g = parse_graph(shaped_placeholder("a", {2, 3}) + shaped_placeholder("b", {2, 4}) + ints("axis", {}, {1}) +
                        node("cat", "ConcatV2", {"a", "b", "axis"},
                             kT + " attr { key: 'N' value { i: 2 } } attr { key: 'Tidx' value { type: DT_INT32 } }"));
  Graph after = apply_transforms(g, "backport_concatv2", {"a", "b"}, {"cat"});
  EXPECT_EQ(graph_text(after),
            "a = Placeholder()\n"
            "b = Placeholder()\n"
            "axis = Const[DT_INT32 []]()\n"
            "cat = Concat(axis, a, b)\n");
  EXPECT_EQ(after.find("cat")->attr("Tidx"), nullptr);
  EXPECT_EQ(after.find("cat")->attr("N")->i(), 2);
  check_numbers(g, after, {"cat"});
}

TEST(TransformConvFusion, CorpusConcatV2Backported) {
  TFPROD_REQUIRE_CORPUS();
  for (const char* name : {"concat_axis_1", "keras_pad_concat", "pad_and_concat", "split_equals"}) {
    SCOPED_TRACE(name);
    const std::string path = std::string("opencv_extra_tf/") + name + "_net.pb";
    ModelSource src = open_model_source(corpus_dir() / path);
    Graph g = Graph::from_graphdef(src.meta.graph_def(), path);
    std::vector<std::string> outputs;
    for (const Node* n : g.nodes())
      if (n->op == "ConcatV2") outputs.push_back(n->name());
    ASSERT_FALSE(outputs.empty());
    Graph after = apply_transforms(g, "backport_concatv2", {}, outputs);
    EXPECT_EQ(count_op(after, "ConcatV2"), 0);
    EXPECT_EQ(count_op(after, "Concat"), static_cast<int>(outputs.size()));
    // Random inputs of the shape of NAME_in.npy (stored NCHW; the nets are NHWC).
    Shape in = read_npy(corpus_dir() / (std::string("opencv_extra_tf/") + name + "_in.npy")).shape;
    if (in.size() == 4) in = {in[0], in[2], in[3], in[1]};
    std::map<std::string, Shape> shapes;
    for (const Node* n : g.nodes())
      if (n->op == "Placeholder") shapes[n->name()] = in;
    expect_same_outputs(g, after, outputs, random_feeds(g, outputs, 1, shapes));
  }
}

}  // namespace
}  // namespace tfprod
