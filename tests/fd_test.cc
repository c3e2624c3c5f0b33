// Descriptors: dup, dup2 (x86-64), dup3, the descriptor and status-flag
// commands of fcntl, and pipes: pipe2 (and x86-64's pipe) with its flags,
// end-of-file, EPIPE and SIGPIPE, capacity and PIPE_BUF atomicity, FIONREAD,
// blocking and its interruption by signals, the seek-based calls on a pipe
// (ESPIPE), and FIFOs made with mknodat.

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::open_at;
using moat::conformance::read_file;
using moat::conformance::read_rest;
using moat::conformance::ScopedFd;
using moat::conformance::TempDir;
using moat::conformance::write_file;

long get_fd_flags(int fd) {
  return syscall(SYS_fcntl, fd, F_GETFD);
}
long get_status_flags(int fd) {
  return syscall(SYS_fcntl, fd, F_GETFL);
}

// A file "f" with `content` in a fresh directory, opened read-write.
class OpenFile {
 public:
  explicit OpenFile(const std::string& content = "0123456789") {
    write_file(m_dir.fd(), "f", content);
    m_fd = open_at(m_dir.fd(), "f", O_RDWR);
    EXPECT_GE(m_fd, 0) << strerror(errno);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (m_fd >= 0) {
      close(m_fd);
    }
  }
  int fd() const { return m_fd; }
  const TempDir& dir() const { return m_dir; }

 private:
  TempDir m_dir;
  int m_fd = -1;
};

// Both ends of a pipe made with pipe2(flags).
class Pipe {
 public:
  explicit Pipe(int flags = 0) {
    int fds[2] = {-1, -1};
    EXPECT_SUCCEEDS(syscall(SYS_pipe2, fds, flags));
    m_read = fds[0];
    m_write = fds[1];
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    close_read();
    close_write();
  }
  int read_end() const { return m_read; }
  int write_end() const { return m_write; }
  void close_read() { close_one(m_read); }
  void close_write() { close_one(m_write); }

 private:
  static void close_one(int& fd) {
    if (fd >= 0) {
      close(fd);
      fd = -1;
    }
  }
  int m_read = -1;
  int m_write = -1;
};

// The pipe's capacity, from F_GETPIPE_SZ.
long pipe_size(const Pipe& p) {
  return syscall(SYS_fcntl, p.write_end(), F_GETPIPE_SZ);
}

// ---- dup, dup2, dup3 -----------------------------------------------------

TEST(Dup, ReturnsTheLowestFreeDescriptorSharingTheOffset) {
  MOAT_COVERS("dup", "lseek");
  OpenFile file;
  const int hole = open_at(file.dir().fd(), "f", O_RDONLY);
  ASSERT_GE(hole, 0) << strerror(errno);
  close(hole);
  ScopedFd copy(static_cast<int>(syscall(SYS_dup, file.fd())));
  ASSERT_EQ(copy.get(), hole) << "the lowest free number";
  ASSERT_EQ(syscall(SYS_lseek, file.fd(), 4L, SEEK_SET), 4);
  EXPECT_EQ(syscall(SYS_lseek, copy.get(), 0L, SEEK_CUR), 4) << "one open file, one offset";
  char c = 0;
  ASSERT_EQ(syscall(SYS_read, copy.get(), &c, 1), 1);
  EXPECT_EQ(c, '4');
  EXPECT_EQ(syscall(SYS_lseek, file.fd(), 0L, SEEK_CUR), 5);
}

TEST(Dup, BadDescriptorIsEbadf) {
  MOAT_COVERS("dup");
  EXPECT_FAILS_WITH(syscall(SYS_dup, 1000), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_dup, -1), EBADF);
}

TEST(Dup, CopyDoesNotInheritCloexec) {
  MOAT_COVERS("dup", "fcntl");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ScopedFd copy(static_cast<int>(syscall(SYS_dup, fd.get())));
  ASSERT_GE(copy.get(), 0) << strerror(errno);
  EXPECT_EQ(get_fd_flags(fd.get()), FD_CLOEXEC);
  EXPECT_EQ(get_fd_flags(copy.get()), 0);
}

#ifdef SYS_dup2
TEST(Dup2, ReplacesTheTargetDescriptor) {
  MOAT_COVERS("dup2");
  OpenFile a("from a");
  OpenFile b("from b");
  const int target = static_cast<int>(syscall(SYS_dup, b.fd()));
  ASSERT_GE(target, 0) << strerror(errno);
  ScopedFd owned(target);
  EXPECT_EQ(syscall(SYS_dup2, a.fd(), target), target);
  EXPECT_EQ(moat::conformance::read_rest(target), "from a");
}

