// statfs and fstatfs, reading and listing extended attributes, fadvise64 and
// sysinfo. The attribute cases only read: a fresh file in a fresh directory
// under /tmp has no "user." attribute and an empty list (natively on ext4,
// and in the sandbox, where /tmp is a tmpfs that reports no attributes).
// The fadvise64 calls pass (fd, offset, len, advice) on x86-64 and arm64.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::open_at;
using moat::conformance::ScopedFd;
using moat::conformance::TempDir;
using moat::conformance::write_file;

// An address no process has mapped.
void* const kBadAddress = reinterpret_cast<void*>(8);
const char* const kBadPath = reinterpret_cast<const char*>(8);

constexpr long kPipefsMagic = 0x50495045;

struct statfs statfs_of(const char* path) {
  struct statfs st {};
  EXPECT_SUCCEEDS(syscall(SYS_statfs, path, &st)) << path;
  return st;
}

struct statfs fstatfs_of(int fd) {
  struct statfs st {};
  EXPECT_SUCCEEDS(syscall(SYS_fstatfs, fd, &st));
  return st;
}

// ---------------------------------------------------------------------------
// statfs, fstatfs

TEST(Statfs, RootTmpAndAFileInATempDir) {
  MOAT_COVERS("statfs");
  TempDir dir;
  write_file(dir.fd(), "file", "data");
  const std::string file = dir.path("file");
  for (const char* path : {"/", "/tmp", dir.path().c_str(), file.c_str()}) {
    const struct statfs st = statfs_of(path);
    EXPECT_NE(st.f_type, 0) << path;
    EXPECT_GT(st.f_bsize, 0) << path;
    EXPECT_GT(st.f_namelen, 0) << path;
    EXPECT_LE(st.f_bfree, st.f_blocks) << path;
    EXPECT_LE(st.f_bavail, st.f_bfree) << path;
    EXPECT_LE(st.f_ffree, st.f_files) << path;
  }
  // The temporary directory is on /tmp's file system.
  const struct statfs tmp = statfs_of("/tmp");
  const struct statfs in_dir = statfs_of(file.c_str());
  EXPECT_EQ(in_dir.f_type, tmp.f_type);
  EXPECT_EQ(in_dir.f_bsize, tmp.f_bsize);
  EXPECT_EQ(memcmp(&in_dir.f_fsid, &tmp.f_fsid, sizeof tmp.f_fsid), 0);
}

TEST(Statfs, FollowsSymlinks) {
  MOAT_COVERS("statfs");
  TempDir dir;
  ASSERT_EQ(symlinkat("/", dir.fd(), "to_root"), 0) << strerror(errno);
  const struct statfs root = statfs_of("/");
  const struct statfs link = statfs_of(dir.path("to_root").c_str());
  EXPECT_EQ(link.f_type, root.f_type);
  EXPECT_EQ(link.f_bsize, root.f_bsize);
  ASSERT_EQ(symlinkat(dir.path("missing").c_str(), dir.fd(), "dangling"), 0) << strerror(errno);
  struct statfs st {};
  EXPECT_FAILS_WITH(syscall(SYS_statfs, dir.path("dangling").c_str(), &st), ENOENT);
}

TEST(Statfs, Errors) {
  MOAT_COVERS("statfs");
  TempDir dir;
  write_file(dir.fd(), "file", "data");
  struct statfs st {};
  EXPECT_FAILS_WITH(syscall(SYS_statfs, dir.path("missing").c_str(), &st), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_statfs, "", &st), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_statfs, dir.path("file/x").c_str(), &st), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_statfs, kBadPath, &st), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_statfs, "/", kBadAddress), EFAULT);
  const std::string too_long(PATH_MAX + 1, 'a');
  EXPECT_FAILS_WITH(syscall(SYS_statfs, too_long.c_str(), &st), ENAMETOOLONG);
}

