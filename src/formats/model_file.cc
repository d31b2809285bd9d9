#include "tfprod/model_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/text_format.h>

#include <algorithm>

#include "tfprod/error.h"
#include "tfprod/file_util.h"

namespace tfprod {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

std::string describe(ModelFileKind kind) {
  switch (kind) {
    case ModelFileKind::kGraphDefBinary: return "binary GraphDef";
    case ModelFileKind::kGraphDefText: return "text GraphDef";
    case ModelFileKind::kMetaGraphBinary: return "binary MetaGraphDef";
    case ModelFileKind::kMetaGraphText: return "text MetaGraphDef";
    case ModelFileKind::kSavedModelBinary: return "binary SavedModel";
    case ModelFileKind::kSavedModelText: return "text SavedModel";
  }
  return "unknown";
}

bool is_text(ModelFileKind kind) {
  return kind == ModelFileKind::kGraphDefText || kind == ModelFileKind::kMetaGraphText ||
         kind == ModelFileKind::kSavedModelText;
}

namespace {

// Our protos live in package tfprod.tf; users know the messages by TF's
// names ("tensorflow.NodeDef"), as TF's own parser says them.
std::string tf_names(std::string message) {
  for (std::size_t at; (at = message.find("tfprod.tf.")) != std::string::npos;)
    message.replace(at, 10, "tensorflow.");
  return message;
}

class TextErrors : public pb::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty()) first = fmt::format("line {}, column {}: {}", line + 1, column + 1, tf_names(message));
  }
  std::string first;
};

// Protobuf reports some parse failures only through its log (a string field
// that is not UTF-8): while a model file is parsed, its log is captured
// instead of printed, so the error says why on one line.
class ProtobufLogCapture {
 public:
  ProtobufLogCapture() : previous_(pb::SetLogHandler(&ProtobufLogCapture::handle)) { first().clear(); }
  ~ProtobufLogCapture() { pb::SetLogHandler(previous_); }
  ProtobufLogCapture(const ProtobufLogCapture&) = delete;
  ProtobufLogCapture& operator=(const ProtobufLogCapture&) = delete;

  // "string field 'tensorflow.NodeDef.name' is not valid UTF-8", or "".
  static std::string reason() {
    const std::string& m = first();
    auto at = m.find("String field '");
    if (at == std::string::npos || m.find("invalid UTF-8") == std::string::npos) return "";
    auto start = at + 14, end = m.find('\'', start);
    return fmt::format("string field '{}' is not valid UTF-8", tf_names(m.substr(start, end - start)));
  }

 private:
  static std::string& first() {
    static std::string message;
    return message;
  }
  static void handle(pb::LogLevel, const char*, int, const std::string& message) {
    if (first().empty()) first() = message;
  }
  pb::LogHandler* previous_;
};

// A name that is not UTF-8 (the text parser does not check): TensorFlow and
// OpenCV cannot read such a graph back. Bytes shown as \xNN.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  return out;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (extra < 0 || s.size() - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

void check_names_utf8(const std::string& file, const tfprod::tf::GraphDef& g) {
  auto check = [&](const tfprod::tf::NodeDef& n, const char* where) {
    if (!valid_utf8(n.name())) fail("{}: node '{}'{}: name is not valid UTF-8", file, printable(n.name()), where);
    for (const std::string* field : {&n.op(), &n.device()})
      if (!valid_utf8(*field)) fail("{}: node '{}'{}: op or device is not valid UTF-8", file, n.name(), where);
    for (const auto& in : n.input())
      if (!valid_utf8(in)) fail("{}: node '{}'{}: input '{}' is not valid UTF-8", file, n.name(), where, printable(in));
  };
  for (const auto& n : g.node()) check(n, "");
  for (const auto& f : g.library().function())
    for (const auto& n : f.node_def()) check(n, " (in a library function)");
}

bool parse_text(const std::string& bytes, pb::Message* msg, std::string* error) {
  pb::TextFormat::Parser parser;
  TextErrors errors;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(bytes, msg)) return true;
  *error = errors.first;
  return false;
}

bool has_unknown_top_level(const pb::Message& msg) {
  return !msg.GetReflection()->GetUnknownFields(msg).empty();
}

// A binary GraphDef that parsed cleanly but has nodes without names or ops
// is some other message whose field numbers happen to fit.
bool plausible_graph(const tfprod::tf::GraphDef& g) {
  for (const auto& n : g.node())
    if (n.name().empty() || n.op().empty()) return false;
  return g.node_size() > 0 || g.has_library() || g.has_versions();
}

bool plausible_meta(const tfprod::tf::MetaGraphDef& m) {
  return (m.has_graph_def() && plausible_graph(m.graph_def())) || m.has_meta_info_def();
}

bool plausible_saved_model(const tfprod::tf::SavedModel& s) {
  if (s.meta_graphs_size() == 0) return false;
  for (const auto& m : s.meta_graphs())
    if (!plausible_meta(m) || has_unknown_top_level(m)) return false;
  return true;
}

