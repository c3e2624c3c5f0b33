// File metadata and vectored positional I/O: chmod, fchmod, fchmodat, chown,
// fchown, lchown, fchownat, mknod, mknodat (regular files and FIFOs only:
// the sandbox refuses device nodes), chroot (in forked children), utimensat,
// preadv, pwritev, preadv2 and pwritev2. The suite runs as root, so the
// ownership changes are allowed. Every test works in its own fresh directory
// under /tmp.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <climits>
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

constexpr uid_t kNoUid = static_cast<uid_t>(-1);
constexpr gid_t kNoGid = static_cast<gid_t>(-1);

struct stat fstat_of(int fd) {
  struct stat st {};
  EXPECT_SUCCEEDS(syscall(SYS_fstat, fd, &st));
  return st;
}

struct stat stat_of(int dirfd, const char* path) {
  struct stat st {};
  EXPECT_SUCCEEDS(syscall(SYS_newfstatat, dirfd, path, &st, 0));
  return st;
}

struct stat lstat_of(int dirfd, const char* path) {
  struct stat st {};
  EXPECT_SUCCEEDS(syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW));
  return st;
}

// The child's exit status word, reaped.
int reap(pid_t pid) {
  int status = -1;
  const pid_t got = static_cast<pid_t>(MOAT_CALL(waitpid(pid, &status, 0)).value);
  EXPECT_EQ(got, pid) << strerror(errno);
  return status;
}

// Runs `body` in a forked child, which exits with what it returns, and
// returns the child's exit code (or -1 when it did not exit normally).
template <typename Body>
int run_in_child(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    _exit(body());
  }
  EXPECT_GT(pid, 0) << strerror(errno);
  if (pid <= 0) {
    return -1;
  }
  const int status = reap(pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

timespec now_realtime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

// ---- chmod, fchmod, fchmodat ---------------------------------------------

#ifdef SYS_chmod
TEST(Chmod, ChangesThePermissionBits) {
  MOAT_COVERS("chmod", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x", 0644);
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("f").c_str(), 0600));
  EXPECT_EQ(fstat_of(fd.get()).st_mode, S_IFREG | 0600u);
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("f").c_str(), 0));
  EXPECT_EQ(fstat_of(fd.get()).st_mode, S_IFREG | 0u);
}

TEST(Chmod, KeepsSetuidSetgidAndStickyBits) {
  MOAT_COVERS("chmod", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("f").c_str(), 06755));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 06755u);
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path().c_str(), 01777));
  EXPECT_EQ(fstat_of(dir.fd()).st_mode, S_IFDIR | 01777u);
}

TEST(Chmod, IgnoresTheUmaskAndTheFileTypeBits) {
  MOAT_COVERS("chmod");
  TempDir dir;
  ScopedUmask mask(077);
  write_file(dir.fd(), "f", "x");
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("f").c_str(), 0777));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0777u);
  // Only the low 12 bits count: a directory type does not change the file.
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("f").c_str(), S_IFDIR | 0640));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0640u);
}

TEST(Chmod, FollowsSymlinks) {
  MOAT_COVERS("chmod", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x", 0644);
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_chmod, dir.path("link").c_str(), 0604));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_mode, S_IFREG | 0604u);
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "link").st_mode));
}

TEST(Chmod, Errors) {
  MOAT_COVERS("chmod");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_chmod, dir.path("missing").c_str(), 0644), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_chmod, dir.path("f/x").c_str(), 0644), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_chmod, "", 0644), ENOENT);
}
#endif

TEST(Fchmod, ChangesTheModeOfTheOpenFile) {
  MOAT_COVERS("fchmod", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x", 0600);
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fchmod, fd.get(), 04751));
  EXPECT_EQ(fstat_of(fd.get()).st_mode, S_IFREG | 04751u);
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 04751u);
  // The open mode does not matter: a read-only descriptor may change it.
  ASSERT_SUCCEEDS(syscall(SYS_fchmod, fd.get(), 0400));
  EXPECT_EQ(fstat_of(fd.get()).st_mode, S_IFREG | 0400u);
}

TEST(Fchmod, WorksOnADirectoryAndAnUnlinkedFile) {
  MOAT_COVERS("fchmod", "unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_fchmod, dir.fd(), 0710));
  EXPECT_EQ(fstat_of(dir.fd()).st_mode, S_IFDIR | 0710u);
  ASSERT_SUCCEEDS(syscall(SYS_fchmod, dir.fd(), 0700));
  write_file(dir.fd(), "gone", "x", 0644);
  ScopedFd fd(open_at(dir.fd(), "gone", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "gone", 0));
  ASSERT_SUCCEEDS(syscall(SYS_fchmod, fd.get(), 0612));
  EXPECT_EQ(fstat_of(fd.get()).st_mode, S_IFREG | 0612u);
}

TEST(Fchmod, Errors) {
  MOAT_COVERS("fchmod");
  TempDir dir;
  write_file(dir.fd(), "f", "x", 0644);
  EXPECT_FAILS_WITH(syscall(SYS_fchmod, 1000, 0644), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fchmod, -1, 0644), EBADF);
  // An O_PATH descriptor does not allow it.
  ScopedFd path_fd(open_at(dir.fd(), "f", O_PATH));
  ASSERT_GE(path_fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_fchmod, path_fd.get(), 0600), EBADF);
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0644u);
}

