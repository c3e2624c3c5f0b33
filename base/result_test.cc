#include "base/result.h"

#include <gtest/gtest.h>

namespace moat {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) {
    return Errno::kEINVAL;
  }
  return v / 2;
}

Result<int> quarter(int v) {
  int h = TRY(half(v));
  return TRY(half(h));
}

TEST(Result, HoldsValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), Errno::kEINVAL);
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error(), Errno::kEINVAL);
  EXPECT_EQ(quarter(5).error(), Errno::kEINVAL);
}

TEST(Result, VoidResult) {
  Result<void> ok;
  EXPECT_TRUE(ok.has_value());
  Result<void> bad = Errno::kEFAULT;
  EXPECT_EQ(bad.error(), Errno::kEFAULT);
}

TEST(Errno, NamesAreLinuxNames) {
  EXPECT_EQ(errno_name(Errno::kENOENT), "ENOENT");
  EXPECT_EQ(errno_name(Errno::kENOSYS), "ENOSYS");
}

}  // namespace
}  // namespace moat
