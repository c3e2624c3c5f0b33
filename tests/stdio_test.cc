// read, write, readv, writev on the standard descriptors. The runner gives
// each test /dev/null as stdin and a file as stdout and stderr.

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tests/util/syscall_test_util.h"

namespace {

// An address no program has mapped.
void* const kBadPointer = reinterpret_cast<void*>(8);

TEST(Write, ToStderrReturnsCount) {
  MOAT_COVERS("write");
  static const char kText[] = "stdio_test: write to stderr\n";
  EXPECT_EQ(syscall(SYS_write, 2, kText, sizeof kText - 1), static_cast<long>(sizeof kText - 1));
}

TEST(Write, ZeroLengthReturnsZero) {
  MOAT_COVERS("write");
  EXPECT_EQ(syscall(SYS_write, 1, "", 0), 0);
  // A zero-length write does not look at the buffer.
  EXPECT_EQ(syscall(SYS_write, 1, nullptr, 0), 0);
}

TEST(Write, BadFdIsEbadf) {
  MOAT_COVERS("write");
  EXPECT_FAILS_WITH(syscall(SYS_write, 1000, "x", 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_write, -1, "x", 1), EBADF);
}

TEST(Write, BadBufferIsEfault) {
  MOAT_COVERS("write");
  EXPECT_FAILS_WITH(syscall(SYS_write, 2, kBadPointer, 16), EFAULT);
}

TEST(Read, ZeroLengthReturnsZero) {
  MOAT_COVERS("read");
  char c;
  EXPECT_EQ(syscall(SYS_read, 0, &c, 0), 0);
}

TEST(Read, BadFdIsEbadf) {
  MOAT_COVERS("read");
  char c;
  EXPECT_FAILS_WITH(syscall(SYS_read, 1000, &c, 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_read, -1, &c, 1), EBADF);
}

TEST(Read, WriteOnlyStdoutIsEbadf) {
  MOAT_COVERS("read");
  // The runner opens stdout write-only (a terminal would be read-write).
  // FIXME: check that with fcntl(F_GETFL) once moat has fcntl (issue 7).
  char c;
  EXPECT_FAILS_WITH(syscall(SYS_read, 1, &c, 1), EBADF);
}

TEST(Read, EndOfFileOfDevNullStdin) {
  MOAT_COVERS("read");
  char buf[16];
  EXPECT_EQ(syscall(SYS_read, 0, buf, sizeof buf), 0);
}

TEST(Writev, GathersBuffers) {
  MOAT_COVERS("writev");
  char a[] = "stdio_test: ";
  char b[] = "writev\n";
  iovec iov[] = {{a, sizeof a - 1}, {nullptr, 0}, {b, sizeof b - 1}};
  EXPECT_EQ(syscall(SYS_writev, 2, iov, 3), static_cast<long>(sizeof a + sizeof b - 2));
}

TEST(Writev, ZeroCountReturnsZero) {
  MOAT_COVERS("writev");
  EXPECT_EQ(syscall(SYS_writev, 2, nullptr, 0), 0);
}

TEST(Writev, Errors) {
  MOAT_COVERS("writev");
  char a[] = "x";
  iovec iov[] = {{a, 1}};
  EXPECT_FAILS_WITH(syscall(SYS_writev, 1000, iov, 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_writev, 2, kBadPointer, 1), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_writev, 2, iov, -1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_writev, 2, iov, IOV_MAX + 1), EINVAL);
}

TEST(Readv, EndOfFileAndErrors) {
  MOAT_COVERS("readv");
  char a[4];
  char b[4];
  iovec iov[] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_EQ(syscall(SYS_readv, 0, iov, 2), 0);
  EXPECT_EQ(syscall(SYS_readv, 0, iov, 0), 0);
  EXPECT_FAILS_WITH(syscall(SYS_readv, 1000, iov, 2), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_readv, 0, kBadPointer, 2), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_readv, 0, iov, -1), EINVAL);
}

}  // namespace