TEST(Fchmodat, RelativeToADirectoryOrTheWorkingDirectory) {
  MOAT_COVERS("fchmodat");
  TempDir dir;
  write_file(dir.fd(), "f", "x", 0644);
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 0640));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0640u);
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, AT_FDCWD, dir.path("f").c_str(), 02700));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 02700u);
  // An absolute path ignores the directory descriptor, even a bad one.
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, 1000, dir.path("f").c_str(), 0604));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0604u);
}

TEST(Fchmodat, FollowsSymlinks) {
  MOAT_COVERS("fchmodat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x", 0644);
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "link", 01600));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_mode, S_IFREG | 01600u);
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "link").st_mode));
}

TEST(Fchmodat, Errors) {
  MOAT_COVERS("fchmodat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_fchmodat, dir.fd(), "missing", 0644), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_fchmodat, dir.fd(), "", 0644), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_fchmodat, dir.fd(), "f/x", 0644), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_fchmodat, 1000, "f", 0644), EBADF);
  ScopedFd file(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(file.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_fchmodat, file.get(), "f", 0644), ENOTDIR);
}

// ---- chown, fchown, lchown, fchownat -------------------------------------

#ifdef SYS_chown
TEST(Chown, ChangesOwnerAndGroup) {
  MOAT_COVERS("chown", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), 1234, 5678));
  const struct stat st = fstat_of(fd.get());
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode, S_IFREG | 0644u);
}

TEST(Chown, MinusOneKeepsThatId) {
  MOAT_COVERS("chown");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), 1234, 5678));
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), kNoUid, 42));
  struct stat st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 42u);
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), 7, kNoGid));
  st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_gid, 42u);
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), kNoUid, kNoGid));
  st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_gid, 42u);
}

TEST(Chown, FollowsSymlinks) {
  MOAT_COVERS("chown", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("link").c_str(), 1234, 5678));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_uid, 1234u);
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_uid, 0u);
}

TEST(Chown, ClearsTheSetuidBitOfARegularFile) {
  MOAT_COVERS("chown", "fchmodat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "f", 04755));
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("f").c_str(), 1234, 5678));
  EXPECT_EQ(stat_of(dir.fd(), "f").st_mode, S_IFREG | 0755u) << "even when root changes it";
  // A directory keeps its set-group-ID bit.
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_fchmodat, dir.fd(), "d", 02755));
  ASSERT_SUCCEEDS(syscall(SYS_chown, dir.path("d").c_str(), 1234, 5678));
  EXPECT_EQ(stat_of(dir.fd(), "d").st_mode, S_IFDIR | 02755u);
}

TEST(Chown, Errors) {
  MOAT_COVERS("chown");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_chown, dir.path("missing").c_str(), 1, 1), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_chown, dir.path("f/x").c_str(), 1, 1), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_chown, "", 1, 1), ENOENT);
}
#endif

TEST(Fchown, ChangesTheOpenFile) {
  MOAT_COVERS("fchown", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fchown, fd.get(), 1234, 5678));
  struct stat st = fstat_of(fd.get());
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  ASSERT_SUCCEEDS(syscall(SYS_fchown, fd.get(), kNoUid, 99));
  st = fstat_of(fd.get());
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 99u);
  // Directories too.
  ASSERT_SUCCEEDS(syscall(SYS_fchown, dir.fd(), 4321, kNoGid));
  EXPECT_EQ(fstat_of(dir.fd()).st_uid, 4321u);
  EXPECT_EQ(fstat_of(dir.fd()).st_gid, 0u);
}

TEST(Fchown, Errors) {
  MOAT_COVERS("fchown");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_fchown, 1000, 1, 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fchown, -1, 1, 1), EBADF);
  ScopedFd path_fd(open_at(dir.fd(), "f", O_PATH));
  ASSERT_GE(path_fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_fchown, path_fd.get(), 1, 1), EBADF);
  EXPECT_EQ(stat_of(dir.fd(), "f").st_uid, 0u);
}

#ifdef SYS_lchown
TEST(Lchown, ChangesTheLinkNotItsTarget) {
  MOAT_COVERS("lchown", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_lchown, dir.path("link").c_str(), 1234, 5678));
  const struct stat link = lstat_of(dir.fd(), "link");
  EXPECT_TRUE(S_ISLNK(link.st_mode));
  EXPECT_EQ(link.st_uid, 1234u);
  EXPECT_EQ(link.st_gid, 5678u);
  const struct stat target = stat_of(dir.fd(), "target");
  EXPECT_EQ(target.st_uid, 0u);
  EXPECT_EQ(target.st_gid, 0u);
  // A dangling link can be changed too; a regular file like chown.
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "missing", dir.fd(), "dangling"));
  ASSERT_SUCCEEDS(syscall(SYS_lchown, dir.path("dangling").c_str(), 11, 22));
  EXPECT_EQ(lstat_of(dir.fd(), "dangling").st_uid, 11u);
  ASSERT_SUCCEEDS(syscall(SYS_lchown, dir.path("target").c_str(), 33, kNoGid));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_uid, 33u);
  EXPECT_FAILS_WITH(syscall(SYS_lchown, dir.path("missing").c_str(), 1, 1), ENOENT);
}
#endif

