#include <gtest/gtest.h>

#include "tfprod/dtype.h"

namespace tfprod {
namespace {

TEST(DType, ParsesTfSpellings) {
  EXPECT_EQ(parse_dtype("half"), tfprod::tf::DT_HALF);
  EXPECT_EQ(parse_dtype("float16"), tfprod::tf::DT_HALF);
  EXPECT_EQ(parse_dtype("DT_FLOAT"), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(parse_dtype("float32"), tfprod::tf::DT_FLOAT);
  EXPECT_EQ(parse_dtype("int64"), tfprod::tf::DT_INT64);
  EXPECT_EQ(parse_dtype("bfloat16"), tfprod::tf::DT_BFLOAT16);
  EXPECT_EQ(parse_dtype("1"), tfprod::tf::DT_FLOAT);
  EXPECT_FALSE(parse_dtype("floaty").has_value());
}

TEST(DType, RefTypesMapToBase) {
  EXPECT_EQ(base_type(tfprod::tf::DT_HALF_REF), tfprod::tf::DT_HALF);
  EXPECT_TRUE(is_ref_type(tfprod::tf::DT_FLOAT_REF));
  EXPECT_EQ(dtype_size(tfprod::tf::DT_HALF_REF), 2u);
  EXPECT_EQ(dtype_size(tfprod::tf::DT_STRING), 0u);
  EXPECT_EQ(dtype_name(static_cast<DataType>(77)), "DT_77");
}

}  // namespace
}  // namespace tfprod
