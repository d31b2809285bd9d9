// JPEG, PNG and PNM decoding for classify (see image_decode.h). The library
// settings mirror OpenCV 4.6's grfmt_jpeg.cpp, grfmt_png.cpp and
// grfmt_pxm.cpp, so a model sees the pixels it saw when imread decoded them.
#include "opencv/image_decode.h"

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>
#include <png.h>

#include "tfprod/error.h"

namespace tfprod {
namespace {

// OpenCV's icvCvt_BGR2Gray_8u_C3C1R: fixed point, 14 bits.
uint8_t rgb_to_gray(uint8_t r, uint8_t g, uint8_t b) {
  constexpr int kR = 4899, kG = 9617, kB = (1 << 14) - kR - kG;
  return static_cast<uint8_t>((r * kR + g * kG + b * kB + (1 << 13)) >> 14);
}

// --- EXIF orientation, applied as imread does (without IMREAD_IGNORE_ORIENTATION).

// The Orientation tag (0x0112) of an APP1 "Exif" payload; 1 when absent.
int exif_orientation(const uint8_t* p, std::size_t n) {
  if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0) return 1;
  p += 6;
  n -= 6;
  const bool little = p[0] == 'I' && p[1] == 'I';
  if (!little && !(p[0] == 'M' && p[1] == 'M')) return 1;
  const auto u16 = [&](std::size_t at) -> uint32_t {
    return little ? p[at] | p[at + 1] << 8 : p[at] << 8 | p[at + 1];
  };
  const auto u32 = [&](std::size_t at) -> uint32_t {
    return little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2);
  };
  const std::size_t ifd = u32(4);
  if (ifd + 2 > n) return 1;
  const std::size_t entries = u16(ifd);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (e + 12 > n) break;
    if (u16(e) == 0x0112 && u16(e + 2) == 3) {  // SHORT
      const uint32_t v = u16(e + 8);
      return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
    }
  }
  return 1;
}

// OpenCV's ApplyExifOrientation: 2 flips left-right, 3 rotates 180, 4 flips
// top-bottom, 5 transposes, 6 rotates 90 clockwise, 7 transverses, 8 rotates
// 90 counter-clockwise.
void apply_orientation(DecodedImage* img, int orientation) {
  if (orientation <= 1) return;
  const int w = img->width, h = img->height, c = img->channels;
  const bool transpose = orientation >= 5;
  const int ow = transpose ? h : w, oh = transpose ? w : h;
  // After the optional transpose: flip x for 2, 3, 6, 7; flip y for 3, 4, 7, 8.
  const bool flip_x = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
  const bool flip_y = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
  std::vector<uint8_t> out(img->pixels.size());
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      const int tx = flip_x ? ow - 1 - x : x, ty = flip_y ? oh - 1 - y : y;  // in the transposed image
      const int sx = transpose ? ty : tx, sy = transpose ? tx : ty;
      std::memcpy(&out[(static_cast<std::size_t>(y) * ow + x) * c],
                  &img->pixels[(static_cast<std::size_t>(sy) * w + sx) * c], static_cast<std::size_t>(c));
    }
  img->pixels = std::move(out);
  img->width = ow;
  img->height = oh;
}

