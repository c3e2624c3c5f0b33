// Numbers that are no Linux syscall fail with ENOSYS.

#include <sys/syscall.h>
#include <unistd.h>

#include "tests/util/syscall_test_util.h"

namespace {

TEST(UnknownSyscall, IsEnosys) {
  EXPECT_FAILS_WITH(syscall(1000), ENOSYS);
  EXPECT_FAILS_WITH(syscall(4095), ENOSYS);
  EXPECT_FAILS_WITH(syscall(-1), ENOSYS);
}

TEST(UnknownSyscall, ProcessContinuesAfterwards) {
  MOAT_COVERS("getpid");
  long pid = syscall(SYS_getpid);
  EXPECT_FAILS_WITH(syscall(1000, 1, 2, 3, 4, 5, 6), ENOSYS);
  EXPECT_EQ(syscall(SYS_getpid), pid);
}

}  // namespace