TEST(Dup2, SameDescriptorIsReturnedUnchangedIfValid) {
  MOAT_COVERS("dup2");
  OpenFile file;
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFD, FD_CLOEXEC));
  EXPECT_EQ(syscall(SYS_dup2, file.fd(), file.fd()), file.fd());
  EXPECT_EQ(get_fd_flags(file.fd()), FD_CLOEXEC) << "nothing changed";
  EXPECT_FAILS_WITH(syscall(SYS_dup2, 1000, 1000), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_dup2, 1000, 5), EBADF);
}
#endif

TEST(Dup3, SameDescriptorIsEinval) {
  MOAT_COVERS("dup3");
  OpenFile file;
  EXPECT_FAILS_WITH(syscall(SYS_dup3, file.fd(), file.fd(), 0), EINVAL);
}

TEST(Dup3, CloexecFlagSetsTheDescriptorFlag) {
  MOAT_COVERS("dup3", "fcntl");
  OpenFile file;
  ASSERT_FAILS_WITH(syscall(SYS_fcntl, 320, F_GETFD), EBADF);
  ASSERT_FAILS_WITH(syscall(SYS_fcntl, 321, F_GETFD), EBADF);
  ASSERT_EQ(syscall(SYS_dup3, file.fd(), 320, O_CLOEXEC), 320);
  ScopedFd with(320);
  ASSERT_EQ(syscall(SYS_dup3, file.fd(), 321, 0), 321);
  ScopedFd without(321);
  EXPECT_EQ(get_fd_flags(with.get()), FD_CLOEXEC);
  EXPECT_EQ(get_fd_flags(without.get()), 0);
}

TEST(Dup3, ReplacesAnOpenTarget) {
  MOAT_COVERS("dup3");
  OpenFile a("from a");
  OpenFile b("from b");
  ScopedFd target(static_cast<int>(syscall(SYS_dup, b.fd())));
  ASSERT_GE(target.get(), 0) << strerror(errno);
  EXPECT_EQ(syscall(SYS_dup3, a.fd(), target.get(), 0), target.get());
  EXPECT_EQ(moat::conformance::read_rest(target.get()), "from a");
}

TEST(Dup3, BadFlagsIsEinvalAndBadDescriptorsAreEbadf) {
  MOAT_COVERS("dup3");
  OpenFile file;
  EXPECT_FAILS_WITH(syscall(SYS_dup3, file.fd(), 322, O_NONBLOCK), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, 322, F_GETFD), EBADF) << "nothing was made";
  EXPECT_FAILS_WITH(syscall(SYS_dup3, 1000, 322, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_dup3, file.fd(), -1, 0), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_dup3, file.fd(), INT_MAX, 0), EBADF);
}

// ---- fcntl ---------------------------------------------------------------

TEST(Fcntl, DupfdGivesTheLowestFreeDescriptorAtOrAboveTheArgument) {
  MOAT_COVERS("fcntl", "close");
  OpenFile file;
  ASSERT_FAILS_WITH(syscall(SYS_fcntl, 330, F_GETFD), EBADF);
  ASSERT_FAILS_WITH(syscall(SYS_fcntl, 331, F_GETFD), EBADF);
  const int first = static_cast<int>(syscall(SYS_fcntl, file.fd(), F_DUPFD, 330L));
  EXPECT_EQ(first, 330);
  ScopedFd second(static_cast<int>(syscall(SYS_fcntl, file.fd(), F_DUPFD, 330L)));
  EXPECT_EQ(second.get(), 331);
  EXPECT_EQ(get_fd_flags(first), 0);
  // A freed number at or above the argument is the lowest again.
  ASSERT_SUCCEEDS(syscall(SYS_close, 330));
  ScopedFd third(static_cast<int>(syscall(SYS_fcntl, file.fd(), F_DUPFD, 330L)));
  EXPECT_EQ(third.get(), 330);
}

TEST(Fcntl, DupfdCloexecSetsTheDescriptorFlag) {
  MOAT_COVERS("fcntl");
  OpenFile file;
  ScopedFd copy(static_cast<int>(syscall(SYS_fcntl, file.fd(), F_DUPFD_CLOEXEC, 0)));
  ASSERT_GE(copy.get(), 0) << strerror(errno);
  EXPECT_EQ(get_fd_flags(copy.get()), FD_CLOEXEC);
  EXPECT_EQ(get_fd_flags(file.fd()), 0);
}

