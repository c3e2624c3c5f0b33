// uname.

#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "tests/util/syscall_test_util.h"

namespace {

TEST(Uname, DescribesLinuxOnThisMachine) {
  MOAT_COVERS("uname");
  utsname u;
  memset(&u, 0x55, sizeof u);
  ASSERT_SUCCEEDS(syscall(SYS_uname, &u));
  EXPECT_STREQ(u.sysname, "Linux");
#if defined(__x86_64__)
  EXPECT_STREQ(u.machine, "x86_64");
#elif defined(__aarch64__)
  EXPECT_STREQ(u.machine, "aarch64");
#endif
  // Every field is a terminated string.
  for (const char* field : {u.sysname, u.nodename, u.release, u.version, u.machine}) {
    EXPECT_NE(memchr(field, '\0', sizeof u.sysname), nullptr);
  }
  EXPECT_GT(strlen(u.release), 0u);
  EXPECT_GT(strlen(u.version), 0u);
  // The release starts with a version number.
  EXPECT_TRUE(u.release[0] >= '1' && u.release[0] <= '9') << u.release;
}

TEST(Uname, BadPointerIsEfault) {
  MOAT_COVERS("uname");
  EXPECT_FAILS_WITH(syscall(SYS_uname, reinterpret_cast<void*>(8)), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_uname, nullptr), EFAULT);
}

}  // namespace
