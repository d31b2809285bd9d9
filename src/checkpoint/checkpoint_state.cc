// read_checkpoint_state: the `checkpoint` text file that tf.train.Saver and
// Estimators keep next to their checkpoints, a text-format CheckpointState.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "tfprod/tf/protobuf/checkpoint_state.pb.h"
#include "tfprod/checkpoint.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"

namespace tfprod {

namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (text.empty()) text = fmt::format("line {}, column {}: {}", line + 1, column + 1, message);
  }
  std::string text;
};

}  // namespace

CheckpointState read_checkpoint_state(const std::filesystem::path& file) {
  const std::string text = read_file(file, uint64_t{16} << 20);
  tfprod::tf::CheckpointState proto;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &proto))
    fail("{}: not a valid checkpoint state file: {}", file.string(),
         errors.text.empty() ? "parse error" : errors.text);
  CheckpointState state;
  state.model_checkpoint_path = proto.model_checkpoint_path();
  state.all_model_checkpoint_paths.assign(proto.all_model_checkpoint_paths().begin(),
                                          proto.all_model_checkpoint_paths().end());
  return state;
}

}  // namespace tfprod