TEST(Fcntl, DupfdBeyondTheLimitIsEinval) {
  MOAT_COVERS("fcntl");
  OpenFile file;
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, file.fd(), F_DUPFD, INT_MAX), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, file.fd(), F_DUPFD_CLOEXEC, -1L), EINVAL);
}

TEST(Fcntl, SetfdAndGetfdRoundTripTheCloexecFlag) {
  MOAT_COVERS("fcntl");
  OpenFile file;
  EXPECT_EQ(get_fd_flags(file.fd()), 0);
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFD, FD_CLOEXEC));
  EXPECT_EQ(get_fd_flags(file.fd()), FD_CLOEXEC);
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFD, 0));
  EXPECT_EQ(get_fd_flags(file.fd()), 0);
}

TEST(Fcntl, GetflReportsTheAccessMode) {
  MOAT_COVERS("fcntl");
  OpenFile file;
  ScopedFd rdonly(open_at(file.dir().fd(), "f", O_RDONLY));
  ScopedFd wronly(open_at(file.dir().fd(), "f", O_WRONLY | O_APPEND));
  ASSERT_GE(rdonly.get(), 0) << strerror(errno);
  ASSERT_GE(wronly.get(), 0) << strerror(errno);
  EXPECT_EQ(get_status_flags(file.fd()) & O_ACCMODE, O_RDWR);
  EXPECT_EQ(get_status_flags(rdonly.get()) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(get_status_flags(wronly.get()) & O_ACCMODE, O_WRONLY);
  EXPECT_EQ(get_status_flags(wronly.get()) & O_APPEND, O_APPEND);
  EXPECT_EQ(get_status_flags(rdonly.get()) & (O_APPEND | O_NONBLOCK), 0);
}

TEST(Fcntl, SetflChangesNonblockAndAppendButNotTheAccessMode) {
  MOAT_COVERS("fcntl", "write");
  OpenFile file("abc");
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFL, O_NONBLOCK | O_APPEND | O_RDONLY));
  const long flags = get_status_flags(file.fd());
  EXPECT_EQ(flags & O_ACCMODE, O_RDWR) << "the access mode stays";
  EXPECT_EQ(flags & O_NONBLOCK, O_NONBLOCK);
  EXPECT_EQ(flags & O_APPEND, O_APPEND);
  // O_APPEND now takes effect.
  ASSERT_EQ(syscall(SYS_write, file.fd(), "d", 1), 1);
  EXPECT_EQ(read_file(file.dir().fd(), "f"), "abcd");
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFL, 0));
  EXPECT_EQ(get_status_flags(file.fd()) & (O_NONBLOCK | O_APPEND), 0);
}

TEST(Fcntl, StatusFlagsAreSharedByDuplicatesButDescriptorFlagsAreNot) {
  MOAT_COVERS("fcntl", "dup");
  OpenFile file;
  ScopedFd copy(static_cast<int>(syscall(SYS_dup, file.fd())));
  ASSERT_GE(copy.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFL, O_NONBLOCK));
  EXPECT_EQ(get_status_flags(copy.get()) & O_NONBLOCK, O_NONBLOCK);
  ASSERT_SUCCEEDS(syscall(SYS_fcntl, file.fd(), F_SETFD, FD_CLOEXEC));
  EXPECT_EQ(get_fd_flags(copy.get()), 0);
  // A separate open of the same file has its own status flags.
  ScopedFd other(open_at(file.dir().fd(), "f", O_RDWR));
  ASSERT_GE(other.get(), 0) << strerror(errno);
  EXPECT_EQ(get_status_flags(other.get()) & O_NONBLOCK, 0);
}

TEST(Fcntl, BadDescriptorIsEbadf) {
  MOAT_COVERS("fcntl");
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, 1000, F_GETFD), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, 1000, F_GETFL), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, 1000, F_DUPFD, 0L), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, -1, F_SETFD, 0), EBADF);
}

TEST(Fcntl, UnknownCommandIsEinval) {
  MOAT_COVERS("fcntl");
  OpenFile file;
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, file.fd(), 12345, 0), EINVAL);
}

// ---- pipe2, pipe ---------------------------------------------------------