TEST(Fstatfs, MatchesStatfsOfThePath) {
  MOAT_COVERS("fstatfs", "statfs");
  TempDir dir;
  write_file(dir.fd(), "file", "data");
  const std::string file = dir.path("file");
  for (const char* path : {"/", "/tmp", dir.path().c_str(), file.c_str()}) {
    for (const int flags : {O_RDONLY, O_PATH}) {
      const ScopedFd fd(open_at(AT_FDCWD, path, flags | O_CLOEXEC));
      ASSERT_GE(fd.get(), 0) << path << ": " << strerror(errno);
      const struct statfs by_fd = fstatfs_of(fd.get());
      const struct statfs by_path = statfs_of(path);
      EXPECT_EQ(by_fd.f_type, by_path.f_type) << path << " flags " << flags;
      EXPECT_EQ(by_fd.f_bsize, by_path.f_bsize) << path << " flags " << flags;
      EXPECT_EQ(by_fd.f_namelen, by_path.f_namelen) << path << " flags " << flags;
      EXPECT_EQ(memcmp(&by_fd.f_fsid, &by_path.f_fsid, sizeof by_path.f_fsid), 0) << path;
    }
  }
}

TEST(Fstatfs, APipeIsOnPipefs) {
  MOAT_COVERS("fstatfs");
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const ScopedFd read_end(fds[0]);
  const ScopedFd write_end(fds[1]);
  EXPECT_EQ(fstatfs_of(read_end.get()).f_type, kPipefsMagic);
  EXPECT_EQ(fstatfs_of(write_end.get()).f_type, kPipefsMagic);
}

TEST(Fstatfs, Errors) {
  MOAT_COVERS("fstatfs");
  struct statfs st {};
  EXPECT_FAILS_WITH(syscall(SYS_fstatfs, -1, &st), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fstatfs, 999, &st), EBADF);
  const ScopedFd fd(open_at(AT_FDCWD, "/", O_RDONLY | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0);
  EXPECT_FAILS_WITH(syscall(SYS_fstatfs, fd.get(), kBadAddress), EFAULT);
}

// ---------------------------------------------------------------------------
// getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr

class Xattr : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(m_dir.fd(), "file", "data");
    ASSERT_EQ(mkdirat(m_dir.fd(), "sub", 0755), 0) << strerror(errno);
    ASSERT_EQ(symlinkat("file", m_dir.fd(), "link"), 0) << strerror(errno);
    m_file = m_dir.path("file");
    m_sub = m_dir.path("sub");
    m_link = m_dir.path("link");
  }

  TempDir m_dir;
  std::string m_file;
  std::string m_sub;
  std::string m_link;
  char m_buf[256] = {};
};

