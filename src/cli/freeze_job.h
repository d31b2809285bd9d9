// The freeze job both front ends run (`tfprod freeze` and the drop-in
// `freeze_graph`): open the source, freeze, write atomically, report.
#pragma once

#include <filesystem>
#include <string>

#include "tfprod/freeze.h"
#include "tfprod/model_source.h"

namespace tfprod::cli {

struct FreezeJob {
  std::filesystem::path input;
  SourceOptions source;
  FreezeOptions freeze;
  std::filesystem::path output;
  bool text = false;
  bool guess_outputs = true;  // from the signature, or a lone candidate
  const char* program = "tfprod";
  // The front end's own flags, for the messages that ask for them.
  const char* checkpoint_flag = "--checkpoint";
  const char* outputs_flag = "--output";
};

// Returns the process exit code; throws Error on failure (no output written).
int run_freeze_job(const FreezeJob& job);

}  // namespace tfprod::cli
