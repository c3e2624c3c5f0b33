// Files: openat (and x86-64's open and creat) with its flags and errors,
// close, read, write, pread64, pwrite64, lseek, umask, fsync, fdatasync and
// close_range. Every test works in its own fresh directory under /tmp.
// file_attr_test.cc has the calls that inspect or resize a file by name.

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::open_at;
using moat::conformance::read_file;
using moat::conformance::read_rest;
using moat::conformance::ScopedFd;
using moat::conformance::ScopedUmask;
using moat::conformance::TempDir;
using moat::conformance::write_file;

void* const kBadPointer = reinterpret_cast<void*>(8);

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

// ---- openat, open, creat -------------------------------------------------

TEST(Openat, CreateMakesAnEmptyRegularFileWithTheGivenMode) {
  MOAT_COVERS("openat", "fstat");
  TempDir dir;
  ScopedUmask no_mask(0);
  ScopedFd fd(open_at(dir.fd(), "new", O_CREAT | O_RDWR, 0640));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  const struct stat st = fstat_of(fd.get());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, geteuid());
}

TEST(Openat, CreateOnAnExistingFileKeepsItsContentAndMode) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "keep", 0600);
  ScopedFd fd(open_at(dir.fd(), "f", O_CREAT | O_RDONLY, 0777));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(fd.get()), "keep");
  EXPECT_EQ(fstat_of(fd.get()).st_mode & 07777, 0600u);
}

TEST(Openat, CreateExclOnAnExistingFileIsEexist) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
  EXPECT_EQ(read_file(dir.fd(), "f"), "x");
}

TEST(Openat, CreateExclDoesNotFollowADanglingSymlink) {
  MOAT_COVERS("openat", "symlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "link", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "target", O_RDONLY), ENOENT);
}

TEST(Openat, MissingFileWithoutCreateIsEnoent) {
  MOAT_COVERS("openat");
  TempDir dir;
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "missing", O_RDONLY), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "no-dir/f", O_CREAT | O_RDWR, 0644), ENOENT);
}

TEST(Openat, TruncEmptiesTheFile) {
  MOAT_COVERS("openat", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "some content");
  ScopedFd fd(open_at(dir.fd(), "f", O_WRONLY | O_TRUNC));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(fstat_of(fd.get()).st_size, 0);
}

TEST(Openat, TruncWithReadOnlyAccessStillTruncates) {
  MOAT_COVERS("openat", "fstat");
  // POSIX leaves O_RDONLY | O_TRUNC unspecified; Linux truncates.
  TempDir dir;
  write_file(dir.fd(), "f", "some content");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY | O_TRUNC));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(fstat_of(fd.get()).st_size, 0);
}

TEST(Openat, AppendWritesLandAtTheEnd) {
  MOAT_COVERS("openat", "write", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd fd(open_at(dir.fd(), "f", O_WRONLY | O_APPEND));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_SET), 0);
  EXPECT_EQ(syscall(SYS_write, fd.get(), "de", 2), 2);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 5) << "the offset follows the write";
  EXPECT_EQ(read_file(dir.fd(), "f"), "abcde");
}

TEST(Openat, DirectoryFlagOnAFileIsEnotdir) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f", O_RDONLY | O_DIRECTORY), ENOTDIR);
  ScopedFd d(open_at(dir.fd(), ".", O_RDONLY | O_DIRECTORY));
  EXPECT_GE(d.get(), 0) << strerror(errno);
}

TEST(Openat, NofollowOnASymlinkIsEloop) {
  MOAT_COVERS("openat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "f", dir.fd(), "link"));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "link", O_RDONLY | O_NOFOLLOW), ELOOP);
}

TEST(Openat, NofollowOnlyAppliesToTheLastComponent) {
  MOAT_COVERS("openat", "symlinkat", "mkdirat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  write_file(dir.fd(), "d/f", "in d");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "d", dir.fd(), "dlink"));
  ScopedFd fd(open_at(dir.fd(), "dlink/f", O_RDONLY | O_NOFOLLOW));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(fd.get()), "in d");
}

TEST(Openat, PathDescriptorCannotBeReadOrWritten) {
  MOAT_COVERS("openat", "read", "write", "fstat", "fcntl");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_PATH));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[8];
  EXPECT_FAILS_WITH(syscall(SYS_read, fd.get(), buf, sizeof buf), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_write, fd.get(), "x", 1), EBADF);
  // It still names the file: fstat works and F_GETFL reports O_PATH.
  EXPECT_EQ(fstat_of(fd.get()).st_size, 4);
  EXPECT_EQ(syscall(SYS_fcntl, fd.get(), F_GETFL) & O_PATH, O_PATH);
}

