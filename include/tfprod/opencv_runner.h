// Running a frozen GraphDef in OpenCV's DNN module (cv::dnn::readNetFromTensorflow),
// with tensors in TensorFlow's layout on both sides: OpenCV takes and gives
// 4-D blobs as NCHW, so for an NHWC graph 4-D inputs are transposed to NCHW
// and 4-D outputs back.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tfprod/tensor.h"

namespace tfprod {

struct OpenCvRun {
  std::vector<Tensor> outputs;  // in TF's layout
  std::string error;            // OpenCV's message when import or forward failed
};

// `nhwc`: whether the graph's 4-D tensors are NHWC (TF's default).
// Never throws for OpenCV failures: they come back in `error`.
// OpenCV splices out or fuses some nodes (Identity; a BiasAdd into its
// MatMul or Conv2D), so each output comes with candidate layer names, tried
// in order: the first layer OpenCV has is read.
OpenCvRun run_in_opencv(const std::filesystem::path& model,
                        const std::vector<std::pair<std::string, Tensor>>& feeds,
                        const std::vector<std::vector<std::string>>& outputs, bool nhwc);

// An ONNX model in OpenCV (cv::dnn::readNetFromONNX): feeds by ONNX input
// name and outputs by ONNX output name, tensors in the model's own layout.
OpenCvRun run_onnx_in_opencv(const std::filesystem::path& model,
                             const std::vector<std::pair<std::string, Tensor>>& feeds,
                             const std::vector<std::string>& outputs);

// Whether OpenCV imports the file at all (and its message if not).
std::string opencv_import_error(const std::filesystem::path& model);

std::string opencv_version();

// An image as a float NHWC batch of one, [1, height, width, channels], pixel
// values 0..255 (channels RGB, or 1 when `gray`), resized when width and
// height are positive. Throws Error naming the file.
Tensor load_image(const std::filesystem::path& path, bool gray, int width, int height);

}  // namespace tfprod
