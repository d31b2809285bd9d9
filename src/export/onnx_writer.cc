// Converting, checking, verifying and writing an ONNX export (see onnx_writer.h).
#include "export/onnx_writer.h"

#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tfprod/error.h"
#include "tfprod/eval.h"
#include "tfprod/file_util.h"
#include "tfprod/onnx.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/presets.h"
#include "tfprod/tensor_values.h"
#include "tfprod/transform.h"

namespace tfprod {

namespace {

bool listed(const std::vector<std::string>& names, const std::string& tensor) {
  for (const auto& n : names)
    if (onnx_name(n) == onnx_name(tensor)) return true;
  return false;
}

// verify_onnx_model, told whether the model's weights are in external data
// (and with verify.outputs set), so that it need not parse the model to know.
VerifyReport verify_onnx(const std::filesystem::path& model, const Graph& reference, const VerifyOptions& verify,
                         const OnnxOptions& layout, bool external_data) {
  const std::vector<std::string>& outputs = verify.outputs;
  const Graph ref = inference_mode(reference, outputs);
  const auto feeds = verify.feeds.empty() ? random_inputs(ref, outputs, verify.seed) : verify.feeds;
  std::vector<std::pair<std::string, Tensor>> cv_feeds;
  for (const auto& [name, value] : feeds) {
    Tensor f = eval::cast(value, tfprod::tf::DT_FLOAT);
    if (listed(layout.inputs_as_nchw, name)) f = permute_dims(f, {0, 3, 1, 2});
    cv_feeds.emplace_back(onnx_name(name), std::move(f));
  }
  std::vector<std::string> cv_outputs;
  for (const auto& o : outputs) cv_outputs.push_back(onnx_name(o));
  VerifyReport report;
  // OpenCV 4.6 cannot read external data (it dies of SIGFPE): it gets a copy
  // with the weights read back inline.
  OpenCvRun cv;
  if (external_data) {
    const std::filesystem::path inline_copy = model.string() + ".inline.onnx";
    write_file_atomically(inline_copy, onnx_inline_external_data(model));
    try {
      cv = run_onnx_in_opencv(inline_copy, cv_feeds, cv_outputs);
    } catch (...) {
      std::filesystem::remove(inline_copy);
      throw;
    }
    std::filesystem::remove(inline_copy);
  } else {
    cv = run_onnx_in_opencv(model, cv_feeds, cv_outputs);
  }
  if (!cv.error.empty()) {
    report.opencv_error = cv.error;
    return report;
  }
  Evaluator evaluator(ref);
  const std::vector<Tensor> want = evaluator.run(feeds, outputs);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Tensor got = cv.outputs[i];
    if (listed(layout.outputs_as_nchw, outputs[i]) && got.shape.size() == 4) got = permute_dims(got, {0, 2, 3, 1});
    report.outputs.push_back(compare_output(outputs[i], got, want[i], verify.tolerance));
  }
  return report;
}

}  // namespace

VerifyReport verify_onnx_model(const std::filesystem::path& model, const Graph& reference,
                               const VerifyOptions& verify, const OnnxOptions& layout) {
  const OnnxFileInfo info = read_onnx_info(model);
  VerifyOptions options = verify;
  if (options.outputs.empty()) options.outputs = info.outputs;
  return verify_onnx(model, reference, options, layout, info.external_data);
}

ExportReport write_onnx(PreparedExport& prepared, const ExportOptions& options, const std::filesystem::path& output) {
  ExportReport report = std::move(prepared.report);
  report.format = "onnx";
  report.onnx_opset = options.onnx.opset;
  const std::filesystem::path data_path = output.string() + ".data";
  bool data_written = false;
  try {
    if (options.on_step) options.on_step(fmt::format("converting to ONNX (opset {})", options.onnx.opset));
    OnnxOptions onnx = options.onnx;
    onnx.external_location = data_path.filename().string();
    OnnxModel model = convert_to_onnx(std::move(prepared.model), report.inputs, report.outputs, onnx);
    report.onnx_nodes = model.nodes;
    report.onnx_transposes = model.transposes;
    const bool external = !model.external.empty();
    // OpenCV 4.6 cannot read external data (it dies of SIGFPE): it verifies
    // a copy with the weights read back inline, which must fit protobuf.
    if (external && options.verify && model.bytes.size() + model.external_bytes + (uint64_t{64} << 20) > kOnnxProtobufLimit)
      fail("the weights ({} bytes) go to external data, which OpenCV {} cannot read, and do not fit inline for "
           "verification; pass --no-verify (ONNX Runtime reads it: bench/onnx_large_bench.sh)",
           model.external_bytes, report.opencv_version);
    if (external) {
      // The weights, streamed piece by piece (each freed once written), before
      // the model that names them, so that the checker and OpenCV find them.
      if (options.on_step)
        options.on_step(fmt::format("writing {} weights to external data {}", model.external.size(), data_path.string()));
      write_atomically(data_path, [&](const std::filesystem::path& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        for (std::string& piece : model.external) {
          out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
          std::string().swap(piece);
        }
        out.close();
        if (!out) fail("{}: cannot write the external data", tmp.string());
      });
      data_written = true;
      report.onnx_external_data = data_path.string();
      report.onnx_external_bytes = model.external_bytes;
    } else {
      if (options.on_step) options.on_step("ONNX checker (full check, with shape inference)");
      report.onnx_checker = onnx_check(model.bytes);
      if (!report.onnx_checker.empty()) fail("ONNX's checker refuses the model: {}", report.onnx_checker);
      report.onnx_checker = "passed";
    }
    write_atomically(output, [&](const std::filesystem::path& tmp) {
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(model.bytes.data(), static_cast<std::streamsize>(model.bytes.size()));
        out.close();
        if (!out) fail("{}: cannot write the model", tmp.string());
      }
      report.bytes_after = model.bytes.size() + model.external_bytes;
      model.bytes.clear();
      if (external) {
        if (options.on_step) options.on_step("ONNX checker (full check, with shape inference, external data)");
        report.onnx_checker = onnx_check_file(tmp);
        if (!report.onnx_checker.empty()) fail("ONNX's checker refuses the model: {}", report.onnx_checker);
        report.onnx_checker = "passed";
      }
      if (!options.verify) return;
      if (options.on_step) options.on_step(fmt::format("verifying in OpenCV {} (ONNX importer)", report.opencv_version));
      VerifyOptions vo;
      vo.outputs = report.outputs;
      vo.tolerance = options.tolerance;
      vo.seed = options.seed;
      if (external)
        report.notes.push_back(fmt::format("OpenCV {} cannot read ONNX external data: it verified a copy with the "
                                           "weights read back inline from {}",
                                           report.opencv_version, data_path.filename().string()));
      report.verification = verify_onnx(tmp, prepared.reference, vo, options.onnx, external);
      report.verified = report.verification.ok();
      if (!report.verified)
        fail("{}", !report.verification.opencv_error.empty()
                       ? fmt::format("OpenCV {} cannot run the ONNX model: {}", report.opencv_version,
                                     report.verification.opencv_error)
                       : "OpenCV's outputs differ from the evaluator's on the frozen graph");
    });
  } catch (const Error& e) {
    report.failure = e.what();
    if (data_written) {
      std::error_code ec;
      std::filesystem::remove(data_path, ec);
      report.onnx_external_data.clear();
    }
  }
  return report;
}

}  // namespace tfprod
