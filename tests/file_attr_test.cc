// File attributes: fstat, newfstatat, statx (and x86-64's stat and lstat),
// ftruncate and truncate, readlinkat (and readlink), faccessat, faccessat2
// (and access). Every test works in its own fresh directory under /tmp.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::open_at;
using moat::conformance::read_file;
using moat::conformance::ScopedFd;
using moat::conformance::ScopedUmask;
using moat::conformance::TempDir;
using moat::conformance::write_file;

struct stat fstat_of(int fd) {
  struct stat st {};
  EXPECT_SUCCEEDS(syscall(SYS_fstat, fd, &st));
  return st;
}

struct stat lstat_of(int dirfd, const char* path) {
  struct stat st {};
  EXPECT_SUCCEEDS(syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW));
  return st;
}

// ---- fstat, newfstatat, stat, lstat, statx -------------------------------

TEST(Fstat, ReportsSizeModeAndLinkCount) {
  MOAT_COVERS("fstat", "newfstatat");
  TempDir dir;
  ScopedUmask no_mask(0);
  write_file(dir.fd(), "f", "12345", 0751);
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  const struct stat st = fstat_of(fd.get());
  EXPECT_EQ(st.st_mode, S_IFREG | 0751u);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_nlink, 1u);
  struct stat by_path {};
  ASSERT_SUCCEEDS(syscall(SYS_newfstatat, dir.fd(), "f", &by_path, 0));
  EXPECT_EQ(by_path.st_mode, st.st_mode);
  EXPECT_EQ(by_path.st_size, st.st_size);
  struct stat d {};
  ASSERT_SUCCEEDS(syscall(SYS_newfstatat, AT_FDCWD, dir.path().c_str(), &d, 0));
  EXPECT_TRUE(S_ISDIR(d.st_mode));
}

TEST(Fstat, FileOpenedTwiceHasOneInode) {
  MOAT_COVERS("fstat", "newfstatat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  write_file(dir.fd(), "g", "x");
  ScopedFd a(open_at(dir.fd(), "f", O_RDONLY));
  ScopedFd b(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(a.get(), 0) << strerror(errno);
  ASSERT_GE(b.get(), 0) << strerror(errno);
  const struct stat sa = fstat_of(a.get());
  const struct stat sb = fstat_of(b.get());
  EXPECT_EQ(sa.st_ino, sb.st_ino);
  EXPECT_EQ(sa.st_dev, sb.st_dev);
  struct stat other {};
  ASSERT_SUCCEEDS(syscall(SYS_newfstatat, dir.fd(), "g", &other, 0));
  EXPECT_NE(other.st_ino, sa.st_ino);
}

TEST(Newfstatat, SymlinkNofollowDescribesTheLink) {
  MOAT_COVERS("newfstatat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "0123456789");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  const struct stat link = lstat_of(dir.fd(), "link");
  EXPECT_TRUE(S_ISLNK(link.st_mode));
  EXPECT_EQ(link.st_size, 6) << "a symlink's size is its target's length";
  struct stat followed {};
  ASSERT_SUCCEEDS(syscall(SYS_newfstatat, dir.fd(), "link", &followed, 0));
  EXPECT_TRUE(S_ISREG(followed.st_mode));
  EXPECT_EQ(followed.st_size, 10);
  EXPECT_NE(followed.st_ino, link.st_ino);
}

TEST(Newfstatat, Errors) {
  MOAT_COVERS("newfstatat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  struct stat st {};
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "missing", &st, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "f/", &st, 0), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "f/x", &st, 0), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "f", &st, 0x40000000), EINVAL);
}

#if defined(SYS_stat) && defined(SYS_lstat)
TEST(Stat, StatFollowsAndLstatDoesNotFollowSymlinks) {
  MOAT_COVERS("stat", "lstat");
  TempDir dir;
  write_file(dir.fd(), "target", "abc");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  struct stat st {};
  ASSERT_SUCCEEDS(syscall(SYS_stat, dir.path("link").c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 3);
  struct stat lst {};
  ASSERT_SUCCEEDS(syscall(SYS_lstat, dir.path("link").c_str(), &lst));
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  EXPECT_FAILS_WITH(syscall(SYS_stat, dir.path("missing").c_str(), &st), ENOENT);
}
#endif

TEST(Statx, BasicStatsAgreeWithFstat) {
  MOAT_COVERS("statx", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "statx!");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  const struct stat st = fstat_of(fd.get());
  struct statx stx {};
  ASSERT_SUCCEEDS(syscall(SYS_statx, dir.fd(), "f", 0, STATX_BASIC_STATS, &stx));
  EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, static_cast<unsigned>(STATX_BASIC_STATS));
  EXPECT_EQ(stx.stx_ino, st.st_ino);
  EXPECT_EQ(stx.stx_size, 6u);
  EXPECT_EQ(stx.stx_mode, st.st_mode);
  EXPECT_EQ(stx.stx_nlink, st.st_nlink);
  EXPECT_EQ(stx.stx_uid, st.st_uid);
  EXPECT_EQ(stx.stx_gid, st.st_gid);
  EXPECT_EQ(stx.stx_blocks, static_cast<uint64_t>(st.st_blocks));
  EXPECT_EQ(makedev(stx.stx_dev_major, stx.stx_dev_minor), st.st_dev);
  EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(stx.stx_mtime.tv_nsec, static_cast<uint32_t>(st.st_mtim.tv_nsec));
}