TEST(Pipe2, DataWrittenComesOutTheReadEnd) {
  MOAT_COVERS("pipe2", "read", "write");
  Pipe p;
  EXPECT_EQ(syscall(SYS_write, p.write_end(), "hello", 5), 5);
  EXPECT_EQ(syscall(SYS_write, p.write_end(), " pipe", 5), 5);
  char buf[32];
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf, sizeof buf), 10);
  EXPECT_EQ(std::string(buf, 10), "hello pipe");
}

TEST(Pipe2, EndsAreOneWay) {
  MOAT_COVERS("pipe2", "read", "write", "fcntl");
  Pipe p;
  EXPECT_EQ(get_status_flags(p.read_end()) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(get_status_flags(p.write_end()) & O_ACCMODE, O_WRONLY);
  char c;
  EXPECT_FAILS_WITH(syscall(SYS_read, p.write_end(), &c, 1), EBADF);
  EXPECT_FAILS_WITH(syscall(SYS_write, p.read_end(), "x", 1), EBADF);
}

TEST(Pipe2, NonblockingReadOfAnEmptyPipeIsEagain) {
  MOAT_COVERS("pipe2", "read");
  Pipe p(O_NONBLOCK);
  EXPECT_EQ(get_status_flags(p.read_end()) & O_NONBLOCK, O_NONBLOCK);
  EXPECT_EQ(get_status_flags(p.write_end()) & O_NONBLOCK, O_NONBLOCK);
  char c;
  EXPECT_FAILS_WITH(syscall(SYS_read, p.read_end(), &c, 1), EAGAIN);
}

TEST(Pipe2, ReadReturnsZeroOnceTheWriterIsClosedAndDrained) {
  MOAT_COVERS("pipe2", "read", "close");
  Pipe p;
  ASSERT_EQ(syscall(SYS_write, p.write_end(), "ab", 2), 2);
  p.close_write();
  char buf[8];
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf, sizeof buf), 2) << "data first";
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf, sizeof buf), 0);
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf, sizeof buf), 0);
}

TEST(Pipe2, WriteWithNoReaderIsEpipeAndRaisesSigpipe) {
  MOAT_COVERS("pipe2", "write", "rt_sigpending");
  Pipe p;
  p.close_read();
  sigset_t block;
  sigset_t old;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, &old), 0);
  EXPECT_FAILS_WITH(syscall(SYS_write, p.write_end(), "x", 1), EPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_TRUE(sigismember(&pending, SIGPIPE));
  // Take the signal so that it is not delivered when unblocked.
  const timespec zero{0, 0};
  EXPECT_EQ(sigtimedwait(&block, nullptr, &zero), SIGPIPE);
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

TEST(Pipe2, CloexecFlagMarksBothEnds) {
  MOAT_COVERS("pipe2", "fcntl");
  Pipe with(O_CLOEXEC);
  Pipe without;
  EXPECT_EQ(get_fd_flags(with.read_end()), FD_CLOEXEC);
  EXPECT_EQ(get_fd_flags(with.write_end()), FD_CLOEXEC);
  EXPECT_EQ(get_fd_flags(without.read_end()), 0);
  EXPECT_EQ(get_fd_flags(without.write_end()), 0);
}

TEST(Pipe2, BadFlagsIsEinvalAndBadPointerIsEfault) {
  MOAT_COVERS("pipe2");
  int fds[2] = {-1, -1};
  EXPECT_FAILS_WITH(syscall(SYS_pipe2, fds, O_APPEND), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_pipe2, fds, O_RDWR), EINVAL);
  EXPECT_EQ(fds[0], -1) << "nothing was made";
  EXPECT_FAILS_WITH(syscall(SYS_pipe2, reinterpret_cast<int*>(8), 0), EFAULT);
}

TEST(Pipe2, BothEndsAreFifos) {
  MOAT_COVERS("pipe2", "fstat");
  Pipe p;
  struct stat r {};
  struct stat w {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, p.read_end(), &r));
  ASSERT_SUCCEEDS(syscall(SYS_fstat, p.write_end(), &w));
  EXPECT_TRUE(S_ISFIFO(r.st_mode));
  EXPECT_TRUE(S_ISFIFO(w.st_mode));
  EXPECT_EQ(r.st_ino, w.st_ino) << "one pipe";
  Pipe other;
  struct stat o {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, other.read_end(), &o));
  EXPECT_NE(o.st_ino, r.st_ino);
}

TEST(Pipe2, DefaultCapacityIsSixteenPages) {
  MOAT_COVERS("pipe2", "fcntl");
  Pipe p;
  // 65536 with 4 KiB pages.
  EXPECT_EQ(pipe_size(p), 16 * sysconf(_SC_PAGESIZE));
}