// --- JPEG: libjpeg does the colour conversion (to RGB or to grey).

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Returns "" or libjpeg's message. No C++ object with a destructor lives in
// the frames a longjmp crosses.
std::string jpeg_decode(const std::string& bytes, bool gray, DecodedImage* out, int* orientation) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  uint8_t* volatile cmyk_row = nullptr;  // a CMYK scanline, before conversion
  if (setjmp(err.jump)) {
    std::free(cmyk_row);
    jpeg_destroy_decompress(&cinfo);
    return err.message;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  *orientation = 1;
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1) {
      *orientation = exif_orientation(m->data, m->data_length);
      if (*orientation != 1) break;
    }
  const bool cmyk = cinfo.num_components == 4;
  if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;
    cinfo.out_color_components = 4;
  } else {
    cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.out_color_components = gray ? 1 : 3;
  }
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(cinfo.output_height);
  const int n = cinfo.output_components;
  out->width = w;
  out->height = h;
  out->channels = gray ? 1 : 3;
  out->pixels.assign(static_cast<std::size_t>(w) * h * out->channels, 0);
  if (cmyk) cmyk_row = static_cast<uint8_t*>(std::malloc(static_cast<std::size_t>(w) * n));
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    uint8_t* dst = out->pixels.data() + static_cast<std::size_t>(y) * w * out->channels;
    JSAMPROW line = cmyk ? cmyk_row : dst;
    jpeg_read_scanlines(&cinfo, &line, 1);
    if (cmyk) {
      // OpenCV's icvCvt_CMYK2BGR_8u_C4C3R (Adobe's inverted CMYK), then grey.
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = cmyk_row + static_cast<std::size_t>(x) * 4;
        const int k = p[3];
        const auto chan = [k](int v) { return static_cast<uint8_t>(k - ((255 - v) * k >> 8)); };
        const uint8_t r = chan(p[0]), g = chan(p[1]), b = chan(p[2]);
        if (gray) {
          dst[x] = rgb_to_gray(r, g, b);
        } else {
          dst[3 * x] = r;
          dst[3 * x + 1] = g;
          dst[3 * x + 2] = b;
        }
      }
    }
  }
  std::free(cmyk_row);
  cmyk_row = nullptr;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return "";
}

// --- PNG: libpng's transforms, as OpenCV sets them up for 8-bit output.

struct PngSource {
  const std::string* bytes;
  std::size_t pos;
};

void png_read_memory(png_structp png, png_bytep data, png_size_t length) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (src->pos + length > src->bytes->size()) png_error(png, "truncated file");
  std::memcpy(data, src->bytes->data() + src->pos, length);
  src->pos += length;
}

// libpng's errors end in a longjmp back to png_decode, with the message kept
// (instead of printed); warnings are dropped.
void png_error_fn(png_structp png, png_const_charp message) {
  auto* text = static_cast<char*>(png_get_error_ptr(png));
  std::snprintf(text, 256, "%s", message);
  png_longjmp(png, 1);
}
void png_warning_fn(png_structp, png_const_charp) {}

