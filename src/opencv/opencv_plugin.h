// The boundary between tfprod and its OpenCV plugin (libtfprod_opencv.so).
//
// OpenCV is needed only by verify, export's verification, classify and
// inspect's verdict, yet linking it costs every command ~20 shared libraries
// and tens of milliseconds at start-up. So OpenCV lives in a plugin that
// opencv_runner.cc loads with dlopen on first use. The plugin holds only
// OpenCV calls: tensors cross as float blobs in OpenCV's layout, names as
// OpenCV layer names, so it needs no tfprod code. Both sides are built by the
// same project with the same compiler, so C++ types may cross; kApiVersion
// guards against a stale plugin next to a newer binary.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tfprod::opencv_plugin {

inline constexpr int kApiVersion = 2;

// A dense float32 blob; `dims` empty means a scalar.
struct Blob {
  std::vector<int> dims;
  std::vector<float> data;
};

// An output to read: candidate layer names, tried in order (OpenCV splices
// out or fuses some nodes); `name` is how errors call it.
struct Output {
  std::string name;
  std::vector<std::string> layers;
};

struct Api {
  int version;  // kApiVersion
  // CV_VERSION of the OpenCV the plugin was built with.
  std::string (*opencv_version)();
  // "" when cv::dnn::readNetFromTensorflow imports `model`, else OpenCV's message.
  std::string (*import_error)(const std::string& model);
  // Imports `model`, sets each feed (by layer name), forwards to each output.
  // Returns "" and fills `results`, or OpenCV's message. Never throws.
  std::string (*run)(const std::string& model, const std::vector<std::pair<std::string, Blob>>& feeds,
                     const std::vector<Output>& outputs, std::vector<Blob>* results);
  // As `run`, for an ONNX model (cv::dnn::readNetFromONNX); blobs in the model's own layout.
  std::string (*run_onnx)(const std::string& model, const std::vector<std::pair<std::string, Blob>>& feeds,
                          const std::vector<Output>& outputs, std::vector<Blob>* results);
  // cv::resize with INTER_AREA of 8-bit pixels, `channels` interleaved.
  void (*resize_area)(const uint8_t* src, int width, int height, int channels, uint8_t* dst, int new_width,
                      int new_height);
};

}  // namespace tfprod::opencv_plugin

// The plugin's one exported symbol.
extern "C" const tfprod::opencv_plugin::Api* tfprod_opencv_plugin_api();
