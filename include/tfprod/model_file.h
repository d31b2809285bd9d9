// Loading the graph files TensorFlow writes: GraphDef (.pb binary, .pbtxt
// text), MetaGraphDef (.meta, binary or text), SavedModel (saved_model.pb /
// .pbtxt, or the folder holding one). Says which one a file is, and refuses a
// protobuf that is none of them.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/tf/protobuf/meta_graph.pb.h"
#include "tfprod/tf/protobuf/saved_model.pb.h"

namespace tfprod {

enum class ModelFileKind {
  kGraphDefBinary,
  kGraphDefText,
  kMetaGraphBinary,
  kMetaGraphText,
  kSavedModelBinary,
  kSavedModelText,
};

// "binary GraphDef", "text MetaGraphDef", ...
std::string describe(ModelFileKind kind);
bool is_text(ModelFileKind kind);

// Protobuf's hard limit on one message (hazard H2).
constexpr uint64_t kMaxProtoBytes = (uint64_t{2} << 30) - 1;

struct ModelFile {
  std::filesystem::path path;
  ModelFileKind kind = ModelFileKind::kGraphDefBinary;
  // Every form is held as a SavedModel: a GraphDef file becomes one meta
  // graph holding only graph_def, a MetaGraphDef file one meta graph.
  tfprod::tf::SavedModel model;
};

// Decides the kind from the name, then from the content, and parses. Throws
// Error naming the file: missing, a directory without saved_model.pb(txt),
// over 2 GiB, unparsable (with line and column for text), or a protobuf of
// another kind (e.g. a SavedModel's fingerprint.pb).
ModelFile load_model_file(const std::filesystem::path& path);

// The meta graph whose tags equal `tags` (a lone meta graph is taken whatever
// its tags when `tags` is empty). Throws listing the tag sets present.
const tfprod::tf::MetaGraphDef& select_meta_graph(const ModelFile& file,
                                                  const std::set<std::string>& tags);

// Writes a GraphDef atomically: text format when `text`, else binary
// (streamed to the file, no second copy in memory).
void save_graphdef(const tfprod::tf::GraphDef& graph, const std::filesystem::path& path, bool text);

// Writes a Graph atomically, as save_graphdef(graph.to_graphdef(), ...) would,
// but in binary without building the GraphDef: the weights go from the
// graph's attrs to the file, never copied (a clone may still share them).
void save_graph(const Graph& graph, const std::filesystem::path& path, bool text);

// Byte-exact serialization used by round-trip checks and writers.
std::string serialize(const google::protobuf::Message& message);

}  // namespace tfprod