TEST(Openat, PathNofollowOpensTheSymlinkItself) {
  MOAT_COVERS("openat", "fstat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "f", dir.fd(), "link"));
  ScopedFd fd(open_at(dir.fd(), "link", O_PATH | O_NOFOLLOW));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_TRUE(S_ISLNK(fstat_of(fd.get()).st_mode));
}

TEST(Openat, CloexecIsVisibleInTheDescriptorFlags) {
  MOAT_COVERS("openat", "fcntl");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ScopedFd with(open_at(dir.fd(), "f", O_RDONLY | O_CLOEXEC));
  ScopedFd without(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(with.get(), 0) << strerror(errno);
  ASSERT_GE(without.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_fcntl, with.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(syscall(SYS_fcntl, without.get(), F_GETFD), 0);
  // O_CLOEXEC is a descriptor flag, not a file status flag.
  EXPECT_EQ(syscall(SYS_fcntl, with.get(), F_GETFL) & O_CLOEXEC, 0);
}

TEST(Openat, ReturnsTheLowestFreeDescriptor) {
  MOAT_COVERS("openat", "close");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  const int a = open_at(dir.fd(), "f", O_RDONLY);
  ASSERT_GE(a, 0) << strerror(errno);
  ScopedFd b(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GT(b.get(), a);
  ASSERT_SUCCEEDS(syscall(SYS_close, a));
  ScopedFd c(open_at(dir.fd(), "f", O_RDONLY));
  EXPECT_EQ(c.get(), a);
}

TEST(Openat, PathThroughAFileIsEnotdir) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f/x", O_RDONLY), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f/x", O_CREAT | O_RDWR, 0644), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f/", O_RDONLY), ENOTDIR);
}

TEST(Openat, OverlongNameOrPathIsEnametoolong) {
  MOAT_COVERS("openat");
  TempDir dir;
  const std::string component(NAME_MAX + 1, 'n');
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), component.c_str(), O_CREAT | O_RDWR, 0644),
                    ENAMETOOLONG);
  const std::string path(PATH_MAX + 16, 'p');
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), path.c_str(), O_RDONLY), ENAMETOOLONG);
}

TEST(Openat, BadPathPointerIsEfault) {
  MOAT_COVERS("openat");
  EXPECT_FAILS_WITH(syscall(SYS_openat, AT_FDCWD, kBadPointer, O_RDONLY), EFAULT);
}

TEST(Openat, DirectoryForWritingIsEisdir) {
  MOAT_COVERS("openat", "mkdirat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "d", O_WRONLY), EISDIR);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "d", O_RDWR), EISDIR);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "d", O_CREAT | O_RDONLY, 0644), EISDIR);
}

TEST(Openat, RelativePathIsResolvedFromTheDirectoryDescriptor) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "in dir");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(fd.get()), "in dir");
  // An absolute path ignores the descriptor, even an invalid one.
  ScopedFd abs(open_at(1000, dir.path("f").c_str(), O_RDONLY));
  ASSERT_GE(abs.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(abs.get()), "in dir");
}

TEST(Openat, BadDirectoryDescriptorIsEbadfOrEnotdir) {
  MOAT_COVERS("openat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ScopedFd file(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(file.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_openat, 1000, "f", O_RDONLY), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_openat, file.get(), "f", O_RDONLY), ENOTDIR);
}

#ifdef SYS_open
TEST(Open, CreatesAndOpensByPath) {
  MOAT_COVERS("open");
  TempDir dir;
  ScopedFd fd(static_cast<int>(syscall(SYS_open, dir.path("f").c_str(), O_CREAT | O_RDWR, 0600)));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_write, fd.get(), "open", 4), 4);
  EXPECT_EQ(read_file(dir.fd(), "f"), "open");
  EXPECT_FAILS_WITH(syscall(SYS_open, dir.path("f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0600),
                    EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_open, dir.path("missing").c_str(), O_RDONLY), ENOENT);
}
#endif

