// Writes a frozen GraphDef whose largest Const values are still in the
// checkpoint: the bytes are copied from the data file to the output
// (copy_file_range, in the kernel) while another thread verifies their
// crc32c, so a multi-GiB freeze runs near `cp` speed with almost nothing in
// memory. The output is byte-identical to serializing the materialized graph.
#pragma once

#include <filesystem>
#include <vector>

#include "tfprod/tf/framework/graph.pb.h"
#include "tfprod/freeze.h"

namespace tfprod {

// Each streamed node must be a Const built by freeze(): attrs [dtype, value]
// with `value` last, an empty tensor_content, no other NodeDef fields.
// Throws Error (removing the partial output) on a crc mismatch, a short file,
// or a graph over protobuf's 2 GiB limit, checked before writing.
void save_graphdef_streaming(const tfprod::tf::GraphDef& graph, const std::vector<StreamedTensor>& streamed,
                             const std::filesystem::path& path);

}  // namespace tfprod
