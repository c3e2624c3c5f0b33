// getpid, getppid, gettid and the credential getters: values agree with each
// other (a single-threaded process, so its thread id is its process id).

#include <sys/syscall.h>
#include <unistd.h>

#include "tests/util/syscall_test_util.h"

namespace {

TEST(Ids, PidEqualsTidInSingleThreadedProcess) {
  MOAT_COVERS("getpid", "gettid");
  long pid = syscall(SYS_getpid);
  EXPECT_GT(pid, 0);
  EXPECT_EQ(syscall(SYS_gettid), pid);
  EXPECT_EQ(syscall(SYS_getpid), pid);
}

TEST(Ids, ParentIsAnotherProcess) {
  MOAT_COVERS("getppid", "getpid");
  long ppid = syscall(SYS_getppid);
  EXPECT_GE(ppid, 0);
  EXPECT_NE(ppid, syscall(SYS_getpid));
}

TEST(Ids, UserIdsAgree) {
  MOAT_COVERS("getuid", "geteuid", "getresuid");
  uid_t r = 1;
  uid_t e = 1;
  uid_t s = 1;
  ASSERT_SUCCEEDS(syscall(SYS_getresuid, &r, &e, &s));
  EXPECT_EQ(static_cast<long>(r), syscall(SYS_getuid));
  EXPECT_EQ(static_cast<long>(e), syscall(SYS_geteuid));
}

TEST(Ids, GroupIdsAgree) {
  MOAT_COVERS("getgid", "getegid", "getresgid");
  gid_t r = 1;
  gid_t e = 1;
  gid_t s = 1;
  ASSERT_SUCCEEDS(syscall(SYS_getresgid, &r, &e, &s));
  EXPECT_EQ(static_cast<long>(r), syscall(SYS_getgid));
  EXPECT_EQ(static_cast<long>(e), syscall(SYS_getegid));
}

TEST(Ids, GetresBadPointerIsEfault) {
  MOAT_COVERS("getresuid", "getresgid");
  void* bad = reinterpret_cast<void*>(8);
  uid_t a;
  uid_t b;
  EXPECT_FAILS_WITH(syscall(SYS_getresuid, bad, &a, &b), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_getresgid, &a, &b, bad), EFAULT);
}

}  // namespace