TEST(Fchownat, FollowsOrNotAsAsked) {
  MOAT_COVERS("fchownat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, dir.fd(), "link", 1234, 5678, AT_SYMLINK_NOFOLLOW));
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_uid, 1234u);
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_gid, 5678u);
  EXPECT_EQ(stat_of(dir.fd(), "target").st_uid, 0u);
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, dir.fd(), "link", 4321, 8765, 0));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_uid, 4321u);
  EXPECT_EQ(stat_of(dir.fd(), "target").st_gid, 8765u);
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_uid, 1234u);
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, AT_FDCWD, dir.path("target").c_str(), kNoUid, 3, 0));
  EXPECT_EQ(stat_of(dir.fd(), "target").st_uid, 4321u);
  EXPECT_EQ(stat_of(dir.fd(), "target").st_gid, 3u);
}

TEST(Fchownat, EmptyPathChangesTheDescriptorsFile) {
  MOAT_COVERS("fchownat", "openat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, fd.get(), "", 1234, 5678, AT_EMPTY_PATH));
  EXPECT_EQ(fstat_of(fd.get()).st_uid, 1234u);
  EXPECT_EQ(fstat_of(fd.get()).st_gid, 5678u);
  // Unlike fchown, an O_PATH descriptor will do.
  ScopedFd path_fd(open_at(dir.fd(), "f", O_PATH));
  ASSERT_GE(path_fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, path_fd.get(), "", 11, 22, AT_EMPTY_PATH));
  EXPECT_EQ(fstat_of(fd.get()).st_uid, 11u);
  EXPECT_EQ(fstat_of(fd.get()).st_gid, 22u);
  // An O_PATH descriptor of a symlink names the link itself.
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "f", dir.fd(), "link"));
  ScopedFd link_fd(open_at(dir.fd(), "link", O_PATH | O_NOFOLLOW));
  ASSERT_GE(link_fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fchownat, link_fd.get(), "", 77, 88, AT_EMPTY_PATH));
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_uid, 77u);
  EXPECT_EQ(fstat_of(fd.get()).st_uid, 11u);
}

TEST(Fchownat, Errors) {
  MOAT_COVERS("fchownat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, dir.fd(), "f", 1, 1, 0x1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, dir.fd(), "f", 1, 1, 0x40000000), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, dir.fd(), "", 1, 1, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, dir.fd(), "missing", 1, 1, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, 1000, "f", 1, 1, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fchownat, 1000, "", 1, 1, AT_EMPTY_PATH), EBADF);
  EXPECT_EQ(stat_of(dir.fd(), "f").st_uid, 0u);
}

// ---- mknod, mknodat ------------------------------------------------------

TEST(Mknodat, FifoGetsTheModeLessTheUmask) {
  MOAT_COVERS("mknodat", "newfstatat");
  TempDir dir;
  ScopedUmask mask(022);
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "fifo", S_IFIFO | 0666, 0));
  const struct stat st = lstat_of(dir.fd(), "fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode, S_IFIFO | 0644u);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(Mknodat, FifoCarriesData) {
  MOAT_COVERS("mknodat", "openat", "write", "read");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "fifo", S_IFIFO | 0600, 0));
  // O_RDWR opens a FIFO at once, with no other end needed.
  ScopedFd fd(open_at(dir.fd(), "fifo", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_TRUE(S_ISFIFO(fstat_of(fd.get()).st_mode));
  EXPECT_EQ(syscall(SYS_write, fd.get(), "piped", 5), 5);
  char buf[8] = {};
  EXPECT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "piped");
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), 0L, SEEK_SET), ESPIPE);
}

TEST(Mknodat, RegularFileByTypeOrByTypeZero) {
  MOAT_COVERS("mknodat", "newfstatat");
  TempDir dir;
  ScopedUmask mask(027);
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "reg", S_IFREG | 0666, 0));
  struct stat st = lstat_of(dir.fd(), "reg");
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u);
  EXPECT_EQ(st.st_size, 0);
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "zero", 0644, 0));
  st = lstat_of(dir.fd(), "zero");
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u) << "file type 0 makes a regular file";
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "nothing", 0, 0));
  EXPECT_EQ(lstat_of(dir.fd(), "nothing").st_mode, S_IFREG | 0u);
  EXPECT_EQ(read_file(dir.fd(), "reg"), "");
}

TEST(Mknodat, KeepsSetuidAndStickyBits) {
  MOAT_COVERS("mknodat");
  TempDir dir;
  ScopedUmask mask(0);
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "reg", S_IFREG | 04755, 0));
  EXPECT_EQ(lstat_of(dir.fd(), "reg").st_mode, S_IFREG | 04755u);
  ASSERT_SUCCEEDS(syscall(SYS_mknodat, dir.fd(), "fifo", S_IFIFO | 01600, 0));
  EXPECT_EQ(lstat_of(dir.fd(), "fifo").st_mode, S_IFIFO | 01600u);
}

