// The transform job behind `tfprod transform` and the drop-in
// `transform_graph`: load, check the pipeline and the names, run, write.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tfprod::cli {

struct TransformJob {
  std::filesystem::path in_graph;
  std::filesystem::path out_graph;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string transforms;
  bool output_as_text = false;
  std::filesystem::path dump_after;  // when set, the graph after each step goes here
  const char* program = "tfprod";
  // The front end's own flags, for the messages that name them.
  const char* out_flag = "-o/--out";
  const char* inputs_flag = "--inputs";
  const char* outputs_flag = "--outputs";
};

int run_transform_job(const TransformJob& job);

}  // namespace tfprod::cli