TEST(Pipe2, SetpipeSzRoundsUpToAPowerOfTwoPages) {
  MOAT_COVERS("pipe2", "fcntl");
  Pipe p;
  const long page = sysconf(_SC_PAGESIZE);
  EXPECT_EQ(syscall(SYS_fcntl, p.write_end(), F_SETPIPE_SZ, 3 * page - 100), 4 * page);
  EXPECT_EQ(pipe_size(p), 4 * page);
}

TEST(Pipe2, NonblockingFillStopsAtTheCapacityWithEagain) {
  MOAT_COVERS("pipe2", "write", "read");
  Pipe p(O_NONBLOCK);
  const long capacity = pipe_size(p);
  ASSERT_GT(capacity, 0) << strerror(errno);
  const std::vector<char> data(static_cast<size_t>(capacity) * 2, 'x');
  // A write larger than the room left is partial.
  EXPECT_EQ(syscall(SYS_write, p.write_end(), data.data(), data.size()), capacity);
  EXPECT_FAILS_WITH(syscall(SYS_write, p.write_end(), data.data(), 1), EAGAIN);
  // Reading makes room again.
  std::vector<char> buf(4096);
  ASSERT_EQ(syscall(SYS_read, p.read_end(), buf.data(), buf.size()), 4096);
  EXPECT_EQ(syscall(SYS_write, p.write_end(), data.data(), 1), 1);
}

TEST(Pipe2, NonblockingPipeBufWriteIsAllOrNothing) {
  MOAT_COVERS("pipe2", "write", "read");
  Pipe p(O_NONBLOCK);
  const long capacity = pipe_size(p);
  ASSERT_GT(capacity, PIPE_BUF);
  // Leave less room than PIPE_BUF bytes.
  const std::vector<char> fill(static_cast<size_t>(capacity) - 100, 'f');
  ASSERT_EQ(syscall(SYS_write, p.write_end(), fill.data(), fill.size()),
            static_cast<long>(fill.size()));
  const std::vector<char> chunk(PIPE_BUF, 'c');
  EXPECT_FAILS_WITH(syscall(SYS_write, p.write_end(), chunk.data(), chunk.size()), EAGAIN);
  // Nothing of the refused write went in.
  std::vector<char> buf(static_cast<size_t>(capacity));
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf.data(), buf.size()),
            static_cast<long>(fill.size()));
  EXPECT_FAILS_WITH(syscall(SYS_read, p.read_end(), buf.data(), buf.size()), EAGAIN);
}

TEST(Pipe2, PipeBufWritesFromTwoWritersDoNotInterleave) {
  MOAT_COVERS("pipe2", "write", "read");
  Pipe p;
  constexpr int kChunks = 64;
  pid_t children[2];
  for (int i = 0; i < 2; ++i) {
    const char letter = static_cast<char>('a' + i);
    children[i] = fork();
    ASSERT_GE(children[i], 0) << strerror(errno);
    if (children[i] == 0) {
      char chunk[PIPE_BUF];
      memset(chunk, letter, sizeof chunk);
      for (int n = 0; n < kChunks; ++n) {
        if (syscall(SYS_write, p.write_end(), chunk, sizeof chunk) != PIPE_BUF) {
          _exit(1);
        }
      }
      _exit(0);
    }
  }
  p.close_write();
  std::string all;
  char buf[8192];
  long n;
  while ((n = MOAT_CALL(syscall(SYS_read, p.read_end(), buf, sizeof buf)).value) > 0) {
    all.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(n, 0) << strerror(errno);
  for (pid_t child : children) {
    int status = -1;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  ASSERT_EQ(all.size(), 2u * kChunks * PIPE_BUF);
  int mixed = 0;
  for (size_t off = 0; off < all.size(); off += PIPE_BUF) {
    if (all.find_first_not_of(all[off], off) < off + PIPE_BUF) {
      ++mixed;
    }
  }
  EXPECT_EQ(mixed, 0) << "chunks of PIPE_BUF bytes that mix both writers";
}

#ifdef SYS_pipe
TEST(Pipe, MakesAConnectedPairWithoutFlags) {
  MOAT_COVERS("pipe");
  int fds[2] = {-1, -1};
  ASSERT_SUCCEEDS(syscall(SYS_pipe, fds));
  ScopedFd r(fds[0]);
  ScopedFd w(fds[1]);
  EXPECT_EQ(get_fd_flags(r.get()), 0);
  EXPECT_EQ(get_status_flags(r.get()) & O_NONBLOCK, 0);
  ASSERT_EQ(syscall(SYS_write, w.get(), "old", 3), 3);
  char buf[4];
  EXPECT_EQ(syscall(SYS_read, r.get(), buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "old");
}
#endif

// ---- seeking on a pipe ---------------------------------------------------

TEST(Pipe2, LseekIsEspipe) {
  MOAT_COVERS("lseek", "pipe2");
  Pipe p;
  EXPECT_FAILS_WITH(syscall(SYS_lseek, p.read_end(), 0L, SEEK_CUR), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_lseek, p.write_end(), 0L, SEEK_SET), ESPIPE);
}

TEST(Pipe2, PreadAndPwriteAreEspipe) {
  MOAT_COVERS("pread64", "pwrite64", "pipe2");
  Pipe p;
  ASSERT_EQ(syscall(SYS_write, p.write_end(), "ab", 2), 2);
  char buf[4];
  EXPECT_FAILS_WITH(syscall(SYS_pread64, p.read_end(), buf, sizeof buf, 0L), ESPIPE);
  EXPECT_FAILS_WITH(syscall(SYS_pwrite64, p.write_end(), "x", 1, 0L), ESPIPE);
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf, sizeof buf), 2) << "the data is still there";
}