#ifdef SYS_creat
TEST(Creat, CreatesOrTruncatesForWritingOnly) {
  MOAT_COVERS("creat");
  TempDir dir;
  write_file(dir.fd(), "f", "old content");
  ScopedFd fd(static_cast<int>(syscall(SYS_creat, dir.path("f").c_str(), 0644)));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(fstat_of(fd.get()).st_size, 0);
  EXPECT_EQ(syscall(SYS_fcntl, fd.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  char buf[4];
  EXPECT_FAILS_WITH(syscall(SYS_read, fd.get(), buf, sizeof buf), EBADF);
  ScopedFd fresh(static_cast<int>(syscall(SYS_creat, dir.path("g").c_str(), 0644)));
  EXPECT_GE(fresh.get(), 0) << strerror(errno);
}
#endif

// ---- close ---------------------------------------------------------------

TEST(Close, SecondCloseIsEbadf) {
  MOAT_COVERS("close");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  const int fd = open_at(dir.fd(), "f", O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_SUCCEEDS(syscall(SYS_close, fd));
  EXPECT_FAILS_WITH(syscall(SYS_close, fd), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_close, -1), EBADF);
}

// ---- read, write ---------------------------------------------------------

TEST(ReadWrite, DataWrittenReadsBackAndTheOffsetAdvances) {
  MOAT_COVERS("read", "write", "lseek");
  TempDir dir;
  ScopedFd fd(open_at(dir.fd(), "f", O_CREAT | O_RDWR, 0644));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_write, fd.get(), "hello ", 6), 6);
  EXPECT_EQ(syscall(SYS_write, fd.get(), "world", 5), 5);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 11);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_SET), 0);
  char buf[32] = {};
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 6) << "a short read at the end";
  EXPECT_EQ(std::string(buf, 6), " world");
}

TEST(Read, AtEndOfFileOrWithZeroCountReturnsZero) {
  MOAT_COVERS("read");
  TempDir dir;
  write_file(dir.fd(), "f", "ab");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[8];
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, 0), 0);
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 2);
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 0);
}

TEST(Read, WriteOnlyDescriptorIsEbadf) {
  MOAT_COVERS("read");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_WRONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[8];
  EXPECT_FAILS_WITH(syscall(SYS_read, fd.get(), buf, sizeof buf), EBADF);
}

TEST(Write, ReadOnlyDescriptorIsEbadf) {
  MOAT_COVERS("write");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_write, fd.get(), "x", 1), EBADF);
  EXPECT_EQ(read_file(dir.fd(), "f"), "data");
}

TEST(Read, DirectoryIsEisdir) {
  MOAT_COVERS("read");
  TempDir dir;
  char buf[8];
  EXPECT_FAILS_WITH(syscall(SYS_read, dir.fd(), buf, sizeof buf), EISDIR);
}

TEST(ReadWrite, BadBufferIsEfault) {
  MOAT_COVERS("read", "write");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_read, fd.get(), kBadPointer, 4), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_write, fd.get(), kBadPointer, 4), EFAULT);
  EXPECT_EQ(read_file(dir.fd(), "f"), "data");
}

TEST(ReadWrite, BadDescriptorIsEbadf) {
  MOAT_COVERS("read", "write");
  char buf[4];
  EXPECT_FAILS_WITH(syscall(SYS_read, 1000, buf, sizeof buf), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_write, 1000, "x", 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_read, -1, buf, sizeof buf), EBADF);
}

// ---- pread64, pwrite64 ---------------------------------------------------

TEST(Pread64, ReadsAtTheOffsetWithoutMovingIt) {
  MOAT_COVERS("pread64", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 2L, SEEK_SET), 2);
  char buf[4];
  EXPECT_EQ(syscall(SYS_pread64, fd.get(), buf, 4, 5L), 4);
  EXPECT_EQ(std::string(buf, 4), "5678");
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 2);
  EXPECT_EQ(syscall(SYS_pread64, fd.get(), buf, 4, 8L), 2) << "short at the end";
  EXPECT_EQ(syscall(SYS_pread64, fd.get(), buf, 4, 100L), 0) << "past the end";
}

