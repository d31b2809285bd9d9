// tfprod's side of OpenCV: tensors in TF's layout are converted to OpenCV's
// float blobs here, and the OpenCV calls themselves are made by the plugin
// (opencv_plugin.h), loaded on first use so that no other command pays for
// OpenCV at start-up.
#include "tfprod/opencv_runner.h"

#include <array>
#include <cstring>

#include "opencv/image_decode.h"
#include "opencv/plugin_loader.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/tensor_name.h"
#include "tfprod/tensor_values.h"

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

opencv_plugin::Blob to_blob(const Tensor& t) {
  opencv_plugin::Blob b;
  for (int64_t d : t.shape) b.dims.push_back(static_cast<int>(d));
  auto v = eval::values<float>(t);
  b.data.assign(v.begin(), v.end());
  return b;
}

Tensor from_blob(const opencv_plugin::Blob& b) {
  Shape shape(b.dims.begin(), b.dims.end());
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, shape);
  if (t.data.size() != b.data.size() * sizeof(float)) fail("OpenCV returned a blob whose size disagrees with its shape");
  std::memcpy(t.data.data(), b.data.data(), t.data.size());
  return t;
}

}  // namespace

std::string opencv_version() { return opencv_plugin::api().opencv_version(); }

Tensor load_image(const std::filesystem::path& path, bool gray, int width, int height) {
  const DecodedImage img = decode_image(read_file(path, uint64_t{1} << 30), gray, path.string());
  const uint8_t* pixels = img.pixels.data();
  int w = img.width, h = img.height;
  std::vector<uint8_t> resized;
  if (width > 0 && height > 0) {
    resized.resize(static_cast<std::size_t>(width) * height * img.channels);
    opencv_plugin::api().resize_area(img.pixels.data(), img.width, img.height, img.channels, resized.data(), width,
                                     height);
    pixels = resized.data();
    w = width;
    h = height;
  }
  Tensor t = eval::make_tensor(tfprod::tf::DT_FLOAT, {1, h, w, img.channels});
  auto dst = eval::values<float>(t);
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(pixels[i]);
  return t;
}

std::string opencv_import_error(const std::filesystem::path& model) {
  return opencv_plugin::api().import_error(model.string());
}

OpenCvRun run_in_opencv(const std::filesystem::path& model, const std::vector<std::pair<std::string, Tensor>>& feeds,
                        const std::vector<std::vector<std::string>>& outputs, bool nhwc) {
  const opencv_plugin::Api& cv = opencv_plugin::api();
  std::vector<std::pair<std::string, opencv_plugin::Blob>> blobs;
  for (const auto& [name, value] : feeds) {
    Tensor f = eval::cast(value, tfprod::tf::DT_FLOAT);
    if (nhwc && f.shape.size() == 4) f = permute4(f, {0, 3, 1, 2});
    blobs.emplace_back(std::string(node_of(name)), to_blob(f));
  }
  std::vector<opencv_plugin::Output> wanted;
  for (const auto& candidates : outputs) {
    opencv_plugin::Output o;
    o.name = candidates.empty() ? "" : candidates.front();
    for (const auto& c : candidates) o.layers.emplace_back(node_of(c));
    wanted.push_back(std::move(o));
  }
  OpenCvRun run;
  std::vector<opencv_plugin::Blob> results;
  run.error = cv.run(model.string(), blobs, wanted, &results);
  if (!run.error.empty()) return run;
  for (const auto& b : results) {
    Tensor t = from_blob(b);
    if (nhwc && t.shape.size() == 4) t = permute4(t, {0, 2, 3, 1});
    run.outputs.push_back(std::move(t));
  }
  return run;
}

OpenCvRun run_onnx_in_opencv(const std::filesystem::path& model,
                             const std::vector<std::pair<std::string, Tensor>>& feeds,
                             const std::vector<std::string>& outputs) {
  std::vector<std::pair<std::string, opencv_plugin::Blob>> blobs;
  for (const auto& [name, value] : feeds) blobs.emplace_back(name, to_blob(eval::cast(value, tfprod::tf::DT_FLOAT)));
  std::vector<opencv_plugin::Output> wanted;
  for (const auto& o : outputs) wanted.push_back({o, {o}});
  OpenCvRun run;
  std::vector<opencv_plugin::Blob> results;
  run.error = opencv_plugin::api().run_onnx(model.string(), blobs, wanted, &results);
  if (!run.error.empty()) return run;
  for (const auto& b : results) run.outputs.push_back(from_blob(b));
  return run;
}

}  // namespace tfprod
