#include <gtest/gtest.h>

#include "tfprod/dtype.h"

namespace tfprod {
namespace {

TEST(DType, ParsesTfSpellings) {
  EXPECT_EQ(parse_dtype("half"), tensorflow::DT_HALF);
  EXPECT_EQ(parse_dtype("float16"), tensorflow::DT_HALF);
  EXPECT_EQ(parse_dtype("DT_FLOAT"), tensorflow::DT_FLOAT);
  EXPECT_EQ(parse_dtype("float32"), tensorflow::DT_FLOAT);
  EXPECT_EQ(parse_dtype("int64"), tensorflow::DT_INT64);
  EXPECT_EQ(parse_dtype("bfloat16"), tensorflow::DT_BFLOAT16);
  EXPECT_EQ(parse_dtype("1"), tensorflow::DT_FLOAT);
  EXPECT_FALSE(parse_dtype("floaty").has_value());
}

TEST(DType, RefTypesMapToBase) {
  EXPECT_EQ(base_type(tensorflow::DT_HALF_REF), tensorflow::DT_HALF);
  EXPECT_TRUE(is_ref_type(tensorflow::DT_FLOAT_REF));
  EXPECT_EQ(dtype_size(tensorflow::DT_HALF_REF), 2u);
  EXPECT_EQ(dtype_size(tensorflow::DT_STRING), 0u);
  EXPECT_EQ(dtype_name(static_cast<DataType>(77)), "DT_77");
}

}  // namespace
}  // namespace tfprod