std::string png_decode(const std::string& bytes, bool gray, DecodedImage* out) {
  char message[256] = "damaged PNG";
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, message, png_error_fn, png_warning_fn);
  if (!png) return "libpng cannot start";
  png_infop info = png_create_info_struct(png);
  PngSource src{&bytes, 0};
  std::vector<png_bytep>* volatile rows = nullptr;
  if (!info || setjmp(png_jmpbuf(png))) {
    delete rows;
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return message;
  }
  png_set_read_fn(png, &src, png_read_memory);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth > 8) png_set_strip_16(png);
  png_set_strip_alpha(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (!gray && (color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  if (gray) png_set_rgb_to_gray(png, 1, 0.299, 0.587);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = static_cast<int>(png_get_image_width(png, info));
  out->height = static_cast<int>(png_get_image_height(png, info));
  out->channels = gray ? 1 : 3;
  if (png_get_channels(png, info) != out->channels) png_error(png, "unexpected channel count");
  out->pixels.assign(static_cast<std::size_t>(out->width) * out->height * out->channels, 0);
  rows = new std::vector<png_bytep>(static_cast<std::size_t>(out->height));
  for (int y = 0; y < out->height; ++y)
    (*rows)[static_cast<std::size_t>(y)] = out->pixels.data() + static_cast<std::size_t>(y) * out->width * out->channels;
  png_read_image(png, rows->data());
  png_read_end(png, nullptr);
  delete rows;
  png_destroy_read_struct(&png, &info, nullptr);
  return "";
}

// --- PNM: P2/P3 (ASCII) and P5/P6 (binary), maxval up to 65535 (16-bit
// samples keep their high byte, as a conversion to 8 bits does).

class PnmReader {
 public:
  PnmReader(const std::string& bytes, const std::string& what) : b_(bytes), what_(what) {}

  DecodedImage read(bool gray) {
    const char kind = b_[1];
    pos_ = 2;
    const bool color = kind == '3' || kind == '6', binary = kind == '5' || kind == '6';
    DecodedImage img;
    img.width = static_cast<int>(number(1, 1 << 16));
    img.height = static_cast<int>(number(1, 1 << 16));
    const int64_t maxval = number(1, 65535);
    if (binary) {
      if (pos_ >= b_.size()) fail("{}: truncated PNM header", what_);
      ++pos_;  // the single whitespace byte after maxval
    }
    const int in_ch = color ? 3 : 1;
    const std::size_t samples = static_cast<std::size_t>(img.width) * img.height * in_ch;
    std::vector<uint8_t> raw(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      int64_t v;
      if (!binary) {
        v = std::min(number(0, 1 << 30), maxval);
      } else if (maxval < 256) {
        if (pos_ >= b_.size()) fail("{}: truncated PNM data", what_);
        v = static_cast<uint8_t>(b_[pos_++]);
      } else {
        if (pos_ + 1 >= b_.size()) fail("{}: truncated PNM data", what_);
        v = static_cast<uint8_t>(b_[pos_]) << 8 | static_cast<uint8_t>(b_[pos_ + 1]);
        pos_ += 2;
      }
      raw[i] = static_cast<uint8_t>(maxval < 256 ? v : v >> 8);
    }
    img.channels = gray ? 1 : 3;
    const std::size_t pixels = static_cast<std::size_t>(img.width) * img.height;
    img.pixels.resize(pixels * img.channels);
    for (std::size_t p = 0; p < pixels; ++p) {
      if (in_ch == img.channels) {
        for (int c = 0; c < in_ch; ++c) img.pixels[p * in_ch + c] = raw[p * in_ch + c];
      } else if (gray) {
        img.pixels[p] = rgb_to_gray(raw[3 * p], raw[3 * p + 1], raw[3 * p + 2]);
      } else {
        img.pixels[3 * p] = img.pixels[3 * p + 1] = img.pixels[3 * p + 2] = raw[p];
      }
    }
    return img;
  }

 private:
  // A decimal in [lo, hi] after whitespace and # comments.
  int64_t number(int64_t lo, int64_t hi) {
    while (pos_ < b_.size()) {
      if (b_[pos_] == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(b_[pos_]))) {
        ++pos_;
      } else {
        break;
      }
    }
    int64_t v = 0;
    std::size_t digits = 0;
    while (pos_ < b_.size() && std::isdigit(static_cast<unsigned char>(b_[pos_])) && digits < 10) {
      v = v * 10 + (b_[pos_++] - '0');
      ++digits;
    }
    if (digits == 0 || v < lo || v > hi) fail("{}: bad PNM header or data at byte {}", what_, pos_);
    return v;
  }

  const std::string& b_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

}  // namespace

DecodedImage decode_image(const std::string& bytes, bool gray, const std::string& what) {
  const auto starts = [&](const char* magic, std::size_t n) { return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0; };
  DecodedImage img;
  if (starts("\xFF\xD8\xFF", 3)) {
    int orientation = 1;
    const std::string error = jpeg_decode(bytes, gray, &img, &orientation);
    if (!error.empty()) fail("{}: cannot decode the JPEG: {}", what, error);
    apply_orientation(&img, orientation);
  } else if (starts("\x89PNG\r\n\x1a\n", 8)) {
    const std::string error = png_decode(bytes, gray, &img);
    if (!error.empty()) fail("{}: cannot decode the PNG: {}", what, error);
  } else if (bytes.size() >= 3 && bytes[0] == 'P' && std::strchr("2356", bytes[1]) && bytes[1] != '\0' &&
             std::isspace(static_cast<unsigned char>(bytes[2]))) {
    img = PnmReader(bytes, what).read(gray);
  } else {
    fail("{}: not an image tfprod decodes (JPEG, PNG, binary or ASCII PGM/PPM)", what);
  }
  return img;
}

}  // namespace tfprod