// ---- FIONREAD, F_SETPIPE_SZ with data -------------------------------------

TEST(Pipe2, FionreadCountsTheBytesHeldFromEitherEnd) {
  MOAT_COVERS("pipe2", "ioctl");
  Pipe p;
  int n = -1;
  ASSERT_SUCCEEDS(syscall(SYS_ioctl, p.read_end(), FIONREAD, &n));
  EXPECT_EQ(n, 0);
  ASSERT_EQ(syscall(SYS_write, p.write_end(), "abcde", 5), 5);
  ASSERT_SUCCEEDS(syscall(SYS_ioctl, p.read_end(), FIONREAD, &n));
  EXPECT_EQ(n, 5);
  n = -1;
  ASSERT_SUCCEEDS(syscall(SYS_ioctl, p.write_end(), FIONREAD, &n));
  EXPECT_EQ(n, 5);
}

TEST(Pipe2, SetpipeSzBelowWhatIsHeldIsEbusy) {
  MOAT_COVERS("pipe2", "fcntl");
  Pipe p;
  const long page = sysconf(_SC_PAGESIZE);
  const std::vector<char> data(static_cast<size_t>(3 * page), 'd');
  ASSERT_EQ(syscall(SYS_write, p.write_end(), data.data(), data.size()), 3 * page);
  EXPECT_FAILS_WITH(syscall(SYS_fcntl, p.write_end(), F_SETPIPE_SZ, page), EBUSY);
  EXPECT_EQ(syscall(SYS_fcntl, p.read_end(), F_SETPIPE_SZ, 4 * page), 4 * page);
  EXPECT_EQ(pipe_size(p), 4 * page);
  std::vector<char> buf(static_cast<size_t>(4 * page));
  EXPECT_EQ(syscall(SYS_read, p.read_end(), buf.data(), buf.size()), 3 * page) << "data kept";
}

// ---- blocking --------------------------------------------------------------

void sleep_ms(long ms) {
  const timespec delay{ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&delay, nullptr);
}