bool looks_textual(const std::string& bytes) {
  std::size_t n = std::min<std::size_t>(bytes.size(), 4096);
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x09 || (c > 0x0d && c < 0x20)) return false;
  }
  return n > 0;
}

std::string first_word(const std::string& bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (std::isspace(static_cast<unsigned char>(bytes[i]))) {
      ++i;
    } else if (bytes[i] == '#') {
      while (i < bytes.size() && bytes[i] != '\n') ++i;
    } else {
      break;
    }
  }
  std::size_t j = i;
  while (j < bytes.size() && (std::isalnum(static_cast<unsigned char>(bytes[j])) || bytes[j] == '_')) ++j;
  return bytes.substr(i, j - i);
}

// What a binary protobuf of unknown kind most plausibly is.
std::string guess_binary(const std::string& bytes) {
  tfprod::tf::SavedModel sm;
  if (sm.ParseFromString(bytes) && !has_unknown_top_level(sm) && plausible_saved_model(sm))
    return "a SavedModel";
  tfprod::tf::MetaGraphDef mg;
  if (mg.ParseFromString(bytes) && !has_unknown_top_level(mg) && plausible_meta(mg)) return "a MetaGraphDef";
  tfprod::tf::GraphDef gd;
  if (gd.ParseFromString(bytes) && !has_unknown_top_level(gd) && plausible_graph(gd)) return "a GraphDef";
  return "";
}

void wrap_graph(ModelFile& f, tfprod::tf::GraphDef&& g) {
  *f.model.add_meta_graphs()->mutable_graph_def() = std::move(g);
}

void load_binary(ModelFile& f, const std::string& bytes, ModelFileKind kind) {
  const std::string name = f.path.string();
  auto refuse = [&](const char* expected) {
    std::string other = guess_binary(bytes);
    if (!other.empty() && other != std::string("a ") + expected)
      fail("{}: not a {}: the file holds {}", name, expected, other);
    if (std::string why = ProtobufLogCapture::reason(); !why.empty()) fail("{}: not a valid {}: {}", name, expected, why);
    fail("{}: not a {}: the bytes are not a TensorFlow graph protobuf", name, expected);
  };
  f.kind = kind;
  switch (kind) {
    case ModelFileKind::kGraphDefBinary: {
      tfprod::tf::GraphDef g;
      if (!g.ParseFromString(bytes) || has_unknown_top_level(g) || !plausible_graph(g)) refuse("GraphDef");
      wrap_graph(f, std::move(g));
      return;
    }
    case ModelFileKind::kMetaGraphBinary: {
      auto* m = f.model.add_meta_graphs();
      if (!m->ParseFromString(bytes) || has_unknown_top_level(*m) || !plausible_meta(*m))
        refuse("MetaGraphDef");
      return;
    }
    case ModelFileKind::kSavedModelBinary:
      if (!f.model.ParseFromString(bytes) || has_unknown_top_level(f.model) ||
          !plausible_saved_model(f.model))
        refuse("SavedModel");
      return;
    default: break;
  }
}

void load_text(ModelFile& f, const std::string& bytes, ModelFileKind kind) {
  const std::string name = f.path.string();
  std::string error;
  f.kind = kind;
  switch (kind) {
    case ModelFileKind::kGraphDefText: {
      tfprod::tf::GraphDef g;
      if (!parse_text(bytes, &g, &error)) fail("{}: not a valid text GraphDef: {}", name, error);
      wrap_graph(f, std::move(g));
      return;
    }
    case ModelFileKind::kMetaGraphText:
      if (!parse_text(bytes, f.model.add_meta_graphs(), &error))
        fail("{}: not a valid text MetaGraphDef: {}", name, error);
      return;
    case ModelFileKind::kSavedModelText:
      if (!parse_text(bytes, &f.model, &error)) fail("{}: not a valid text SavedModel: {}", name, error);
      return;
    default: break;
  }
}

ModelFileKind text_kind_from_content(const std::string& bytes) {
  std::string word = first_word(bytes);
  if (word == "saved_model_schema_version" || word == "meta_graphs") return ModelFileKind::kSavedModelText;
  if (word == "meta_info_def" || word == "graph_def" || word == "saver_def" || word == "collection_def" ||
      word == "signature_def")
    return ModelFileKind::kMetaGraphText;
  return ModelFileKind::kGraphDefText;
}

}  // namespace