TEST(Statx, EmptyPathDescribesTheDescriptor) {
  MOAT_COVERS("statx");
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  struct statx stx {};
  ASSERT_SUCCEEDS(syscall(SYS_statx, fd.get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  EXPECT_EQ(stx.stx_size, 3u);
}

TEST(Statx, SymlinkNofollowDescribesTheLink) {
  MOAT_COVERS("statx", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  struct statx stx {};
  ASSERT_SUCCEEDS(
      syscall(SYS_statx, dir.fd(), "link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx));
  EXPECT_TRUE(S_ISLNK(stx.stx_mode));
  EXPECT_EQ(stx.stx_size, 6u);
  ASSERT_SUCCEEDS(syscall(SYS_statx, dir.fd(), "link", 0, STATX_BASIC_STATS, &stx));
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
}

TEST(Statx, BadFlagsOrMaskIsEinval) {
  MOAT_COVERS("statx");
  TempDir dir;
  struct statx stx {};
  EXPECT_FAILS_WITH(syscall(SYS_statx, dir.fd(), ".", 0, STATX__RESERVED, &stx), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_statx, dir.fd(), ".", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
                            STATX_BASIC_STATS, &stx),
                    EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_statx, dir.fd(), "missing", 0, STATX_BASIC_STATS, &stx), ENOENT);
}

// ---- ftruncate, truncate -------------------------------------------------

TEST(Ftruncate, GrowingAddsZeros) {
  MOAT_COVERS("ftruncate", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_ftruncate, fd.get(), 8L));
  EXPECT_EQ(fstat_of(fd.get()).st_size, 8);
  EXPECT_EQ(read_file(dir.fd(), "f"), std::string("abc\0\0\0\0\0", 8));
}

TEST(Ftruncate, ShrinkingDropsTheTailButNotTheOffset) {
  MOAT_COVERS("ftruncate", "lseek", "read");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 8L, SEEK_SET), 8);
  ASSERT_SUCCEEDS(syscall(SYS_ftruncate, fd.get(), 4L));
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 8);
  char buf[4];
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 0);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123");
  // Growing again gives zeros, not the old bytes.
  ASSERT_SUCCEEDS(syscall(SYS_ftruncate, fd.get(), 6L));
  EXPECT_EQ(read_file(dir.fd(), "f"), std::string("0123\0\0", 6));
}

TEST(Ftruncate, Errors) {
  MOAT_COVERS("ftruncate");
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd rdonly(open_at(dir.fd(), "f", O_RDONLY));
  ScopedFd rdwr(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(rdonly.get(), 0) << strerror(errno);
  ASSERT_GE(rdwr.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_ftruncate, rdonly.get(), 0L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_ftruncate, rdwr.get(), -1L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_ftruncate, 1000, 0L), EBADF);
  EXPECT_EQ(read_file(dir.fd(), "f"), "abc");
}

TEST(Truncate, ByPathGrowsAndShrinks) {
  MOAT_COVERS("truncate");
  TempDir dir;
  write_file(dir.fd(), "f", "abcdef");
  const std::string path = dir.path("f");
  ASSERT_SUCCEEDS(syscall(SYS_truncate, path.c_str(), 2L));
  EXPECT_EQ(read_file(dir.fd(), "f"), "ab");
  ASSERT_SUCCEEDS(syscall(SYS_truncate, path.c_str(), 4L));
  EXPECT_EQ(read_file(dir.fd(), "f"), std::string("ab\0\0", 4));
  EXPECT_FAILS_WITH(syscall(SYS_truncate, dir.path().c_str(), 0L), EISDIR);
  EXPECT_FAILS_WITH(syscall(SYS_truncate, dir.path("missing").c_str(), 0L), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_truncate, path.c_str(), -1L), EINVAL);
}

// ---- readlinkat, readlink ------------------------------------------------