TEST(Mknodat, ExistingNameIsEexist) {
  MOAT_COVERS("mknodat");
  TempDir dir;
  write_file(dir.fd(), "f", "keep");
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "f", S_IFREG | 0644, 0), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "f", S_IFIFO | 0644, 0), EEXIST);
  EXPECT_EQ(read_file(dir.fd(), "f"), "keep");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "missing", dir.fd(), "dangling"));
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "dangling", S_IFREG | 0644, 0), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), ".", S_IFIFO | 0644, 0), EEXIST);
}

TEST(Mknodat, BadTypesAreRefused) {
  MOAT_COVERS("mknodat");
  TempDir dir;
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "d", S_IFDIR | 0755, 0), EPERM);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "l", S_IFLNK | 0777, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "m", S_IFMT | 0644, 0), EINVAL);
  struct stat st {};
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "d", &st, AT_SYMLINK_NOFOLLOW), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "l", &st, AT_SYMLINK_NOFOLLOW), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_newfstatat, dir.fd(), "m", &st, AT_SYMLINK_NOFOLLOW), ENOENT);
}

TEST(Mknodat, PathErrors) {
  MOAT_COVERS("mknodat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "missing/x", S_IFIFO | 0644, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "", S_IFIFO | 0644, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, dir.fd(), "f/x", S_IFIFO | 0644, 0), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, 1000, "x", S_IFIFO | 0644, 0), EBADF);
  ScopedFd file(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(file.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_mknodat, file.get(), "x", S_IFIFO | 0644, 0), ENOTDIR);
}

#ifdef SYS_mknod
TEST(Mknod, CreatesByAbsolutePath) {
  MOAT_COVERS("mknod");
  TempDir dir;
  ScopedUmask mask(022);
  ASSERT_SUCCEEDS(syscall(SYS_mknod, dir.path("fifo").c_str(), S_IFIFO | 0666, 0));
  EXPECT_EQ(lstat_of(dir.fd(), "fifo").st_mode, S_IFIFO | 0644u);
  ASSERT_SUCCEEDS(syscall(SYS_mknod, dir.path("reg").c_str(), 0600, 0));
  EXPECT_EQ(lstat_of(dir.fd(), "reg").st_mode, S_IFREG | 0600u);
  EXPECT_FAILS_WITH(syscall(SYS_mknod, dir.path("reg").c_str(), S_IFIFO | 0600, 0), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_mknod, dir.path("d").c_str(), S_IFDIR | 0755, 0), EPERM);
  EXPECT_FAILS_WITH(syscall(SYS_mknod, dir.path("no/x").c_str(), S_IFIFO | 0600, 0), ENOENT);
}
#endif

// ---- chroot --------------------------------------------------------------

// Exit codes of the chroot children: 0 when every check passed, else the
// first failing check's number.
int chroot_and_look_around(const std::string& root, const struct stat& root_st) {
  if (syscall(SYS_chroot, root.c_str()) != 0) {
    return 10;
  }
  if (syscall(SYS_chdir, "/") != 0) {
    return 11;
  }
  char cwd[PATH_MAX] = {};
  if (syscall(SYS_getcwd, cwd, sizeof cwd) != 2 || strcmp(cwd, "/") != 0) {
    return 12;
  }
  struct stat st {};
  if (syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) != 0 || st.st_ino != root_st.st_ino ||
      st.st_dev != root_st.st_dev) {
    return 13;
  }
  // ".." of the new root is the new root itself.
  struct stat up {};
  if (syscall(SYS_newfstatat, AT_FDCWD, "/..", &up, 0) != 0 || up.st_ino != root_st.st_ino ||
      up.st_dev != root_st.st_dev) {
    return 14;
  }
  const long inside = syscall(SYS_openat, AT_FDCWD, "/inside", O_RDONLY | O_DIRECTORY);
  if (inside < 0) {
    return 15;
  }
  syscall(SYS_close, inside);
  const long file = syscall(SYS_openat, AT_FDCWD, "/../../inside/../file", O_RDONLY);
  if (file < 0) {
    return 16;
  }
  char buf[16] = {};
  const long n = syscall(SYS_read, file, buf, sizeof buf);
  syscall(SYS_close, file);
  if (n != 6 || memcmp(buf, "jailed", 6) != 0) {
    return 17;
  }
  // Names outside the new root are gone.
  const std::string outside = root + "/file";
  if (syscall(SYS_openat, AT_FDCWD, outside.c_str(), O_RDONLY) != -1 || errno != ENOENT) {
    return 18;
  }
  if (syscall(SYS_chdir, "inside") != 0 || syscall(SYS_chdir, "../..") != 0) {
    return 19;
  }
  if (syscall(SYS_getcwd, cwd, sizeof cwd) != 2 || strcmp(cwd, "/") != 0) {
    return 20;
  }
  if (syscall(SYS_chdir, "/inside") != 0 || syscall(SYS_getcwd, cwd, sizeof cwd) != 8 ||
      strcmp(cwd, "/inside") != 0) {
    return 21;
  }
  return 0;
}

