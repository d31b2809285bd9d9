// opencv_load_peak [--tfprod-allocator] MODEL.pb INPUT_SHAPE (e.g. 1,8192)
//
// OpenCV 4.6 alone: readNetFromTensorflow(MODEL) and one forward pass on
// zeros of INPUT_SHAPE (NCHW as OpenCV takes it). bench/pipeline_bench.sh
// measures its peak RSS: the memory floor of any in-process verification
// with OpenCV's TF importer, which holds the parsed GraphDef and its own
// copy of the weights at once. --tfprod-allocator first makes the
// allocator changes tfprod's executables make (tfprod/allocator.h), so that
// the floor is measured as verification inside tfprod meets it.
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "tfprod/allocator.h"

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--tfprod-allocator") {
    tfprod::tune_allocator();
    ++argv;
    --argc;
  }
  if (argc != 3) {
    std::fprintf(stderr, "usage: opencv_load_peak [--tfprod-allocator] MODEL.pb INPUT_SHAPE\n");
    return 2;
  }
  std::vector<int> shape;
  std::string dims = argv[2];
  for (std::size_t pos = 0; pos <= dims.size();) {
    std::size_t comma = dims.find(',', pos);
    if (comma == std::string::npos) comma = dims.size();
    shape.push_back(std::stoi(dims.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  try {
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(argv[1]);
    cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F, cv::Scalar(0));
    net.setInput(input);
    cv::Mat out = net.forward();
    std::printf("%d outputs\n", static_cast<int>(out.total()));
  } catch (const cv::Exception& e) {
    std::fprintf(stderr, "opencv_load_peak: %s\n", e.what());
    return 1;
  }
  return 0;
}