TEST(Pwrite64, WritesAtTheOffsetWithoutMovingIt) {
  MOAT_COVERS("pwrite64", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 1L, SEEK_SET), 1);
  EXPECT_EQ(syscall(SYS_pwrite64, fd.get(), "ab", 2, 4L), 2);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 1);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123ab6789");
}

TEST(Pwrite64, WithAppendTheDataStillGoesToTheEnd) {
  MOAT_COVERS("pwrite64");
  // A documented Linux deviation from POSIX: O_APPEND wins over the offset.
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd fd(open_at(dir.fd(), "f", O_WRONLY | O_APPEND));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_pwrite64, fd.get(), "XY", 2, 0L), 2);
  EXPECT_EQ(read_file(dir.fd(), "f"), "abcXY");
}

TEST(Pread64, NegativeOffsetIsEinval) {
  MOAT_COVERS("pread64", "pwrite64");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[4];
  EXPECT_FAILS_WITH(syscall(SYS_pread64, fd.get(), buf, sizeof buf, -1L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_pwrite64, fd.get(), "x", 1, -1L), EINVAL);
}

TEST(Pread64, WrongAccessModeIsEbadf) {
  MOAT_COVERS("pread64", "pwrite64");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd wronly(open_at(dir.fd(), "f", O_WRONLY));
  ScopedFd rdonly(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(wronly.get(), 0) << strerror(errno);
  ASSERT_GE(rdonly.get(), 0) << strerror(errno);
  char buf[4];
  EXPECT_FAILS_WITH(syscall(SYS_pread64, wronly.get(), buf, sizeof buf, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_pwrite64, rdonly.get(), "x", 1, 0L), EBADF);
}

// ---- lseek ---------------------------------------------------------------

TEST(Lseek, SetCurAndEndGiveTheNewOffset) {
  MOAT_COVERS("lseek", "read");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 3L, SEEK_SET), 3);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 2L, SEEK_CUR), 5);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), -1L, SEEK_CUR), 4);
  char c = 0;
  EXPECT_EQ(syscall(SYS_read, fd.get(), &c, 1), 1);
  EXPECT_EQ(c, '4');
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_END), 10);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), -3L, SEEK_END), 7);
  EXPECT_EQ(syscall(SYS_read, fd.get(), &c, 1), 1);
  EXPECT_EQ(c, '7');
}

TEST(Lseek, NegativeResultIsEinvalAndKeepsTheOffset) {
  MOAT_COVERS("lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 4L, SEEK_SET), 4);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), -1L, SEEK_SET), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), -5L, SEEK_CUR), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), -11L, SEEK_END), EINVAL);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 0L, SEEK_CUR), 4);
}

TEST(Lseek, UnknownWhenceIsEinval) {
  MOAT_COVERS("lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "data");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), 0L, 42), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, 1000, 0L, SEEK_SET), EBADF);
}

TEST(Lseek, WritingPastTheEndLeavesAHoleOfZeros) {
  MOAT_COVERS("lseek", "write", "read", "fstat");
  TempDir dir;
  ScopedFd fd(open_at(dir.fd(), "f", O_CREAT | O_RDWR, 0644));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_write, fd.get(), "ab", 2), 2);
  EXPECT_EQ(syscall(SYS_lseek, fd.get(), 100L, SEEK_SET), 100) << "past the end is allowed";
  EXPECT_EQ(fstat_of(fd.get()).st_size, 2) << "seeking alone does not grow the file";
  ASSERT_EQ(syscall(SYS_write, fd.get(), "z", 1), 1);
  EXPECT_EQ(fstat_of(fd.get()).st_size, 101);
  const std::string content = read_file(dir.fd(), "f");
  EXPECT_EQ(content, "ab" + std::string(98, '\0') + "z");
}

// ---- umask ---------------------------------------------------------------

