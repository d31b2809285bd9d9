#include "tfprod/opencv_runner.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

#include "eval/tensor_util.h"
#include "tfprod/error.h"
#include "tfprod/tensor_name.h"

namespace tfprod {

namespace {

// NHWC <-> NCHW on float tensors.
Tensor permute4(const Tensor& t, const std::array<int, 4>& perm) {
  Shape out_shape(4);
  for (int i = 0; i < 4; ++i) out_shape[static_cast<std::size_t>(i)] = t.shape[static_cast<std::size_t>(perm[i])];
  Tensor out = eval::make_tensor(t.dtype, out_shape);
  const Shape stride = eval::strides_of(t.shape);
  auto src = eval::values<float>(t);
  auto dst = eval::values<float>(out);
  std::size_t i = 0;
  for (int64_t a = 0; a < out_shape[0]; ++a)
    for (int64_t b = 0; b < out_shape[1]; ++b)
      for (int64_t c = 0; c < out_shape[2]; ++c)
        for (int64_t d = 0; d < out_shape[3]; ++d) {
          const int64_t idx[4] = {a, b, c, d};
          int64_t s = 0;
          for (int k = 0; k < 4; ++k) s += idx[k] * stride[static_cast<std::size_t>(perm[k])];
          dst[i++] = src[static_cast<std::size_t>(s)];
        }
  return out;
}

cv::Mat to_blob(const Tensor& t) {
  std::vector<int> dims;
  for (int64_t d : t.shape) dims.push_back(static_cast<int>(d));
  if (dims.empty()) dims.push_back(1);
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  std::memcpy(m.data, t.data.data(), t.data.size());
  return m;
}

Tensor from_blob(const cv::Mat& m) {
  cv::Mat f;
  m.convertTo(f, CV_32F);
  Shape shape;
  for (int i = 0; i < f.dims; ++i) shape.push_back(f.size[i]);
  Tensor t = eval::make_tensor(tensorflow::DT_FLOAT, shape);
  cv::Mat c = f.isContinuous() ? f : f.clone();
  std::memcpy(t.data.data(), c.data, t.data.size());
  return t;
}

}  // namespace

std::string opencv_version() { return CV_VERSION; }

Tensor load_image(const std::filesystem::path& path, bool gray, int width, int height) {
  cv::Mat img = cv::imread(path.string(), gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (img.empty()) fail("{}: cannot read the image (missing, or not a format OpenCV decodes)", path.string());
  if (!gray) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  if (width > 0 && height > 0) cv::resize(img, img, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  cv::Mat f;
  img.convertTo(f, CV_32F);
  Tensor t = eval::make_tensor(tensorflow::DT_FLOAT, {1, f.rows, f.cols, f.channels()});
  cv::Mat c = f.isContinuous() ? f : f.clone();
  std::memcpy(t.data.data(), c.data, t.data.size());
  return t;
}

std::string opencv_import_error(const std::filesystem::path& model) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(model.string());
    if (net.empty()) return "OpenCV imported an empty network";
    return "";
  } catch (const cv::Exception& e) {
    return e.what();
  }
}

OpenCvRun run_in_opencv(const std::filesystem::path& model, const std::vector<std::pair<std::string, Tensor>>& feeds,
                        const std::vector<std::vector<std::string>>& outputs, bool nhwc) {
  OpenCvRun run;
  try {
    cv::setNumThreads(1);
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(model.string());
    if (net.empty()) {
      run.error = "OpenCV imported an empty network";
      return run;
    }
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    for (const auto& [name, value] : feeds) {
      Tensor f = eval::cast(value, tensorflow::DT_FLOAT);
      if (nhwc && f.shape.size() == 4) f = permute4(f, {0, 3, 1, 2});
      net.setInput(to_blob(f), std::string(node_of(name)));
    }
    std::vector<cv::String> names;
    for (const auto& candidates : outputs) {
      std::string chosen;
      for (const auto& c : candidates)
        if (net.getLayerId(std::string(node_of(c))) >= 0) {
          chosen = std::string(node_of(c));
          break;
        }
      if (chosen.empty()) {
        run.error = fmt::format("OpenCV's network has no layer for output '{}'", candidates.front());
        return run;
      }
      names.push_back(chosen);
    }
    std::vector<cv::Mat> blobs;
    net.forward(blobs, names);
    for (const auto& b : blobs) {
      Tensor t = from_blob(b);
      if (nhwc && t.shape.size() == 4) t = permute4(t, {0, 2, 3, 1});
      run.outputs.push_back(std::move(t));
    }
  } catch (const cv::Exception& e) {
    run.error = e.what();
    run.outputs.clear();
  }
  return run;
}

}  // namespace tfprod