// Waits for `child` and expects it to have exited with 0.
void expect_clean_exit(pid_t child) {
  int status = -1;
  ASSERT_EQ(waitpid(child, &status, 0), child) << strerror(errno);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

TEST(Pipe2, BlockingReadWaitsForDataThenForTheLastWriter) {
  MOAT_COVERS("pipe2", "read", "write");
  Pipe p;
  const pid_t child = fork();
  ASSERT_GE(child, 0) << strerror(errno);
  if (child == 0) {
    sleep_ms(50);
    const bool wrote = syscall(SYS_write, p.write_end(), "late", 4) == 4;
    sleep_ms(50);
    _exit(wrote ? 0 : 1);
  }
  p.close_write();
  char buf[8];
  EXPECT_EQ(MOAT_CALL(syscall(SYS_read, p.read_end(), buf, sizeof buf)).value, 4);
  EXPECT_EQ(std::string(buf, 4), "late");
  // The child's exit closes the last write end.
  EXPECT_EQ(MOAT_CALL(syscall(SYS_read, p.read_end(), buf, sizeof buf)).value, 0);
  expect_clean_exit(child);
}

TEST(Pipe2, BlockingWriteWaitsForRoom) {
  MOAT_COVERS("pipe2", "read", "write");
  Pipe p;
  const long capacity = pipe_size(p);
  ASSERT_GT(capacity, 0) << strerror(errno);
  const pid_t child = fork();
  ASSERT_GE(child, 0) << strerror(errno);
  if (child == 0) {
    // Three times the capacity in one call: it has to wait for the reader.
    const std::vector<char> data(static_cast<size_t>(3 * capacity), 'w');
    _exit(syscall(SYS_write, p.write_end(), data.data(), data.size()) == 3 * capacity ? 0 : 1);
  }
  p.close_write();
  sleep_ms(50);
  EXPECT_EQ(read_rest(p.read_end()), std::string(static_cast<size_t>(3 * capacity), 'w'));
  expect_clean_exit(child);
}

void note_signal(int) {}

// Sends SIGUSR1 to `pid` every 10 ms until killed: one of them finds the
// target blocked, whenever it gets there.
pid_t keep_signalling(pid_t pid) {
  const pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 1000; ++i) {
      kill(pid, SIGUSR1);
      sleep_ms(10);
    }
    _exit(0);
  }
  return child;
}

TEST(Pipe2, SignalInterruptsABlockingReadWithEintr) {
  MOAT_COVERS("pipe2", "read", "rt_sigaction", "kill");
  Pipe p;
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = note_signal;  // no SA_RESTART
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  const pid_t child = keep_signalling(getpid());
  ASSERT_GE(child, 0) << strerror(errno);
  char c;
  errno = 0;
  const long got = syscall(SYS_read, p.read_end(), &c, 1);  // no retry on EINTR
  const int error = errno;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(got, -1);
  EXPECT_EQ(error, EINTR);
}

TEST(Pipe2, SignalInterruptsABlockingWriteAfterSomeBytesWithTheCount) {
  MOAT_COVERS("pipe2", "write", "rt_sigaction", "kill");
  Pipe p;
  const long capacity = pipe_size(p);
  ASSERT_GT(capacity, 0) << strerror(errno);
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = note_signal;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  const pid_t child = keep_signalling(getpid());
  ASSERT_GE(child, 0) << strerror(errno);
  const std::vector<char> data(static_cast<size_t>(2 * capacity), 'x');
  errno = 0;
  const long wrote = syscall(SYS_write, p.write_end(), data.data(), data.size());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  sigaction(SIGUSR1, &old, nullptr);
  // A signal before the call started would make the write wait on a full
  // pipe all the same: it always moves the capacity first.
  EXPECT_EQ(wrote, capacity) << strerror(errno);
}

TEST(Pipe2, WithSaRestartABlockingReadGoesOnAfterTheHandler) {
  MOAT_COVERS("pipe2", "read", "rt_sigaction", "kill");
  Pipe p;
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = note_signal;
  action.sa_flags = SA_RESTART;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  const pid_t parent = getpid();
  const pid_t child = fork();
  ASSERT_GE(child, 0) << strerror(errno);
  if (child == 0) {
    for (int i = 0; i < 5; ++i) {
      sleep_ms(20);
      kill(parent, SIGUSR1);
    }
    _exit(syscall(SYS_write, p.write_end(), "r", 1) == 1 ? 0 : 1);
  }
  char c = 0;
  errno = 0;
  const long got = syscall(SYS_read, p.read_end(), &c, 1);  // no retry on EINTR
  const int error = errno;
  expect_clean_exit(child);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(got, 1) << strerror(error);
  EXPECT_EQ(c, 'r');
}

TEST(Pipe2, ProcFdLinkNamesThePipe) {
  MOAT_COVERS("pipe2", "readlinkat", "fstat");
  Pipe p;
  struct stat st {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, p.read_end(), &st));
  const std::string link = "/proc/self/fd/" + std::to_string(p.write_end());
  char target[64] = {};
  const long n =
      MOAT_CALL(syscall(SYS_readlinkat, AT_FDCWD, link.c_str(), target, sizeof target)).value;
  ASSERT_GT(n, 0) << strerror(errno);
  EXPECT_EQ(std::string(target, static_cast<size_t>(n)),
            "pipe:[" + std::to_string(st.st_ino) + "]");
}

// ---- FIFOs -----------------------------------------------------------------