TEST(Chroot, ChildSeesTheNewRoot) {
  MOAT_COVERS("chroot", "chdir", "getcwd", "newfstatat", "openat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "inside", 0755));
  write_file(dir.fd(), "file", "jailed");
  const struct stat root_st = fstat_of(dir.fd());
  const std::string root = dir.path();
  EXPECT_EQ(run_in_child([&] { return chroot_and_look_around(root, root_st); }), 0);
  // The parent's root did not change.
  EXPECT_EQ(read_file(AT_FDCWD, dir.path("file")), "jailed");
}

TEST(Chroot, RelativePathAndDotDotDoNotEscape) {
  MOAT_COVERS("chroot", "chdir", "getcwd", "newfstatat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "inside", 0755));
  write_file(dir.fd(), "inside/marker", "m");
  struct stat inside_st {};
  ASSERT_SUCCEEDS(syscall(SYS_newfstatat, dir.fd(), "inside", &inside_st, 0));
  const std::string root = dir.path();
  const int code = run_in_child([&] {
    if (syscall(SYS_chdir, root.c_str()) != 0) {
      return 1;
    }
    if (syscall(SYS_chroot, "inside") != 0) {
      return 2;
    }
    if (syscall(SYS_chdir, "/") != 0) {
      return 3;
    }
    for (int i = 0; i < 5; ++i) {
      if (syscall(SYS_chdir, "..") != 0) {
        return 4;
      }
    }
    struct stat st {};
    if (syscall(SYS_newfstatat, AT_FDCWD, ".", &st, 0) != 0 || st.st_ino != inside_st.st_ino ||
        st.st_dev != inside_st.st_dev) {
      return 5;
    }
    if (syscall(SYS_newfstatat, AT_FDCWD, "marker", &st, 0) != 0 ||
        syscall(SYS_newfstatat, AT_FDCWD, "/marker", &st, 0) != 0) {
      return 6;
    }
    char cwd[PATH_MAX] = {};
    if (syscall(SYS_getcwd, cwd, sizeof cwd) != 2 || strcmp(cwd, "/") != 0) {
      return 7;
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(Chroot, WorkingDirectoryOutsideTheNewRootIsUnreachable) {
  MOAT_COVERS("chroot", "getcwd");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "jail", 0755));
  const std::string root = dir.path();
  const std::string jail = dir.path("jail");
  const int code = run_in_child([&] {
    if (syscall(SYS_chdir, root.c_str()) != 0) {
      return 1;
    }
    if (syscall(SYS_chroot, jail.c_str()) != 0) {
      return 2;
    }
    // The working directory stays where it was, outside the new root, and
    // getcwd says so.
    char cwd[PATH_MAX] = {};
    const long n = syscall(SYS_getcwd, cwd, sizeof cwd);
    const std::string want = "(unreachable)" + root;
    if (n != static_cast<long>(want.size() + 1) || want != cwd) {
      return 3;
    }
    // Relative names still resolve from there.
    struct stat st {};
    if (syscall(SYS_newfstatat, AT_FDCWD, "jail", &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
      return 4;
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(Chroot, Errors) {
  MOAT_COVERS("chroot");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  EXPECT_FAILS_WITH(syscall(SYS_chroot, dir.path("f").c_str()), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_chroot, dir.path("missing").c_str()), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_chroot, dir.path("f/x").c_str()), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_chroot, ""), ENOENT);
}

// ---- utimensat -----------------------------------------------------------

TEST(Utimensat, SetsExactTimes) {
  MOAT_COVERS("utimensat", "newfstatat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  const timespec times[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", times, 0));
  const struct stat st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_atim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 987654321);
  // Before the epoch too.
  const timespec old[2] = {{-1, 0}, {0, 1}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, AT_FDCWD, dir.path("f").c_str(), old, 0));
  const struct stat st2 = stat_of(dir.fd(), "f");
  EXPECT_EQ(st2.st_atim.tv_sec, -1);
  EXPECT_EQ(st2.st_atim.tv_nsec, 0);
  EXPECT_EQ(st2.st_mtim.tv_sec, 0);
  EXPECT_EQ(st2.st_mtim.tv_nsec, 1);
}

TEST(Utimensat, OmitKeepsATime) {
  MOAT_COVERS("utimensat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  const timespec first[2] = {{100, 1}, {200, 2}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", first, 0));
  const timespec atime_only[2] = {{300, 3}, {999, UTIME_OMIT}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", atime_only, 0));
  struct stat st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_atim.tv_sec, 300);
  EXPECT_EQ(st.st_atim.tv_nsec, 3);
  EXPECT_EQ(st.st_mtim.tv_sec, 200);
  EXPECT_EQ(st.st_mtim.tv_nsec, 2);
  const timespec mtime_only[2] = {{0, UTIME_OMIT}, {400, 4}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", mtime_only, 0));
  st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_atim.tv_sec, 300);
  EXPECT_EQ(st.st_mtim.tv_sec, 400);
  EXPECT_EQ(st.st_mtim.tv_nsec, 4);
  const timespec neither[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", neither, 0));
  st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_atim.tv_sec, 300);
  EXPECT_EQ(st.st_mtim.tv_sec, 400);
}

TEST(Utimensat, NowAndNullTimesSetTheCurrentTime) {
  MOAT_COVERS("utimensat", "newfstatat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  const timespec old[2] = {{100, 0}, {200, 0}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", old, 0));
  const timespec before = now_realtime();
  const timespec mtime_now[2] = {{0, UTIME_OMIT}, {12345, UTIME_NOW}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", mtime_now, 0));
  struct stat st = stat_of(dir.fd(), "f");
  timespec after = now_realtime();
  EXPECT_EQ(st.st_atim.tv_sec, 100);
  // File times come from a coarse clock: allow a second either way.
  EXPECT_GE(st.st_mtim.tv_sec, before.tv_sec - 1);
  EXPECT_LE(st.st_mtim.tv_sec, after.tv_sec + 1);
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", old, 0));
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", nullptr, 0));
  st = stat_of(dir.fd(), "f");
  after = now_realtime();
  EXPECT_GE(st.st_atim.tv_sec, before.tv_sec - 1);
  EXPECT_LE(st.st_atim.tv_sec, after.tv_sec + 1);
  EXPECT_GE(st.st_mtim.tv_sec, before.tv_sec - 1);
  EXPECT_LE(st.st_mtim.tv_sec, after.tv_sec + 1);
}

TEST(Utimensat, SymlinkNofollowChangesTheLink) {
  MOAT_COVERS("utimensat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "target", "x");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "target", dir.fd(), "link"));
  const timespec target_times[2] = {{500, 5}, {600, 6}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "target", target_times, 0));
  const timespec link_times[2] = {{700, 7}, {800, 8}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "link", link_times, AT_SYMLINK_NOFOLLOW));
  const struct stat link = lstat_of(dir.fd(), "link");
  EXPECT_EQ(link.st_atim.tv_sec, 700);
  EXPECT_EQ(link.st_mtim.tv_sec, 800);
  EXPECT_EQ(link.st_mtim.tv_nsec, 8);
  struct stat target = stat_of(dir.fd(), "target");
  EXPECT_EQ(target.st_atim.tv_sec, 500);
  EXPECT_EQ(target.st_mtim.tv_sec, 600);
  // Without the flag the target changes.
  const timespec through[2] = {{900, 9}, {1000, 10}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "link", through, 0));
  target = stat_of(dir.fd(), "target");
  EXPECT_EQ(target.st_mtim.tv_sec, 1000);
  EXPECT_EQ(target.st_mtim.tv_nsec, 10);
  EXPECT_EQ(lstat_of(dir.fd(), "link").st_mtim.tv_sec, 800);
}

