#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/crc32c.h"

namespace tfprod {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c::value("123456789", 9), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::value(zeros.data(), zeros.size()), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::value(ones.data(), ones.size()), 0x62a8ab43u);
  EXPECT_EQ(crc32c::extend_portable(0, "123456789", 9), 0xe3069283u);
}

TEST(Crc32c, FastPathMatchesPortableAtEveryLengthAndSplit) {
  std::mt19937 rng(7);
  std::string data(200000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (std::size_t len : {0ul, 1ul, 7ul, 8ul, 4095ul, 12288ul, 12289ul, 50000ul, 199999ul}) {
    for (std::size_t offset : {0ul, 1ul, 3ul}) {
      const char* p = data.data() + offset;
      uint32_t expected = crc32c::extend_portable(0, p, len);
      EXPECT_EQ(crc32c::value(p, len), expected) << len << "+" << offset;
      std::size_t cut = len / 3;
      EXPECT_EQ(crc32c::extend(crc32c::value(p, cut), p + cut, len - cut), expected) << "split " << len;
    }
  }
}

TEST(Crc32c, MaskRoundTrips) {
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu}) EXPECT_EQ(crc32c::unmask(crc32c::mask(v)), v);
  EXPECT_NE(crc32c::mask(0xe3069283u), 0xe3069283u);
}

}  // namespace
}  // namespace tfprod