// A FIFO "f" in a fresh directory.
class Fifo {
 public:
  Fifo() { EXPECT_SUCCEEDS(syscall(SYS_mknodat, m_dir.fd(), "f", S_IFIFO | 0600, 0)); }
  // openat(2) of the FIFO: the descriptor, or -1 with errno set.
  int open(int flags) const { return open_at(m_dir.fd(), "f", flags); }

 private:
  TempDir m_dir;
};

TEST(Fifo, ReadWriteOpenDoesNotWaitAndCarriesData) {
  MOAT_COVERS("mknodat", "openat", "read", "write", "fstat");
  Fifo f;
  ScopedFd fd(f.open(O_RDWR));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  struct stat st {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, fd.get(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(syscall(SYS_write, fd.get(), "fifo", 4), 4);
  char buf[8];
  ASSERT_EQ(syscall(SYS_read, fd.get(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "fifo");
  EXPECT_EQ(syscall(SYS_fcntl, fd.get(), F_GETPIPE_SZ), 16 * sysconf(_SC_PAGESIZE));
  EXPECT_FAILS_WITH(syscall(SYS_lseek, fd.get(), 0L, SEEK_SET), ESPIPE);
}

TEST(Fifo, NonblockingOpensDoNotWaitButAWriterNeedsAReader) {
  MOAT_COVERS("mknodat", "openat", "read", "write", "close");
  Fifo f;
  EXPECT_FAILS_WITH(f.open(O_WRONLY | O_NONBLOCK), ENXIO);
  ScopedFd r(f.open(O_RDONLY | O_NONBLOCK));
  ASSERT_GE(r.get(), 0) << strerror(errno);
  char buf[8];
  EXPECT_EQ(syscall(SYS_read, r.get(), buf, sizeof buf), 0) << "no writer: end of file";
  {
    ScopedFd w(f.open(O_WRONLY | O_NONBLOCK));
    ASSERT_GE(w.get(), 0) << strerror(errno);
    EXPECT_FAILS_WITH(syscall(SYS_read, r.get(), buf, sizeof buf), EAGAIN) << "a writer, no data";
    ASSERT_EQ(syscall(SYS_write, w.get(), "ab", 2), 2);
  }
  EXPECT_EQ(syscall(SYS_read, r.get(), buf, sizeof buf), 2) << "data outlives its writer";
  EXPECT_EQ(syscall(SYS_read, r.get(), buf, sizeof buf), 0);
}

TEST(Fifo, BlockingReadOpenWaitsForAWriter) {
  MOAT_COVERS("mknodat", "openat", "read", "write");
  Fifo f;
  const pid_t child = fork();
  ASSERT_GE(child, 0) << strerror(errno);
  if (child == 0) {
    sleep_ms(50);  // the parent is (most likely) waiting in open by now
    const int w = f.open(O_WRONLY);
    _exit(w >= 0 && syscall(SYS_write, w, "hi", 2) == 2 ? 0 : 1);
  }
  ScopedFd r(f.open(O_RDONLY));
  ASSERT_GE(r.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(r.get()), "hi");
  expect_clean_exit(child);
}

TEST(Fifo, BlockingWriteOpenWaitsForAReader) {
  MOAT_COVERS("mknodat", "openat", "read", "write");
  Fifo f;
  const pid_t child = fork();
  ASSERT_GE(child, 0) << strerror(errno);
  if (child == 0) {
    sleep_ms(50);
    const int r = f.open(O_RDONLY);
    _exit(r >= 0 && read_rest(r) == "there" ? 0 : 1);
  }
  {
    ScopedFd w(f.open(O_WRONLY));
    ASSERT_GE(w.get(), 0) << strerror(errno);
    EXPECT_EQ(syscall(SYS_write, w.get(), "there", 5), 5);
  }
  expect_clean_exit(child);
}

TEST(Fifo, WhatIsLeftIsDroppedWithTheLastClose) {
  MOAT_COVERS("mknodat", "openat", "read", "write", "close");
  Fifo f;
  {
    ScopedFd rw(f.open(O_RDWR));
    ASSERT_GE(rw.get(), 0) << strerror(errno);
    ASSERT_EQ(syscall(SYS_write, rw.get(), "gone", 4), 4);
  }
  ScopedFd r(f.open(O_RDONLY | O_NONBLOCK));
  ASSERT_GE(r.get(), 0) << strerror(errno);
  char buf[8];
  EXPECT_EQ(syscall(SYS_read, r.get(), buf, sizeof buf), 0);
}

}  // namespace
