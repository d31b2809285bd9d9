// inspect: would OpenCV 4.6 import the model? The pre-flight check on the
// reference prepare_export builds (frozen and cut, what TF's own tools give)
// and on its model (after tfprod export's passes).
#include "inspect/inspect_internal.h"
#include "tfprod/error.h"
#include "tfprod/export.h"

namespace tfprod::inspect_detail {

OpenCvVerdict opencv_verdict(const std::filesystem::path& source, const InspectOptions& options,
                             const Graph* frozen) {
  OpenCvVerdict v;
  v.checked = true;
  ExportOptions eo;
  eo.source = source;
  eo.source_options = options.source_options;
  eo.outputs = options.outputs;
  eo.inputs = options.inputs;
  eo.verify = false;
  try {
    PreparedExport prepared = prepare_export(eo);
    v.reference_nodes = prepared.reference.size();
    v.model_nodes = prepared.model.size();
    v.before = opencv_preflight(prepared.reference);
    v.after = opencv_preflight(prepared.model);
    v.inputs = prepared.report.inputs;
    v.outputs = prepared.report.outputs;
  } catch (const Error& e) {
    v.error = e.what();
    // A frozen graph is already what TF's tools leave: check it as it is.
    if (frozen) {
      v.reference_nodes = frozen->size();
      v.before = opencv_preflight(*frozen);
    }
  }
  return v;
}

}  // namespace tfprod::inspect_detail
