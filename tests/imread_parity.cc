// tfprod decodes classify's images without OpenCV's imgcodecs (image_decode.h);
// these tests hold it to cv::imread pixel for pixel. A separate executable:
// it links imgcodecs, which no tfprod binary may (GDAL, GDCM, HDF5).
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <random>

#include "opencv/image_decode.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/opencv_runner.h"
#include "tfprod/tensor_values.h"

namespace fs = std::filesystem;

namespace tfprod {
namespace {

// imread's pixels as DecodedImage lays them out (RGB).
DecodedImage imread_rgb(const fs::path& file, bool gray) {
  cv::Mat m = cv::imread(file.string(), gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty()) << file;
  if (!gray) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  DecodedImage img;
  img.width = m.cols;
  img.height = m.rows;
  img.channels = m.channels();
  cv::Mat c = m.isContinuous() ? m : m.clone();
  img.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return img;
}

void expect_same_as_imread(const fs::path& file) {
  for (bool gray : {true, false}) {
    SCOPED_TRACE(file.string() + (gray ? " grey" : " colour"));
    const DecodedImage want = imread_rgb(file, gray);
    const DecodedImage got = decode_image(read_file(file), gray, file.string());
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    ASSERT_EQ(got.channels, want.channels);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < want.pixels.size(); ++i) differ += got.pixels[i] != want.pixels[i];
    EXPECT_EQ(differ, 0u) << "of " << want.pixels.size() << " samples";
  }
}

// A colourful 37x23 test picture (odd sizes catch row-stride mistakes).
cv::Mat picture(int type) {
  cv::Mat m(23, 37, type);
  std::mt19937 rng(7);
  cv::randu(m, 0, type == CV_16UC3 || type == CV_16UC1 ? 65535 : 255);
  cv::GaussianBlur(m, m, cv::Size(5, 5), 0);  // JPEG-friendly content
  return m;
}

fs::path write(const std::string& name, const cv::Mat& m, const std::vector<int>& params = {}) {
  const fs::path p = test::scratch_dir() / name;
  EXPECT_TRUE(cv::imwrite(p.string(), m, params)) << p;
  return p;
}

TEST(ImreadParity, CorpusImages) {
  TFPROD_REQUIRE_CORPUS();
  expect_same_as_imread(test::corpus_dir() / "anpr_estimator" / "5.jpg");
  expect_same_as_imread(test::corpus_dir() / "frozen_bn_cond_captcha" / "test.png");
}

TEST(ImreadParity, JpegColourGreyAndProgressive) {
  expect_same_as_imread(write("c.jpg", picture(CV_8UC3)));
  expect_same_as_imread(write("g.jpg", picture(CV_8UC1)));
  expect_same_as_imread(write("p.jpg", picture(CV_8UC3), {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
}

TEST(ImreadParity, PngDepthsAndAlpha) {
  expect_same_as_imread(write("c.png", picture(CV_8UC3)));
  expect_same_as_imread(write("g.png", picture(CV_8UC1)));
  expect_same_as_imread(write("a.png", picture(CV_8UC4)));
  expect_same_as_imread(write("c16.png", picture(CV_16UC3)));
  expect_same_as_imread(write("g16.png", picture(CV_16UC1)));
}

TEST(ImreadParity, BinaryPnm) {
  expect_same_as_imread(write("c.ppm", picture(CV_8UC3)));
  expect_same_as_imread(write("g.pgm", picture(CV_8UC1)));
}

TEST(ImreadParity, AsciiPnm) {
  expect_same_as_imread(write("c_ascii.ppm", picture(CV_8UC3), {cv::IMWRITE_PXM_BINARY, 0}));
  expect_same_as_imread(write("g_ascii.pgm", picture(CV_8UC1), {cv::IMWRITE_PXM_BINARY, 0}));
}

// A JPEG with an EXIF Orientation tag: imread turns the picture upright.
TEST(ImreadParity, JpegExifOrientation) {
  std::vector<uchar> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", picture(CV_8UC3), jpeg));
  for (uint8_t orientation = 1; orientation <= 8; ++orientation) {
    // APP1: "Exif\0\0", little-endian TIFF header, IFD0 with one SHORT entry.
    const uint8_t tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0,
                            0, 0, 0, 0};
    std::string app1 = std::string("Exif\0\0", 6) + std::string(reinterpret_cast<const char*>(tiff), sizeof tiff);
    const std::size_t len = app1.size() + 2;
    std::string bytes(reinterpret_cast<const char*>(jpeg.data()), 2);  // SOI
    bytes += "\xFF\xE1";
    bytes += static_cast<char>(len >> 8);
    bytes += static_cast<char>(len & 0xff);
    bytes += app1;
    bytes.append(reinterpret_cast<const char*>(jpeg.data()) + 2, jpeg.size() - 2);
    const fs::path p = test::scratch_dir() / ("exif" + std::to_string(orientation) + ".jpg");
    write_file_atomically(p, bytes);
    expect_same_as_imread(p);
  }
}

TEST(ImreadParity, UnknownFormatIsRefusedNamingTheFormatsRead) {
  const fs::path p = write("c.bmp", picture(CV_8UC3));
  try {
    decode_image(read_file(p), false, p.string());
    FAIL() << "a BMP was decoded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("JPEG, PNG"), std::string::npos) << e.what();
  }
}

TEST(ImreadParity, TruncatedFilesAreErrorsNotCrashes) {
  std::vector<uchar> jpeg, png;
  ASSERT_TRUE(cv::imencode(".jpg", picture(CV_8UC3), jpeg));
  ASSERT_TRUE(cv::imencode(".png", picture(CV_8UC3), png));
  try {
    decode_image(std::string(reinterpret_cast<const char*>(png.data()), png.size() / 2), false, "half.png");
    FAIL() << "half a PNG was decoded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("half.png: cannot decode the PNG: truncated file"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(decode_image("P6\n37 23\n255\n" + std::string(10, 'x'), false, "ppm"), Error);
  EXPECT_THROW(decode_image(std::string(reinterpret_cast<const char*>(jpeg.data()), 20), false, "jpg"), Error);
}

// load_image = decode + the plugin's INTER_AREA resize: equal to imread + cv::resize.
TEST(ImreadParity, LoadImageResizesAsOpenCvDoes) {
  const fs::path p = write("r.png", picture(CV_8UC3));
  cv::Mat m = cv::imread(p.string(), cv::IMREAD_COLOR);
  cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  cv::resize(m, m, cv::Size(16, 9), 0, 0, cv::INTER_AREA);
  const Tensor t = load_image(p, false, 16, 9);
  ASSERT_EQ(t.shape, (Shape{1, 9, 16, 3}));
  auto v = eval::values<float>(t);
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], static_cast<float>(m.data[i])) << i;
}

}  // namespace
}  // namespace tfprod
