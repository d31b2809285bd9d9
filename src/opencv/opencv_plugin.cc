// libtfprod_opencv.so: every OpenCV call tfprod makes (see opencv_plugin.h).
// Links opencv_core, opencv_dnn and opencv_imgproc only: no imgcodecs, so
// neither GDAL, GDCM nor HDF5 is ever loaded.
#include "opencv/opencv_plugin.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

namespace tfprod::opencv_plugin {
namespace {

cv::Mat to_mat(const Blob& b) {
  std::vector<int> dims = b.dims;
  if (dims.empty()) dims.push_back(1);
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  std::memcpy(m.data, b.data.data(), b.data.size() * sizeof(float));
  return m;
}

Blob from_mat(const cv::Mat& m) {
  cv::Mat f;
  m.convertTo(f, CV_32F);
  Blob b;
  for (int i = 0; i < f.dims; ++i) b.dims.push_back(f.size[i]);
  cv::Mat c = f.isContinuous() ? f : f.clone();
  b.data.resize(c.total());
  std::memcpy(b.data.data(), c.data, b.data.size() * sizeof(float));
  return b;
}

std::string version() { return CV_VERSION; }

std::string import_error(const std::string& model) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(model);
    if (net.empty()) return "OpenCV imported an empty network";
    return "";
  } catch (const cv::Exception& e) {
    return e.what();
  }
}

std::string run_net(bool onnx, const std::string& model, const std::vector<std::pair<std::string, Blob>>& feeds,
                    const std::vector<Output>& outputs, std::vector<Blob>* results) {
  results->clear();
  try {
    cv::setNumThreads(1);
    cv::dnn::Net net = onnx ? cv::dnn::readNetFromONNX(model) : cv::dnn::readNetFromTensorflow(model);
    if (net.empty()) return "OpenCV imported an empty network";
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    for (const auto& [name, blob] : feeds) net.setInput(to_mat(blob), name);
    std::vector<cv::String> names;
    for (const auto& out : outputs) {
      std::string chosen;
      for (const auto& layer : out.layers)
        if (net.getLayerId(layer) >= 0) {
          chosen = layer;
          break;
        }
      if (chosen.empty()) return "OpenCV's network has no layer for output '" + out.name + "'";
      names.push_back(chosen);
    }
    std::vector<cv::Mat> blobs;
    net.forward(blobs, names);
    for (const auto& b : blobs) results->push_back(from_mat(b));
    return "";
  } catch (const cv::Exception& e) {
    results->clear();
    return e.what();
  }
}

std::string run(const std::string& model, const std::vector<std::pair<std::string, Blob>>& feeds,
                const std::vector<Output>& outputs, std::vector<Blob>* results) {
  return run_net(false, model, feeds, outputs, results);
}

std::string run_onnx(const std::string& model, const std::vector<std::pair<std::string, Blob>>& feeds,
                     const std::vector<Output>& outputs, std::vector<Blob>* results) {
  return run_net(true, model, feeds, outputs, results);
}

void resize_area(const uint8_t* src, int width, int height, int channels, uint8_t* dst, int new_width,
                 int new_height) {
  const cv::Mat in(height, width, CV_8UC(channels), const_cast<uint8_t*>(src));
  cv::Mat out(new_height, new_width, CV_8UC(channels), dst);
  cv::resize(in, out, cv::Size(new_width, new_height), 0, 0, cv::INTER_AREA);
}

const Api kApi = {kApiVersion, &version, &import_error, &run, &run_onnx, &resize_area};

}  // namespace
}  // namespace tfprod::opencv_plugin

extern "C" __attribute__((visibility("default"))) const tfprod::opencv_plugin::Api* tfprod_opencv_plugin_api() {
  return &tfprod::opencv_plugin::kApi;
}
