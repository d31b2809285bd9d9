// add_default_attributes: writes out the attributes a node leaves to its op's
// default, so that tools which read attributes without TF's op registry
// (OpenCV, older converters) see the values TF would use.
//
//   Conv2D {T, strides, padding}   =>   Conv2D {T, strides, padding, use_cudnn_on_gpu: true,
//                                                explicit_paddings: [], data_format: "NHWC",
//                                                dilations: [1,1,1,1]}
//
// TF reads the defaults from its op registry; tfprod has none, so the table
// below holds the defaults of common ops (from TF's op definitions). Ops not
// in the table are left alone; attributes already present are never changed.
#include <google/protobuf/text_format.h>

#include <map>
#include <utility>
#include <vector>

#include "passes/passes.h"
#include "tfprod/error.h"

namespace tfprod::passes {

namespace {

using Defaults = std::vector<std::pair<const char*, const char*>>;  // attr, AttrValue in text format

const char* kNHWC = "s: 'NHWC'";
const char* kNDHWC = "s: 'NDHWC'";
const char* kFalse = "b: false";
const char* kTrue = "b: true";
const char* kInt32 = "type: DT_INT32";
const char* kInt64 = "type: DT_INT64";
const char* kEmpty = "list { }";
const char* kOnes4 = "list { i: 1 i: 1 i: 1 i: 1 }";
const char* kOnes5 = "list { i: 1 i: 1 i: 1 i: 1 i: 1 }";

const std::map<std::string, Defaults>& table() {
  static const std::map<std::string, Defaults> t = [] {
    std::map<std::string, Defaults> m;
    const Defaults conv = {{"use_cudnn_on_gpu", kTrue}, {"explicit_paddings", kEmpty}, {"data_format", kNHWC},
                           {"dilations", kOnes4}};
    m["Conv2D"] = conv;
    m["Conv2DBackpropInput"] = conv;
    m["DepthwiseConv2dNative"] = {{"explicit_paddings", kEmpty}, {"data_format", kNHWC}, {"dilations", kOnes4}};
    m["Conv3D"] = {{"data_format", kNDHWC}, {"dilations", kOnes5}};
    for (const char* op : {"MaxPool", "AvgPool", "MaxPoolV2", "BiasAdd", "DepthToSpace", "SpaceToDepth"})
      m[op] = {{"data_format", kNHWC}};
    for (const char* op : {"MaxPool3D", "AvgPool3D"}) m[op] = {{"data_format", kNDHWC}};
    m["MaxPoolWithArgmax"] = {{"Targmax", kInt64}, {"include_batch_in_index", kFalse}};
    m["MatMul"] = {{"transpose_a", kFalse}, {"transpose_b", kFalse}};
    for (const char* op : {"BatchMatMul", "BatchMatMulV2"}) m[op] = {{"adj_x", kFalse}, {"adj_y", kFalse}};
    m["FusedBatchNorm"] = {{"epsilon", "f: 0.0001"}, {"exponential_avg_factor", "f: 1"}, {"data_format", kNHWC},
                           {"is_training", kTrue}};
    m["FusedBatchNormV2"] = m["FusedBatchNorm"];
    m["FusedBatchNormV3"] = m["FusedBatchNorm"];
    m["Squeeze"] = {{"squeeze_dims", kEmpty}};
    for (const char* op : {"Mean", "Sum", "Max", "Min", "Prod", "All", "Any"})
      m[op] = {{"keep_dims", kFalse}, {"Tidx", kInt32}};
    for (const char* op : {"ArgMax", "ArgMin"}) m[op] = {{"Tidx", kInt32}, {"output_type", kInt64}};
    m["Cast"] = {{"Truncate", kFalse}};
    m["ConcatV2"] = {{"Tidx", kInt32}};
    m["Placeholder"] = {{"shape", "shape { unknown_rank: true }"}};
    for (const char* op : {"Shape", "Size", "ShapeN"}) m[op] = {{"out_type", kInt32}};
    for (const char* op : {"Pad", "PadV2", "MirrorPad"}) m[op] = {{"Tpaddings", kInt32}};
    m["Reshape"] = {{"Tshape", kInt32}};
    m["Transpose"] = {{"Tperm", kInt32}};
    m["Fill"] = {{"index_type", kInt32}};
    m["Range"] = {{"Tidx", kInt32}};
    m["ExpandDims"] = {{"Tdim", kInt32}};
    m["Tile"] = {{"Tmultiples", kInt32}};
    m["SplitV"] = {{"Tlen", kInt64}};
    m["StridedSlice"] = {{"begin_mask", "i: 0"}, {"end_mask", "i: 0"}, {"ellipsis_mask", "i: 0"},
                         {"new_axis_mask", "i: 0"}, {"shrink_axis_mask", "i: 0"}};
    m["Gather"] = {{"validate_indices", kTrue}};
    m["GatherV2"] = {{"batch_dims", "i: 0"}};
    m["LRN"] = {{"depth_radius", "i: 5"}, {"bias", "f: 1"}, {"alpha", "f: 1"}, {"beta", "f: 0.5"}};
    m["LeakyRelu"] = {{"alpha", "f: 0.2"}};
    for (const char* op : {"ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic"})
      m[op] = {{"align_corners", kFalse}, {"half_pixel_centers", kFalse}};
    for (const char* op : {"Pack", "Unpack"}) m[op] = {{"axis", "i: 0"}};
    m["OneHot"] = {{"axis", "i: -1"}};
    m["Cumsum"] = {{"exclusive", kFalse}, {"reverse", kFalse}, {"Tidx", kInt32}};
    m["TopKV2"] = {{"sorted", kTrue}};
    m["Dequantize"] = {{"mode", "s: 'MIN_COMBINED'"}, {"narrow_range", kFalse}, {"axis", "i: -1"},
                       {"dtype", "type: DT_FLOAT"}};
    m["FakeQuantWithMinMaxVars"] = {{"num_bits", "i: 8"}, {"narrow_range", kFalse}};
    m["FakeQuantWithMinMaxArgs"] = {{"min", "f: -6"}, {"max", "f: 6"}, {"num_bits", "i: 8"}, {"narrow_range", kFalse}};
    return m;
  }();
  return t;
}

bool run(Graph& graph, const PassOptions&, PassContext&) {
  bool changed = false;
  for (Node* n : graph.nodes()) {
    auto it = table().find(n->op);
    if (it == table().end()) continue;
    for (const auto& [name, text] : it->second) {
      if (n->attr(name)) continue;
      tfprod::tf::AttrValue value;
      if (!google::protobuf::TextFormat::ParseFromString(text, &value))
        fail("bad default for {}.{}: {}", n->op, name, text);
      n->set_attr(name) = std::move(value);
      changed = true;
    }
  }
  return changed;
}

}  // namespace

PassSpec add_default_attributes() {
  return {"add_default_attributes", "Write out attributes left at their op's default (a table of common ops)", {},
          run};
}

}  // namespace tfprod::passes
