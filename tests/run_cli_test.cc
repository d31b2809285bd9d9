// `tfprod run`: the CLI contract scripts rely on, and half_plus_two exactly.
#include <gtest/gtest.h>

#include "eval_test_support.h"
#include "test_support.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/npy.h"
#include "tfprod/tensor_values.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;

TEST(RunCli, HalfPlusTwoIsExact) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  write_npy(dir / "x.npy", test::tensor_f({4, 1}, {1, 2, 5, -3.5f}));
  auto r = test::run(test::tool("tfprod").string() + " run " +
                     (test::corpus_dir() / "tfserving_half_plus_two_tf1/00000123").string() + " --input x=" +
                     (dir / "x.npy").string() + " --output y --output y2:0 --out-dir " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Tensor y = read_npy(dir / "out/y.npy");
  EXPECT_EQ(y.dtype, tfprod::tf::DT_FLOAT);
  EXPECT_EQ(y.shape, (Shape{4, 1}));
  EXPECT_EQ(test::to_doubles(y), (std::vector<double>{2.5, 3.0, 4.5, 0.25}));
  Tensor y2 = read_npy(dir / "out/y2:0.npy");
  EXPECT_EQ(test::to_doubles(y2), (std::vector<double>{3.5, 4.0, 5.5, 1.25}));  // 0.5x + 3
}

TEST(RunCli, OutputNamesWithSlashesAndErrors) {
  TFPROD_REQUIRE_CORPUS();
  fs::path dir = test::scratch_dir();
  write_npy(dir / "in.npy", test::tensor_f({1, 2}, {1, 0}));
  auto r = test::run(test::tool("tfprod").string() + " run " +
                     (test::corpus_dir() / "tflearn_and_gate/frozen_model.pb").string() + " --input input/X=" +
                     (dir / "in.npy").string() + " --output output/Sigmoid --out-dir " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Tensor y = read_npy(dir / "output_Sigmoid.npy");
  EXPECT_EQ(y.shape, (Shape{1, 1}));
  EXPECT_LT(test::to_doubles(y)[0], 0.5) << "1 AND 0 is false";

  r = test::run(test::tool("tfprod").string() + " run " +
                (test::corpus_dir() / "tflearn_and_gate/frozen_model.pb").string() + " --output output/Sigmoid --out-dir " +
                dir.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("node 'input/X' (op Placeholder): placeholder is not fed"), std::string::npos) << r.output;
}

TEST(Npy, RoundTripsAndRefusesGarbage) {
  fs::path dir = test::scratch_dir();
  Tensor t = test::tensor_i({2, 3}, {1, -2, 3, 4, 5, -6}, tfprod::tf::DT_INT64);
  write_npy(dir / "a.npy", t);
  Tensor back = read_npy(dir / "a.npy");
  EXPECT_EQ(back.dtype, tfprod::tf::DT_INT64);
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_TRUE(back.data == t.data);
  write_npy(dir / "s.npy", test::tensor_f({}, {7}));
  EXPECT_EQ(read_npy(dir / "s.npy").shape, Shape{});
  std::string bytes = "not numpy at all";
  std::FILE* f = std::fopen((dir / "bad.npy").c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  EXPECT_THROW(read_npy(dir / "bad.npy"), Error);
}

// The magic, version 1.0 and `header` padded to 64 bytes: a .npy without its data.
std::string npy_head(std::string header) {
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header;
}

// A hand-made .npy: big-endian int32 in Fortran order (column-major).
TEST(Npy, ReadsBigEndianFortranOrder) {
  fs::path dir = test::scratch_dir();
  std::string bytes = npy_head("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }");
  // Column-major storage of [[1, 2, 3], [4, 5, 6]]: 1 4 2 5 3 6.
  for (int v : {1, 4, 2, 5, 3, 6}) {
    const char be[4] = {0, 0, 0, static_cast<char>(v)};
    bytes.append(be, 4);
  }
  write_file_atomically(dir / "f.npy", bytes);
  Tensor t = read_npy(dir / "f.npy");
  EXPECT_EQ(t.dtype, tfprod::tf::DT_INT32);
  EXPECT_EQ(t.shape, (Shape{2, 3}));
  EXPECT_EQ(test::to_doubles(t), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  // A shape that needs more bytes than the file holds is refused.
  write_file_atomically(dir / "short.npy", bytes.substr(0, bytes.size() - 4));
  EXPECT_THROW(read_npy(dir / "short.npy"), Error);
}

// Found by fuzz_npy (2026-12-07): an empty Fortran-order array whose other
// dims multiply past int64. It holds nothing, so it reads as an empty tensor
// of that shape; its strides saturate instead of overflowing (UBSan's report).
TEST(Npy, AnEmptyFortranArrayWithHugeDimsReadsAsEmpty) {
  fs::path dir = test::scratch_dir();
  const std::string bytes =
      npy_head("{'descr': '>i4', 'fortran_order': True, 'shape': (0, 23333, 33, 339332, 23333, 33, 339332), }");
  write_file_atomically(dir / "empty.npy", bytes);
  Tensor t = read_npy(dir / "empty.npy");
  EXPECT_EQ(t.num_elements(), 0);
  EXPECT_EQ(t.shape, (Shape{0, 23333, 33, 339332, 23333, 33, 339332}));
  for (int64_t s : eval::strides_of(t.shape)) EXPECT_GT(s, 0) << "a stride wrapped around";
}

}  // namespace
}  // namespace tfprod
