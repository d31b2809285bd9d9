// `tfprod export`: from what training left behind to a verified production
// model in one step: open the source, choose inputs and outputs (given, from
// the signature, or guessed with reasons), freeze, cut at the inputs, remove
// what only training needs, fold, make the graph OpenCV-ready, then prove it:
// OpenCV DNN loads the model and its outputs equal the evaluator's on the
// frozen graph (in inference mode) on the same random inputs. Only a model
// that passed is written (atomically).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfprod/graph.h"
#include "tfprod/model_source.h"
#include "tfprod/onnx.h"
#include "tfprod/tensor.h"
#include "tfprod/verify.h"

namespace tfprod {

// --input NAME[:DTYPE][:SHAPE]: "IteratorGetNext:float:1,20,20,1",
// "Placeholder:float:1,128", "left", "X::1,784" (shape only),
// "queue:1:float:1,784" (a port). Throws Error on a bad dtype or shape.
struct InputSpec {
  std::string name;  // tensor: "node" or "node:port"
  std::optional<DataType> dtype;
  std::optional<Shape> shape;
  static InputSpec parse(std::string_view text);
};

// What `export` writes: a TF GraphDef for OpenCV's TF importer, or ONNX.
enum class ModelFormat { kGraphDef, kOnnx };

// The format for `output`: `given` when set, else from the extension (.pb and
// .pbtxt -> GraphDef, .onnx -> ONNX). Throws Error for any other extension.
ModelFormat model_format_for(const std::filesystem::path& output, std::optional<ModelFormat> given = std::nullopt);
// "pb" / "graphdef" -> kGraphDef, "onnx" -> kOnnx; throws Error otherwise.
ModelFormat parse_model_format(std::string_view text);

constexpr double kFloatTolerance = 1e-4;
// Half keeps 11 significant bits (a relative step of 9.8e-4 per rounding):
// the evaluator rounds each half op's output, OpenCV computes in float.
constexpr double kHalfTolerance = 1e-2;

struct ExportOptions {
  std::filesystem::path source;  // training dir, graph, .meta, prefix, SavedModel, frozen graph
  SourceOptions source_options;
  std::vector<InputSpec> inputs;     // empty: signature, else guessed
  std::vector<std::string> outputs;  // empty: signature, else guessed
  // Verification: max |diff| / max(1, max |reference|). 0: from the weights'
  // dtype (kFloatTolerance, or kHalfTolerance when the frozen graph holds half).
  double tolerance = 0;
  uint64_t seed = 1;
  bool verify = true;
  // Empty: export_model takes it from the output's extension; prepare_export
  // prepares for a GraphDef unless it is kOnnx.
  std::optional<ModelFormat> format;
  OnnxOptions onnx;  // ONNX only
  // Told about each step as it starts, and after each variable frozen, the
  // checkpoint bytes frozen so far and in all.
  std::function<void(const std::string&)> on_step;
  std::function<void(uint64_t done, uint64_t total)> on_freeze_progress;
};

// A pass of the export and what it did.
struct ExportStep {
  std::string name;
  std::string why;  // what the step is for
  std::size_t nodes_before = 0, nodes_after = 0;
  std::vector<std::string> removed;  // node names
  std::string message;               // a skipped step's reason
  double seconds = 0;
};

struct ExportReport {
  std::string source_kind;
  std::vector<std::string> inputs, outputs;  // the model's (after the cut)
  std::vector<std::string> choices;          // how inputs and outputs were chosen
  std::vector<std::string> notes;
  std::size_t nodes_before = 0, nodes_after = 0;
  uint64_t bytes_before = 0, bytes_after = 0;  // graph (serialized) + checkpoint weights
  std::size_t variables_frozen = 0;
  std::vector<ExportStep> steps;
  std::vector<std::string> removed_training;  // "dropout: 9 nodes (dropout/...)" lines
  std::vector<std::string> opencv_blockers;   // pre-flight issues left, if any
  bool verified = false;
  double tolerance = 0;         // the one verification used
  std::string tolerance_why;    // "float weights", "half weights", "--tolerance"
  std::string failure;  // why no model was written; empty on success
  VerifyReport verification;
  std::string opencv_version;
  double seconds = 0;
  // ONNX exports only (format "onnx"): what was written, and ONNX's checker.
  std::string format = "graphdef";
  int onnx_opset = 0;
  std::size_t onnx_nodes = 0, onnx_transposes = 0;
  std::string onnx_checker;  // "passed", or the checker's message
  std::string onnx_external_data;  // the external data file written beside the model, if any
  uint64_t onnx_external_bytes = 0;

  std::string text() const;  // the short report printed to the user
  std::string json() const;  // --report
};

// The model and the reference it is proven against, before verification.
struct PreparedExport {
  Graph reference;  // frozen, cut at the inputs (same dtypes and shapes)
  Graph model;      // after cleanup and the OpenCV passes
  ExportReport report;
};

// Everything but verification and writing. Throws Error naming the path and
// the node: no checkpoint for a graph with variables, an ambiguous guess
// ("two candidate outputs: A, B; pass --output"), an input that is not in
// the graph or whose shape does not fit the declared one.
PreparedExport prepare_export(const ExportOptions& options);

// prepare_export, then verification; writes `output` (atomically) only when
// the model verified (or verification is off). A model that fails
// verification is not written and report.failure says why; problems with
// the inputs throw Error as prepare_export does.
ExportReport export_model(const ExportOptions& options, const std::filesystem::path& output);

// An ONNX model in OpenCV's ONNX importer against the evaluator on
// `reference` (a TF graph, put in inference mode) on the same inputs: random
// ones for the reference's placeholders unless verify.feeds are given (in
// TF's layout; `layout` says which of the model's inputs and outputs are
// NCHW). Outputs: verify.outputs, else the model's (TF names).
VerifyReport verify_onnx_model(const std::filesystem::path& model, const Graph& reference, const VerifyOptions& verify,
                               const OnnxOptions& layout = {});

}  // namespace tfprod