TEST(Readlinkat, ReturnsTheTargetWithoutATerminator) {
  MOAT_COVERS("readlinkat", "symlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "../some/where", dir.fd(), "link"));
  char buf[64];
  memset(buf, '#', sizeof buf);
  EXPECT_EQ(syscall(SYS_readlinkat, dir.fd(), "link", buf, sizeof buf), 13);
  EXPECT_EQ(std::string(buf, 13), "../some/where");
  EXPECT_EQ(buf[13], '#');
}

TEST(Readlinkat, ShortBufferTruncates) {
  MOAT_COVERS("readlinkat", "symlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "abcdefgh", dir.fd(), "link"));
  char buf[8];
  memset(buf, '#', sizeof buf);
  EXPECT_EQ(syscall(SYS_readlinkat, dir.fd(), "link", buf, 3), 3);
  EXPECT_EQ(std::string(buf, 4), "abc#");
}

TEST(Readlinkat, NotASymlinkIsEinval) {
  MOAT_COVERS("readlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  char buf[16];
  EXPECT_FAILS_WITH(syscall(SYS_readlinkat, dir.fd(), "f", buf, sizeof buf), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_readlinkat, dir.fd(), ".", buf, sizeof buf), EINVAL);
}

TEST(Readlinkat, EmptyPathReadsAPathDescriptorOfTheLink) {
  MOAT_COVERS("readlinkat", "openat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ScopedFd fd(open_at(dir.fd(), "link", O_PATH | O_NOFOLLOW));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[16];
  EXPECT_EQ(syscall(SYS_readlinkat, fd.get(), "", buf, sizeof buf), 6);
  EXPECT_EQ(std::string(buf, 6), "target");
}

#ifdef SYS_readlink
TEST(Readlink, ReturnsTheTarget) {
  MOAT_COVERS("readlink");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "/etc/passwd", dir.fd(), "link"));
  char buf[64];
  EXPECT_EQ(syscall(SYS_readlink, dir.path("link").c_str(), buf, sizeof buf), 11);
  EXPECT_EQ(std::string(buf, 11), "/etc/passwd");
  EXPECT_FAILS_WITH(syscall(SYS_readlink, dir.path().c_str(), buf, sizeof buf), EINVAL);
}
#endif

// ---- faccessat, faccessat2, access ---------------------------------------

TEST(Faccessat, ExistenceCheck) {
  MOAT_COVERS("faccessat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_SUCCEEDS(syscall(SYS_faccessat, dir.fd(), "f", F_OK));
  EXPECT_FAILS_WITH(syscall(SYS_faccessat, dir.fd(), "missing", F_OK), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_faccessat, dir.fd(), "f/x", F_OK), ENOTDIR);
}

TEST(Faccessat, OwnerMayReadAndWriteAMode0600File) {
  MOAT_COVERS("faccessat");
  TempDir dir;
  write_file(dir.fd(), "f", "", 0600);
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 0600));
  EXPECT_SUCCEEDS(syscall(SYS_faccessat, dir.fd(), "f", R_OK | W_OK));
}

TEST(Faccessat, ExecuteNeedsAnExecuteBitEvenForRoot) {
  MOAT_COVERS("faccessat", "fchmodat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 0644));
  EXPECT_FAILS_WITH(syscall(SYS_faccessat, dir.fd(), "f", X_OK), EACCES);
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 0744));
  EXPECT_SUCCEEDS(syscall(SYS_faccessat, dir.fd(), "f", X_OK));
  // Directories are searchable.
  EXPECT_SUCCEEDS(syscall(SYS_faccessat, AT_FDCWD, dir.path().c_str(), X_OK));
}

TEST(Faccessat, UnknownModeBitsAreEinval) {
  MOAT_COVERS("faccessat");
  TempDir dir;
  EXPECT_FAILS_WITH(syscall(SYS_faccessat, dir.fd(), ".", 8), EINVAL);
}

#ifdef SYS_faccessat2
TEST(Faccessat2, SymlinkNofollowChecksTheLinkItself) {
  MOAT_COVERS("faccessat2", "symlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "missing", dir.fd(), "dangling"));
  EXPECT_SUCCEEDS(syscall(SYS_faccessat2, dir.fd(), "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
  EXPECT_FAILS_WITH(syscall(SYS_faccessat2, dir.fd(), "dangling", F_OK, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_faccessat2, dir.fd(), ".", F_OK, 0x1), EINVAL);
}
#endif

#ifdef SYS_access
TEST(Access, ExistenceAndExecuteChecks) {
  MOAT_COVERS("access");
  TempDir dir;
  write_file(dir.fd(), "f", "", 0644);
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 0644));
  EXPECT_SUCCEEDS(syscall(SYS_access, dir.path("f").c_str(), F_OK));
  EXPECT_SUCCEEDS(syscall(SYS_access, dir.path("f").c_str(), R_OK | W_OK));
  EXPECT_FAILS_WITH(syscall(SYS_access, dir.path("f").c_str(), X_OK), EACCES);
  EXPECT_FAILS_WITH(syscall(SYS_access, dir.path("missing").c_str(), F_OK), ENOENT);
}
#endif

}  // namespace
