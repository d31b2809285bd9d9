// `tfprod report DIR -o report.html`: one self-contained page per training
// run (no network, no external files): the training curves (events files),
// the checkpoints on disk with their eval metrics, the graph picture from
// `view` with the cut marked, and the export verdict (the export run in
// memory against a temporary file, nothing kept).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tfprod/export.h"

namespace tfprod {

struct TrainingReportOptions {
  std::string checkpoint;            // --checkpoint selector (best, best:M, step:N, latest) or prefix; "" latest
  ExportOptions export_options;      // source, inputs, outputs, verify (source set from the directory)
  bool log_scale = false;            // curves start on a log value axis
};

// Every section that cannot be made says why in its place (no events files,
// no model, Graphviz missing, an export that fails); the page is still written.
std::string training_report_html(const std::filesystem::path& dir, const TrainingReportOptions& options);

}  // namespace tfprod