// A file system with user attributes says ENODATA for one a file lacks: ext4
// (this suite's x86-64 /tmp) and the sandbox's tmpfs. One without (the arm64
// test VM's tmpfs, Linux 6.1, before tmpfs took user attributes in 6.6)
// says EOPNOTSUPP instead, for every call. On a symlink itself, reading a
// user attribute is ENODATA on any file system.
TEST_F(Xattr, AMissingAttributeIsEnodata) {
  MOAT_COVERS("getxattr", "lgetxattr", "fgetxattr");
  errno = 0;
  ASSERT_EQ(syscall(SYS_getxattr, m_file.c_str(), "user.moat", m_buf, sizeof m_buf), -1);
  const int missing = errno;
  ASSERT_TRUE(missing == ENODATA || missing == EOPNOTSUPP)
      << "getxattr of a missing attribute: " << moat::conformance::errno_text(missing);
  for (const std::string& path : {m_file, m_sub, m_link}) {
    EXPECT_FAILS_WITH(syscall(SYS_getxattr, path.c_str(), "user.moat", m_buf, sizeof m_buf),
                      missing)
        << path;
    EXPECT_FAILS_WITH(syscall(SYS_getxattr, path.c_str(), "user.moat", nullptr, 0L), missing)
        << path;
    EXPECT_FAILS_WITH(syscall(SYS_lgetxattr, path.c_str(), "user.moat", m_buf, sizeof m_buf),
                      path == m_link ? ENODATA : missing)
        << path;
  }
  const ScopedFd file(open_at(AT_FDCWD, m_file.c_str(), O_RDONLY | O_CLOEXEC));
  const ScopedFd sub(open_at(AT_FDCWD, m_sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const ScopedFd write_only(open_at(AT_FDCWD, m_file.c_str(), O_WRONLY | O_CLOEXEC));
  for (const int fd : {file.get(), sub.get(), write_only.get()}) {
    ASSERT_GE(fd, 0);
    EXPECT_FAILS_WITH(syscall(SYS_fgetxattr, fd, "user.moat", m_buf, sizeof m_buf), missing);
    EXPECT_FAILS_WITH(syscall(SYS_fgetxattr, fd, "user.moat", nullptr, 0L), missing);
  }
}

TEST_F(Xattr, GetErrors) {
  MOAT_COVERS("getxattr", "lgetxattr", "fgetxattr");
  const std::string missing = m_dir.path("missing");
  const std::string under_file = m_dir.path("file/x");
  EXPECT_FAILS_WITH(syscall(SYS_getxattr, missing.c_str(), "user.moat", m_buf, sizeof m_buf),
                    ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_lgetxattr, missing.c_str(), "user.moat", m_buf, sizeof m_buf),
                    ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_getxattr, under_file.c_str(), "user.moat", m_buf, sizeof m_buf),
                    ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_getxattr, kBadPath, "user.moat", m_buf, sizeof m_buf), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_getxattr, m_file.c_str(), kBadPath, m_buf, sizeof m_buf), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_fgetxattr, -1, "user.moat", m_buf, sizeof m_buf), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fgetxattr, 999, "user.moat", m_buf, sizeof m_buf), EBADF);
  // An O_PATH descriptor does not do.
  const ScopedFd path_only(open_at(AT_FDCWD, m_file.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_GE(path_only.get(), 0);
  EXPECT_FAILS_WITH(syscall(SYS_fgetxattr, path_only.get(), "user.moat", m_buf, sizeof m_buf),
                    EBADF);
}

TEST_F(Xattr, AFreshFileListsNoAttributes) {
  MOAT_COVERS("listxattr", "llistxattr", "flistxattr");
  for (const std::string& path : {m_file, m_sub, m_link}) {
    EXPECT_EQ(MOAT_CALL(syscall(SYS_listxattr, path.c_str(), m_buf, sizeof m_buf)).value, 0)
        << path << ": " << strerror(errno);
    // Size 0 asks for the size the list needs.
    EXPECT_EQ(MOAT_CALL(syscall(SYS_listxattr, path.c_str(), nullptr, 0L)).value, 0) << path;
    EXPECT_EQ(MOAT_CALL(syscall(SYS_llistxattr, path.c_str(), m_buf, sizeof m_buf)).value, 0)
        << path << ": " << strerror(errno);
    EXPECT_EQ(MOAT_CALL(syscall(SYS_llistxattr, path.c_str(), nullptr, 0L)).value, 0) << path;
  }
  const ScopedFd file(open_at(AT_FDCWD, m_file.c_str(), O_RDONLY | O_CLOEXEC));
  const ScopedFd sub(open_at(AT_FDCWD, m_sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const int fd : {file.get(), sub.get()}) {
    ASSERT_GE(fd, 0);
    EXPECT_EQ(MOAT_CALL(syscall(SYS_flistxattr, fd, m_buf, sizeof m_buf)).value, 0)
        << strerror(errno);
    EXPECT_EQ(MOAT_CALL(syscall(SYS_flistxattr, fd, nullptr, 0L)).value, 0);
  }
}

TEST_F(Xattr, ListErrors) {
  MOAT_COVERS("listxattr", "llistxattr", "flistxattr");
  const std::string missing = m_dir.path("missing");
  const std::string under_file = m_dir.path("file/x");
  EXPECT_FAILS_WITH(syscall(SYS_listxattr, missing.c_str(), m_buf, sizeof m_buf), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_llistxattr, missing.c_str(), m_buf, sizeof m_buf), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_listxattr, "", m_buf, sizeof m_buf), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_listxattr, under_file.c_str(), m_buf, sizeof m_buf), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_llistxattr, under_file.c_str(), m_buf, sizeof m_buf), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_listxattr, kBadPath, m_buf, sizeof m_buf), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_llistxattr, kBadPath, m_buf, sizeof m_buf), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_flistxattr, -1, m_buf, sizeof m_buf), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_flistxattr, 999, m_buf, sizeof m_buf), EBADF);
  const ScopedFd path_only(open_at(AT_FDCWD, m_file.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_GE(path_only.get(), 0);
  EXPECT_FAILS_WITH(syscall(SYS_flistxattr, path_only.get(), m_buf, sizeof m_buf), EBADF);
}

// ---------------------------------------------------------------------------
// fadvise64

TEST(Fadvise64, EveryAdviceOnARegularFile) {
  MOAT_COVERS("fadvise64");
  TempDir dir;
  write_file(dir.fd(), "file", std::string(10000, 'x'));
  const ScopedFd fd(open_at(dir.fd(), "file", O_RDONLY | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0);
  for (const int advice : {POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL,
                           POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE}) {
    EXPECT_EQ(MOAT_CALL(syscall(SYS_fadvise64, fd.get(), 0L, 0L, advice)).value, 0)
        << "advice " << advice << ": " << strerror(errno);
    EXPECT_EQ(MOAT_CALL(syscall(SYS_fadvise64, fd.get(), 4096L, 100L, advice)).value, 0)
        << "advice " << advice << ": " << strerror(errno);
    // Beyond the end of the file.
    EXPECT_EQ(MOAT_CALL(syscall(SYS_fadvise64, fd.get(), 1L << 40, 1L << 20, advice)).value, 0)
        << "advice " << advice << ": " << strerror(errno);
  }
  // The descriptor's access mode does not matter.
  const ScopedFd write_only(open_at(dir.fd(), "file", O_WRONLY | O_CLOEXEC));
  ASSERT_GE(write_only.get(), 0);
  EXPECT_SUCCEEDS(syscall(SYS_fadvise64, write_only.get(), 0L, 0L, POSIX_FADV_WILLNEED));
}

TEST(Fadvise64, Errors) {
  MOAT_COVERS("fadvise64");
  TempDir dir;
  write_file(dir.fd(), "file", "data");
  const ScopedFd fd(open_at(dir.fd(), "file", O_RDONLY | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, fd.get(), 0L, 0L, 99), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, fd.get(), 0L, 0L, -1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, fd.get(), 0L, -1L, POSIX_FADV_NORMAL), EINVAL);
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const ScopedFd read_end(fds[0]);
  const ScopedFd write_end(fds[1]);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, read_end.get(), 0L, 0L, POSIX_FADV_NORMAL), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, write_end.get(), 0L, 0L, POSIX_FADV_NORMAL), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, -1, 0L, 0L, POSIX_FADV_NORMAL), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, 999, 0L, 0L, POSIX_FADV_NORMAL), EBADF);
}