TEST(Utimensat, NullPathMeansTheDescriptor) {
  MOAT_COVERS("utimensat", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  const timespec times[2] = {{111, 1}, {222, 2}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, fd.get(), nullptr, times, 0));
  struct stat st = fstat_of(fd.get());
  EXPECT_EQ(st.st_atim.tv_sec, 111);
  EXPECT_EQ(st.st_mtim.tv_sec, 222);
  EXPECT_EQ(st.st_mtim.tv_nsec, 2);
  // So does an empty path with AT_EMPTY_PATH.
  const timespec more[2] = {{333, 3}, {444, 4}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, fd.get(), "", more, AT_EMPTY_PATH));
  st = fstat_of(fd.get());
  EXPECT_EQ(st.st_atim.tv_sec, 333);
  EXPECT_EQ(st.st_mtim.tv_sec, 444);
  // A directory descriptor's directory.
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), nullptr, times, 0));
  EXPECT_EQ(fstat_of(dir.fd()).st_mtim.tv_sec, 222);
}

TEST(Utimensat, InvalidNanosecondsAreEinval) {
  MOAT_COVERS("utimensat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  const timespec good[2] = {{100, 0}, {200, 0}};
  ASSERT_SUCCEEDS(syscall(SYS_utimensat, dir.fd(), "f", good, 0));
  const timespec too_big[2] = {{1, 1000000000}, {2, 0}};
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f", too_big, 0), EINVAL);
  const timespec negative[2] = {{1, 0}, {2, -1}};
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f", negative, 0), EINVAL);
  // The bad half makes the call fail even when the other one is omitted.
  const timespec half[2] = {{1, UTIME_OMIT}, {2, 1000000000}};
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f", half, 0), EINVAL);
  const struct stat st = stat_of(dir.fd(), "f");
  EXPECT_EQ(st.st_atim.tv_sec, 100);
  EXPECT_EQ(st.st_mtim.tv_sec, 200);
}

TEST(Utimensat, BadFlagsAndPathErrors) {
  MOAT_COVERS("utimensat");
  TempDir dir;
  write_file(dir.fd(), "f", "x");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f", nullptr, 0x1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f", nullptr, 0x40000000), EINVAL);
  // A NULL path takes no flags at all.
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, fd.get(), nullptr, nullptr, AT_SYMLINK_NOFOLLOW),
                    EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "missing", nullptr, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "", nullptr, 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, dir.fd(), "f/x", nullptr, 0), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, 1000, nullptr, nullptr, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_utimensat, 1000, "f", nullptr, 0), EBADF);
}

// ---- preadv, pwritev, preadv2, pwritev2 ----------------------------------

off_t offset_of(int fd) {
  return static_cast<off_t>(syscall(SYS_lseek, fd, 0L, SEEK_CUR));
}

