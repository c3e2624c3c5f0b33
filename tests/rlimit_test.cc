// getrlimit, setrlimit, prlimit64.

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/util/syscall_test_util.h"

namespace {

void* const kBadPointer = reinterpret_cast<void*>(8);

TEST(Getrlimit, StackAndNofileAreSane) {
  MOAT_COVERS("getrlimit");
  rlimit stack{};
  ASSERT_SUCCEEDS(syscall(SYS_getrlimit, RLIMIT_STACK, &stack));
  EXPECT_GT(stack.rlim_cur, 0u);
  EXPECT_LE(stack.rlim_cur, stack.rlim_max);
  rlimit nofile{};
  ASSERT_SUCCEEDS(syscall(SYS_getrlimit, RLIMIT_NOFILE, &nofile));
  EXPECT_GE(nofile.rlim_cur, 3u);
  EXPECT_LE(nofile.rlim_cur, nofile.rlim_max);
}

TEST(Getrlimit, Errors) {
  MOAT_COVERS("getrlimit");
  rlimit r{};
  EXPECT_FAILS_WITH(syscall(SYS_getrlimit, 1000, &r), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_getrlimit, RLIMIT_STACK, kBadPointer), EFAULT);
}

TEST(Prlimit64, ReadsWhatGetrlimitReads) {
  MOAT_COVERS("prlimit64", "getrlimit");
  for (int resource : {RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_CORE}) {
    rlimit a{};
    rlimit64 b{};
    ASSERT_SUCCEEDS(syscall(SYS_getrlimit, resource, &a));
    ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, resource, nullptr, &b));
    EXPECT_EQ(a.rlim_cur, b.rlim_cur) << "resource " << resource;
    EXPECT_EQ(a.rlim_max, b.rlim_max) << "resource " << resource;
    rlimit64 c{};
    ASSERT_SUCCEEDS(syscall(SYS_prlimit64, syscall(SYS_getpid), resource, nullptr, &c));
    EXPECT_EQ(c.rlim_cur, b.rlim_cur) << "resource " << resource;
  }
}

TEST(Prlimit64, SetAndRestoreSoftLimit) {
  MOAT_COVERS("prlimit64");
  rlimit64 old{};
  ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, nullptr, &old));
  rlimit64 lower{0, old.rlim_max};
  rlimit64 previous{};
  ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &lower, &previous));
  EXPECT_EQ(previous.rlim_cur, old.rlim_cur);
  rlimit64 now{};
  ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, nullptr, &now));
  EXPECT_EQ(now.rlim_cur, 0u);
  ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &old, nullptr));
}

TEST(Prlimit64, Errors) {
  MOAT_COVERS("prlimit64");
  rlimit64 r{};
  EXPECT_FAILS_WITH(syscall(SYS_prlimit64, 0, 1000, nullptr, &r), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_prlimit64, 0, RLIMIT_STACK, nullptr, kBadPointer), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_prlimit64, 0, RLIMIT_STACK, kBadPointer, nullptr), EFAULT);
  ASSERT_SUCCEEDS(syscall(SYS_prlimit64, 0, RLIMIT_STACK, nullptr, &r));
  if (r.rlim_max != RLIM64_INFINITY) {
    rlimit64 inverted{r.rlim_max, r.rlim_max - 1};
    EXPECT_FAILS_WITH(syscall(SYS_prlimit64, 0, RLIMIT_STACK, &inverted, nullptr), EINVAL);
  }
  rlimit64 inverted{2, 1};
  EXPECT_FAILS_WITH(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &inverted, nullptr), EINVAL);
}

TEST(Setrlimit, LowerSoftLimitAndRestore) {
  MOAT_COVERS("setrlimit", "getrlimit");
  rlimit old{};
  ASSERT_SUCCEEDS(syscall(SYS_getrlimit, RLIMIT_CORE, &old));
  rlimit lower{0, old.rlim_max};
  ASSERT_SUCCEEDS(syscall(SYS_setrlimit, RLIMIT_CORE, &lower));
  rlimit now{};
  ASSERT_SUCCEEDS(syscall(SYS_getrlimit, RLIMIT_CORE, &now));
  EXPECT_EQ(now.rlim_cur, 0u);
  EXPECT_EQ(now.rlim_max, old.rlim_max);
  ASSERT_SUCCEEDS(syscall(SYS_setrlimit, RLIMIT_CORE, &old));
}

TEST(Setrlimit, Errors) {
  MOAT_COVERS("setrlimit");
  rlimit inverted{2, 1};
  EXPECT_FAILS_WITH(syscall(SYS_setrlimit, RLIMIT_CORE, &inverted), EINVAL);
  rlimit r{0, 0};
  EXPECT_FAILS_WITH(syscall(SYS_setrlimit, 1000, &r), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_setrlimit, RLIMIT_CORE, kBadPointer), EFAULT);
}

}  // namespace