ModelFile load_model_file(const fs::path& input) {
  fs::path path = input;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{}: no such file or directory", path.string());
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "saved_model.pb", ec)) {
      path /= "saved_model.pb";
    } else if (fs::exists(path / "saved_model.pbtxt", ec)) {
      path /= "saved_model.pbtxt";
    } else {
      fail("{}: is a directory without saved_model.pb or saved_model.pbtxt", path.string());
    }
  }
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxProtoBytes)
    fail("{}: file is {} bytes; a protobuf message cannot exceed 2 GiB, so this cannot be one {}",
         path.string(), size, "TensorFlow graph");
  std::string bytes = read_file(path, kMaxProtoBytes);
  if (bytes.empty()) fail("{}: file is empty", path.string());

  ProtobufLogCapture capture;
  ModelFile f;
  f.path = path;
  const std::string filename = path.filename().string();
  const std::string ext = path.extension().string();
  const bool text = looks_textual(bytes);
  if (filename == "saved_model.pb") {
    load_binary(f, bytes, ModelFileKind::kSavedModelBinary);
  } else if (filename == "saved_model.pbtxt") {
    load_text(f, bytes, ModelFileKind::kSavedModelText);
  } else if (ext == ".meta") {
    if (text)
      load_text(f, bytes, ModelFileKind::kMetaGraphText);
    else
      load_binary(f, bytes, ModelFileKind::kMetaGraphBinary);
  } else if (text) {
    load_text(f, bytes, text_kind_from_content(bytes));
  } else if (ext == ".pb" || ext == ".graphdef") {
    load_binary(f, bytes, ModelFileKind::kGraphDefBinary);
  } else {
    std::string what = guess_binary(bytes);
    if (what == "a SavedModel")
      load_binary(f, bytes, ModelFileKind::kSavedModelBinary);
    else if (what == "a MetaGraphDef")
      load_binary(f, bytes, ModelFileKind::kMetaGraphBinary);
    else
      load_binary(f, bytes, ModelFileKind::kGraphDefBinary);
  }
  // Binary parsing checks UTF-8 itself; the text parser does not.
  if (is_text(f.kind))
    for (const auto& m : f.model.meta_graphs()) check_names_utf8(path.string(), m.graph_def());
  return f;
}

const tfprod::tf::MetaGraphDef& select_meta_graph(const ModelFile& file, const std::set<std::string>& tags) {
  const auto& metas = file.model.meta_graphs();
  if (metas.empty()) fail("{}: holds no meta graph", file.path.string());
  const bool saved_model =
      file.kind == ModelFileKind::kSavedModelBinary || file.kind == ModelFileKind::kSavedModelText;
  // A GraphDef or MetaGraphDef file holds one graph: tags do not apply.
  if (metas.size() == 1 && (tags.empty() || !saved_model)) return metas.Get(0);
  std::string present;
  for (const auto& m : metas) {
    std::set<std::string> have(m.meta_info_def().tags().begin(), m.meta_info_def().tags().end());
    if (have == tags || (tags.empty() && metas.size() == 1)) return m;
    present += (present.empty() ? "" : "; ") + fmt::format("{{{}}}", fmt::join(have, ","));
  }
  fail("{}: no meta graph has tags {{{}}}; present: {}", file.path.string(), fmt::join(tags, ","), present);
}

std::string serialize(const pb::Message& message) {
  std::string out;
  if (!message.SerializeToString(&out)) fail("cannot serialize {}", message.GetTypeName());
  return out;
}

void save_graphdef(const tfprod::tf::GraphDef& graph, const fs::path& path, bool text) {
  if (graph.ByteSizeLong() > kMaxProtoBytes && !text)
    fail("{}: the graph would be {} bytes; protobuf cannot write a message over 2 GiB", path.string(),
         graph.ByteSizeLong());
  write_atomically(path, [&](const fs::path& tmp) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("{}: cannot create", tmp.string());
    bool ok;
    {
      pb::io::FileOutputStream out(fd);
      if (text) {
        ok = pb::TextFormat::Print(graph, &out);
      } else {
        // Aliasing hands large strings (weights) to write() whole instead of
        // copying them through 8 KiB buffers. Sizes are cached by ByteSizeLong.
        pb::io::CodedOutputStream coded(&out);
        coded.EnableAliasing(true);
        graph.SerializeWithCachedSizes(&coded);
        ok = !coded.HadError();
      }
      ok = out.Flush() && ok;
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok) fail("{}: write failed", path.string());
  });
}

void save_graph(const Graph& graph, const fs::path& path, bool text) {
  if (text) {
    save_graphdef(graph.to_graphdef(), path, true);
    return;
  }
  const uint64_t bytes = graph.serialized_size();
  if (bytes > kMaxProtoBytes)
    fail("{}: the graph would be {} bytes; protobuf cannot write a message over 2 GiB", path.string(), bytes);
  write_atomically(path, [&](const fs::path& tmp) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("{}: cannot create", tmp.string());
    bool ok;
    {
      pb::io::FileOutputStream out(fd);
      try {
        graph.serialize(out);
      } catch (...) {
        ::close(fd);
        throw;
      }
      ok = out.Flush();
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok) fail("{}: write failed", path.string());
  });
}

}  // namespace tfprod