TEST(Pwritev, GathersAtAnOffsetWithoutMovingTheFileOffset) {
  MOAT_COVERS("pwritev", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 1L, SEEK_SET), 1);
  char a[] = "ab";
  char b[] = "CDE";
  iovec iov[2] = {{a, 2}, {b, 3}};
  EXPECT_EQ(syscall(SYS_pwritev, fd.get(), iov, 2, 4L, 0L), 5);
  EXPECT_EQ(offset_of(fd.get()), 1);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123abCDE9");
  // Past the end leaves a hole of zeros.
  iovec tail[1] = {{a, 2}};
  EXPECT_EQ(syscall(SYS_pwritev, fd.get(), tail, 1, 12L, 0L), 2);
  EXPECT_EQ(read_file(dir.fd(), "f"), std::string("0123abCDE9\0\0ab", 14));
  EXPECT_EQ(offset_of(fd.get()), 1);
}

TEST(Preadv, ScattersFromAnOffsetWithoutMovingTheFileOffset) {
  MOAT_COVERS("preadv", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 7L, SEEK_SET), 7);
  char a[3] = {};
  char b[4] = {};
  iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), iov, 2, 2L, 0L), 7);
  EXPECT_EQ(std::string(a, 3), "234");
  EXPECT_EQ(std::string(b, 4), "5678");
  EXPECT_EQ(offset_of(fd.get()), 7);
  // Near the end it is short; at or past the end it reads nothing.
  memset(b, '#', sizeof b);
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), iov, 2, 5L, 0L), 5);
  EXPECT_EQ(std::string(a, 3), "567");
  EXPECT_EQ(std::string(b, 4), "89##");
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), iov, 2, 10L, 0L), 0);
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), iov, 2, 100L, 0L), 0);
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), iov, 0, 0L, 0L), 0);
  EXPECT_EQ(offset_of(fd.get()), 7);
}

TEST(Preadv, SkipsEmptyIovecs) {
  MOAT_COVERS("preadv", "pwritev");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char a[] = "xy";
  char z[] = "z";
  iovec out[3] = {{a, 2}, {nullptr, 0}, {z, 1}};
  EXPECT_EQ(syscall(SYS_pwritev, fd.get(), out, 3, 0L, 0L), 3);
  char r1[1] = {};
  char r2[2] = {};
  iovec in[3] = {{r1, 1}, {nullptr, 0}, {r2, 2}};
  EXPECT_EQ(syscall(SYS_preadv, fd.get(), in, 3, 0L, 0L), 3);
  EXPECT_EQ(std::string(r1, 1) + std::string(r2, 2), "xyz");
}

TEST(Pwritev, OnAnAppendOnlyDescriptorAppends) {
  MOAT_COVERS("pwritev");
  TempDir dir;
  write_file(dir.fd(), "f", "abc");
  ScopedFd fd(open_at(dir.fd(), "f", O_WRONLY | O_APPEND));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char d[] = "de";
  iovec iov[1] = {{d, 2}};
  // Linux ignores the offset when the file was opened with O_APPEND.
  EXPECT_EQ(syscall(SYS_pwritev, fd.get(), iov, 1, 0L, 0L), 2);
  EXPECT_EQ(read_file(dir.fd(), "f"), "abcde");
}

TEST(PreadvPwritev, Errors) {
  MOAT_COVERS("preadv", "pwritev");
  TempDir dir;
  write_file(dir.fd(), "f", "0123");
  ScopedFd rd(open_at(dir.fd(), "f", O_RDONLY));
  ScopedFd wr(open_at(dir.fd(), "f", O_WRONLY));
  ASSERT_GE(rd.get(), 0) << strerror(errno);
  ASSERT_GE(wr.get(), 0) << strerror(errno);
  char buf[4];
  iovec iov[1] = {{buf, sizeof buf}};
  EXPECT_FAILS_WITH(syscall(SYS_preadv, rd.get(), iov, 1, -1L, 0L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, rd.get(), iov, 1, -2L, 0L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev, wr.get(), iov, 1, -1L, 0L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, 1000, iov, 1, 0L, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev, 1000, iov, 1, 0L, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, wr.get(), iov, 1, 0L, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev, rd.get(), iov, 1, 0L, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, rd.get(), iov, IOV_MAX + 1, 0L, 0L), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, dir.fd(), iov, 1, 0L, 0L), EISDIR);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123");
}

TEST(PreadvPwritev, PipeIsEspipe) {
  MOAT_COVERS("preadv", "pwritev");
  char buf[4] = {};
  iovec iov[1] = {{buf, sizeof buf}};
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0) << strerror(errno);
  ScopedFd pr(p[0]);
  ScopedFd pw(p[1]);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev, pw.get(), iov, 1, 0L, 0L), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_preadv, pr.get(), iov, 1, 0L, 0L), ESPIPE);
}

TEST(Preadv2Pwritev2, PositionedLikePreadvAndPwritev) {
  MOAT_COVERS("preadv2", "pwritev2", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "..........");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char a[] = "AB";
  char b[] = "cd";
  iovec out[2] = {{a, 2}, {b, 2}};
  EXPECT_EQ(syscall(SYS_pwritev2, fd.get(), out, 2, 3L, 0L, 0), 4);
  EXPECT_EQ(offset_of(fd.get()), 0);
  EXPECT_EQ(read_file(dir.fd(), "f"), "...ABcd...");
  char r1[3] = {};
  char r2[2] = {};
  iovec in[2] = {{r1, sizeof r1}, {r2, sizeof r2}};
  EXPECT_EQ(syscall(SYS_preadv2, fd.get(), in, 2, 2L, 0L, 0), 5);
  EXPECT_EQ(std::string(r1, 3) + std::string(r2, 2), ".ABcd");
  EXPECT_EQ(offset_of(fd.get()), 0);
}

