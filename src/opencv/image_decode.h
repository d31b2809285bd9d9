// Decoding the images `tfprod classify` reads, without OpenCV's imgcodecs
// (which loads GDAL, GDCM and HDF5): JPEG through libjpeg-turbo, PNG through
// libpng, binary and ASCII PGM/PPM by hand. Pixels come out as cv::imread
// gives them for IMREAD_COLOR / IMREAD_GRAYSCALE (8 bits, alpha dropped, the
// same library conversions to grey), but in RGB order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tfprod {

struct DecodedImage {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;  // rows top to bottom, channels interleaved
};

// `bytes` is a whole file; `what` names it in errors. Throws Error for an
// unknown format (naming the ones supported) or a damaged file.
DecodedImage decode_image(const std::string& bytes, bool gray, const std::string& what);

}  // namespace tfprod
