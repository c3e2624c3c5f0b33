// fstat, newfstatat (AT_EMPTY_PATH), readlink(at) of /proc/self/exe and the
// terminal ioctls on the standard descriptors. The runner gives each test
// /dev/null as stdin and a regular file as stdout and stderr.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "tests/util/syscall_test_util.h"

namespace {

void* const kBadPointer = reinterpret_cast<void*>(8);

TEST(Fstat, StandardDescriptors) {
  MOAT_COVERS("fstat");
  struct stat in {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, 0, &in));
  EXPECT_TRUE(S_ISCHR(in.st_mode)) << "stdin should be /dev/null";
  struct stat err {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, 2, &err));
  EXPECT_GT(err.st_nlink, 0u);
}

TEST(Fstat, Errors) {
  MOAT_COVERS("fstat");
  struct stat st {};
  EXPECT_FAILS_WITH(syscall(SYS_fstat, 1000, &st), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fstat, -1, &st), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fstat, 0, kBadPointer), EFAULT);
}

TEST(Newfstatat, EmptyPathIsFstat) {
  MOAT_COVERS("newfstatat", "fstat");
  for (int fd : {0, 1, 2}) {
    struct stat a {};
    struct stat b {};
    ASSERT_SUCCEEDS(syscall(SYS_fstat, fd, &a));
    ASSERT_SUCCEEDS(syscall(SYS_newfstatat, fd, "", &b, AT_EMPTY_PATH));
    EXPECT_EQ(a.st_dev, b.st_dev) << "fd " << fd;
    EXPECT_EQ(a.st_ino, b.st_ino) << "fd " << fd;
    EXPECT_EQ(a.st_mode, b.st_mode) << "fd " << fd;
    EXPECT_EQ(a.st_rdev, b.st_rdev) << "fd " << fd;
  }
}

TEST(Newfstatat, Errors) {
  MOAT_COVERS("newfstatat");
  struct stat st {};
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, 1000, "", &st, AT_EMPTY_PATH), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, 0, "", &st, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, 0, "", kBadPointer, AT_EMPTY_PATH), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, 0, kBadPointer, &st, AT_EMPTY_PATH), EFAULT);
}

std::string read_exe_link() {
  char buf[4096];
  long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

TEST(Getcwd, ReturnsAnAbsolutePathAndItsSize) {
  MOAT_COVERS("getcwd");
  char buf[4096];
  const long n = syscall(SYS_getcwd, buf, sizeof buf);
  ASSERT_GT(n, 1);
  EXPECT_EQ(buf[0], '/');
  EXPECT_EQ(static_cast<size_t>(n), std::strlen(buf) + 1) << "the size counts the NUL";
}

TEST(Getcwd, Errors) {
  MOAT_COVERS("getcwd");
  char buf[4096];
  const long n = syscall(SYS_getcwd, buf, sizeof buf);
  ASSERT_GT(n, 1);
  EXPECT_FAILS_WITH(syscall(SYS_getcwd, buf, static_cast<size_t>(n - 1)), ERANGE);
  EXPECT_FAILS_WITH(syscall(SYS_getcwd, buf, 0), ERANGE);
  EXPECT_FAILS_WITH(syscall(SYS_getcwd, reinterpret_cast<char*>(8), sizeof buf), EFAULT);
}

TEST(Readlinkat, ProcSelfExeIsAnAbsolutePath) {
  MOAT_COVERS("readlinkat");
  std::string exe = read_exe_link();
  ASSERT_FALSE(exe.empty());
  EXPECT_EQ(exe[0], '/');
  EXPECT_EQ(exe.find('\0'), std::string::npos);
  // The link names this program's file.
  std::string base = exe.substr(exe.rfind('/') + 1);
  EXPECT_EQ(base, "fs_test");
}

TEST(Readlinkat, ShortBufferTruncatesWithoutTerminator) {
  MOAT_COVERS("readlinkat");
  std::string exe = read_exe_link();
  ASSERT_GT(exe.size(), 4u);
  char buf[8];
  memset(buf, '#', sizeof buf);
  EXPECT_EQ(syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), exe.substr(0, 4));
  EXPECT_EQ(buf[4], '#');
}

TEST(Readlinkat, Errors) {
  MOAT_COVERS("readlinkat");
  char buf[64];
  EXPECT_FAILS_WITH(syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, 0), EINVAL);
  EXPECT_FAILS_WITH(
      syscall(SYS_readlinkat, AT_FDCWD, "/nonexistent-moat-conformance", buf, sizeof buf), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_readlinkat, AT_FDCWD, kBadPointer, buf, sizeof buf), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", kBadPointer, 64), EFAULT);
}

#ifdef SYS_readlink
TEST(Readlink, ProcSelfExeAgreesWithReadlinkat) {
  MOAT_COVERS("readlink", "readlinkat");
  char buf[4096];
  long n = syscall(SYS_readlink, "/proc/self/exe", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), read_exe_link());
  EXPECT_FAILS_WITH(syscall(SYS_readlink, "/proc/self/exe", buf, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_readlink, "/nonexistent-moat-conformance", buf, sizeof buf),
                    ENOENT);
}
#endif

TEST(Ioctl, TerminalRequestsOnNonTerminalAreEnotty) {
  MOAT_COVERS("ioctl");
  // The runner's stdin is /dev/null and its stdout a file: neither is a tty.
  for (int fd : {0, 1}) {
    termios t{};
    EXPECT_FAILS_WITH(syscall(SYS_ioctl, fd, TCGETS, &t), ENOTTY) << "fd " << fd;
    winsize ws{};
    EXPECT_FAILS_WITH(syscall(SYS_ioctl, fd, TIOCGWINSZ, &ws), ENOTTY) << "fd " << fd;
  }
}

TEST(Ioctl, BadFdIsEbadf) {
  MOAT_COVERS("ioctl");
  termios t{};
  EXPECT_FAILS_WITH(syscall(SYS_ioctl, 1000, TCGETS, &t), EBADF);
}

}  // namespace
