// The ONNX end of `tfprod export`: the prepared model converted to ONNX,
// checked by ONNX's checker, run in OpenCV's ONNX importer against the
// evaluator on the frozen graph, and written only when all of that passed.
#pragma once

#include <filesystem>

#include "tfprod/export.h"

namespace tfprod {

// Takes the prepared export's report and completes it; failures end up in
// report.failure (no file is written), as export_model's do.
ExportReport write_onnx(PreparedExport& prepared, const ExportOptions& options, const std::filesystem::path& output);

}  // namespace tfprod