TEST(Fadvise64, AnOPathDescriptorIsEbadf) {
  MOAT_COVERS("fadvise64");
  TempDir dir;
  write_file(dir.fd(), "file", "data");
  const ScopedFd path_only(open_at(dir.fd(), "file", O_PATH | O_CLOEXEC));
  ASSERT_GE(path_only.get(), 0);
  EXPECT_FAILS_WITH(syscall(SYS_fadvise64, path_only.get(), 0L, 0L, POSIX_FADV_NORMAL), EBADF);
}

// ---------------------------------------------------------------------------
// sysinfo

TEST(Sysinfo, MemoryAndProcesses) {
  MOAT_COVERS("sysinfo");
  struct sysinfo info;
  memset(&info, 0xff, sizeof info);
  ASSERT_SUCCEEDS(syscall(SYS_sysinfo, &info));
  EXPECT_GT(info.totalram, 0u);
  EXPECT_GE(info.mem_unit, 1u);
  EXPECT_GE(info.procs, 1u);
  EXPECT_LE(info.freeram, info.totalram);
  EXPECT_LE(info.sharedram, info.totalram);
  EXPECT_LE(info.bufferram, info.totalram);
  EXPECT_LE(info.freeswap, info.totalswap);
  EXPECT_GE(info.uptime, 0);
  // At least a megabyte, whatever the unit.
  EXPECT_GE(static_cast<unsigned long long>(info.totalram) * info.mem_unit, 1ull << 20);
}

TEST(Sysinfo, BadPointerIsEfault) {
  MOAT_COVERS("sysinfo");
  EXPECT_FAILS_WITH(syscall(SYS_sysinfo, kBadAddress), EFAULT);
}

}  // namespace