TEST(Umask, ReturnsThePreviousMaskAndMasksCreatedFiles) {
  MOAT_COVERS("umask", "openat", "mkdirat");
  TempDir dir;
  const mode_t original = static_cast<mode_t>(syscall(SYS_umask, 027));
  EXPECT_EQ(syscall(SYS_umask, 027), 027);
  ScopedFd fd(open_at(dir.fd(), "f", O_CREAT | O_RDWR, 0777));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(fstat_of(fd.get()).st_mode & 07777, 0750u);
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0777));
  EXPECT_EQ(lstat_of(dir.fd(), "d").st_mode & 07777, 0750u);
  // Only the permission bits are kept.
  syscall(SYS_umask, 0177777);
  EXPECT_EQ(syscall(SYS_umask, original), 0777);
}

// ---- fsync, fdatasync ----------------------------------------------------

TEST(Fsync, RegularFileSucceeds) {
  MOAT_COVERS("fsync", "fdatasync");
  TempDir dir;
  ScopedFd fd(open_at(dir.fd(), "f", O_CREAT | O_RDWR, 0644));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_write, fd.get(), "sync", 4), 4);
  EXPECT_SUCCEEDS(syscall(SYS_fsync, fd.get()));
  EXPECT_SUCCEEDS(syscall(SYS_fdatasync, fd.get()));
  ScopedFd rdonly(open_at(dir.fd(), "f", O_RDONLY));
  EXPECT_SUCCEEDS(syscall(SYS_fsync, rdonly.get())) << "no write access needed";
  EXPECT_SUCCEEDS(syscall(SYS_fsync, dir.fd())) << "directories too";
}

TEST(Fsync, PipeIsEinvalAndBadFdIsEbadf) {
  MOAT_COVERS("fsync", "fdatasync");
  int fds[2];
  ASSERT_SUCCEEDS(syscall(SYS_pipe2, fds, O_CLOEXEC));
  ScopedFd r(fds[0]);
  ScopedFd w(fds[1]);
  EXPECT_FAILS_WITH(syscall(SYS_fsync, w.get()), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fdatasync, w.get()), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fsync, 1000), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fdatasync, 1000), EBADF);
}

// ---- close_range ---------------------------------------------------------

// Duplicates `fd` onto `first`..`first + count - 1`, which must be free.
void dup_onto(int fd, int first, int count) {
  for (int i = 0; i < count; ++i) {
    ASSERT_FAILS_WITH(syscall(SYS_fcntl, first + i, F_GETFD), EBADF) << "fd " << first + i;
    ASSERT_EQ(syscall(SYS_dup3, fd, first + i, 0), first + i) << strerror(errno);
  }
}

TEST(CloseRange, ClosesEveryDescriptorInTheRange) {
  MOAT_COVERS("close_range");
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(dup_onto(dir.fd(), 300, 4));
  EXPECT_SUCCEEDS(syscall(SYS_close_range, 300, 302, 0));
  for (int fd = 300; fd <= 302; ++fd) {
    EXPECT_FAILS_WITH(syscall(SYS_fcntl, fd, F_GETFD), EBADF) << "fd " << fd;
  }
  EXPECT_SUCCEEDS(syscall(SYS_fcntl, 303, F_GETFD)) << "the last one is outside the range";
  EXPECT_SUCCEEDS(syscall(SYS_close_range, 300, 400, 0)) << "gaps are fine";
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, 303, F_GETFD), EBADF);
}

TEST(CloseRange, CloexecMarksWithoutClosing) {
  MOAT_COVERS("close_range", "fcntl");
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(dup_onto(dir.fd(), 310, 2));
  EXPECT_EQ(syscall(SYS_fcntl, 310, F_GETFD), 0);
  EXPECT_SUCCEEDS(syscall(SYS_close_range, 310, 311, CLOSE_RANGE_CLOEXEC));
  EXPECT_EQ(syscall(SYS_fcntl, 310, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(syscall(SYS_fcntl, 311, F_GETFD), FD_CLOEXEC);
  syscall(SYS_close_range, 310, 311, 0);
}

TEST(CloseRange, BadArgumentsAreEinval) {
  MOAT_COVERS("close_range");
  EXPECT_FAILS_WITH(syscall(SYS_close_range, 301, 300, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_close_range, 300, 301, 0x80), EINVAL);
}

}  // namespace