TEST(Preadv2Pwritev2, OffsetMinusOneUsesAndMovesTheFileOffset) {
  MOAT_COVERS("preadv2", "pwritev2", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_EQ(syscall(SYS_lseek, fd.get(), 2L, SEEK_SET), 2);
  char r1[2] = {};
  char r2[3] = {};
  iovec in[2] = {{r1, sizeof r1}, {r2, sizeof r2}};
  EXPECT_EQ(syscall(SYS_preadv2, fd.get(), in, 2, -1L, 0L, 0), 5);
  EXPECT_EQ(std::string(r1, 2) + std::string(r2, 3), "23456");
  EXPECT_EQ(offset_of(fd.get()), 7);
  char w[] = "xyz";
  iovec out[1] = {{w, 3}};
  EXPECT_EQ(syscall(SYS_pwritev2, fd.get(), out, 1, -1L, 0L, 0), 3);
  EXPECT_EQ(offset_of(fd.get()), 10);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123456xyz");
  EXPECT_EQ(syscall(SYS_preadv2, fd.get(), in, 2, -1L, 0L, 0), 0);
}

TEST(Preadv2Pwritev2, OffsetMinusOneWorksOnAPipe) {
  MOAT_COVERS("preadv2", "pwritev2");
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0) << strerror(errno);
  ScopedFd pr(p[0]);
  ScopedFd pw(p[1]);
  char w1[] = "pi";
  char w2[] = "ped";
  iovec out[2] = {{w1, 2}, {w2, 3}};
  EXPECT_EQ(syscall(SYS_pwritev2, pw.get(), out, 2, -1L, 0L, 0), 5);
  char r[8] = {};
  iovec in[1] = {{r, sizeof r}};
  EXPECT_EQ(syscall(SYS_preadv2, pr.get(), in, 1, -1L, 0L, 0), 5);
  EXPECT_EQ(std::string(r, 5), "piped");
  // Any other offset is ESPIPE.
  EXPECT_FAILS_WITH(syscall(SYS_preadv2, pr.get(), in, 1, 0L, 0L, 0), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev2, pw.get(), out, 2, 0L, 0L, 0), ESPIPE);
}

TEST(Preadv2Pwritev2, SyncAndPollingFlagsAreAccepted) {
  MOAT_COVERS("preadv2", "pwritev2");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char w[] = "ab";
  iovec out[1] = {{w, 2}};
  EXPECT_EQ(syscall(SYS_pwritev2, fd.get(), out, 1, 0L, 0L, RWF_DSYNC), 2);
  EXPECT_EQ(syscall(SYS_pwritev2, fd.get(), out, 1, 4L, 0L, RWF_SYNC), 2);
  EXPECT_EQ(read_file(dir.fd(), "f"), "ab23ab6789");
  char r[4] = {};
  iovec in[1] = {{r, sizeof r}};
  EXPECT_EQ(syscall(SYS_preadv2, fd.get(), in, 1, 3L, 0L, RWF_HIPRI), 4);
  EXPECT_EQ(std::string(r, 4), "3ab6");
  EXPECT_EQ(offset_of(fd.get()), 0);
}

TEST(Preadv2Pwritev2, RwfAppendWritesAtTheEnd) {
  MOAT_COVERS("pwritev2", "lseek");
  TempDir dir;
  write_file(dir.fd(), "f", "0123456789");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char w[] = "ab";
  iovec out[1] = {{w, 2}};
  // Whatever the offset; a positioned write still leaves the file offset.
  EXPECT_EQ(syscall(SYS_pwritev2, fd.get(), out, 1, 1L, 0L, RWF_APPEND), 2);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123456789ab");
  EXPECT_EQ(offset_of(fd.get()), 0);
}

TEST(Preadv2Pwritev2, Errors) {
  MOAT_COVERS("preadv2", "pwritev2");
  TempDir dir;
  write_file(dir.fd(), "f", "0123");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDWR));
  ScopedFd rd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_GE(rd.get(), 0) << strerror(errno);
  char buf[4];
  iovec iov[1] = {{buf, sizeof buf}};
  EXPECT_FAILS_WITH(syscall(SYS_preadv2, fd.get(), iov, 1, 0L, 0L, 1 << 30), EOPNOTSUPP);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev2, fd.get(), iov, 1, 0L, 0L, 1 << 30), EOPNOTSUPP);
  EXPECT_FAILS_WITH(syscall(SYS_preadv2, fd.get(), iov, 1, -1L, 0L, 1 << 30), EOPNOTSUPP);
  EXPECT_FAILS_WITH(syscall(SYS_preadv2, fd.get(), iov, 1, -2L, 0L, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev2, fd.get(), iov, 1, -2L, 0L, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_preadv2, 1000, iov, 1, 0L, 0L, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev2, 1000, iov, 1, -1L, 0L, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_pwritev2, rd.get(), iov, 1, 0L, 0L, 0), EBADF);
  EXPECT_EQ(offset_of(fd.get()), 0);
  EXPECT_EQ(read_file(dir.fd(), "f"), "0123");
}

}  // namespace
