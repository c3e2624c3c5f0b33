// Expected strings are strace 6.1's output on Debian 12 (x86-64), from the C
// calls named beside them; `strace -o out ./prog` (ioctls on a terminal under
// `script -qc`).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <termios.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <string>

#include "sentry/strace/format.h"
#include "sentry/strace/format_test_util.h"

namespace moat::sentry::strace {
namespace {

using namespace std::string_literals;

constexpr uint64_t kBase = 0x7ffd0000;

// --- time and resources -----------------------------------------------------------

TEST(FormatStructs, Timespec) {
  FakeMemory mem;
  // timerfd_settime(..., {it_interval=..., it_value={tv_sec=1, tv_nsec=500}}, NULL).
  mem.put_object(kBase, timespec{1, 500});
  EXPECT_EQ(format_timespec(mem, kBase), "{tv_sec=1, tv_nsec=500}");
  // nanosleep() with tv_nsec = -1: printed unsigned.
  mem.put_object(kBase + 0x100, timespec{0, -1});
  EXPECT_EQ(format_timespec(mem, kBase + 0x100), "{tv_sec=0, tv_nsec=18446744073709551615}");
  // clock_gettime(CLOCK_REALTIME, (void*)8).
  EXPECT_EQ(format_timespec(mem, 8), "0x8");
  EXPECT_EQ(format_timespec(mem, 0), "NULL");
  mem.put_object(kBase + 0x200, timeval{3, 2171});
  EXPECT_EQ(format_timeval(mem, kBase + 0x200), "{tv_sec=3, tv_usec=2171}");
}

TEST(FormatStructs, Stat) {
  FakeMemory mem;
  struct stat st = {};
  // newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=53623, ...}, AT_EMPTY_PATH).
  st.st_mode = S_IFREG | 0644;
  st.st_size = 53623;
  mem.put_object(kBase, st);
  EXPECT_EQ(format_stat(mem, kBase), "{st_mode=S_IFREG|0644, st_size=53623, ...}");
  // stat("/dev/null") and stat("/dev/loop0").
  st.st_mode = S_IFCHR | 0666;
  st.st_rdev = makedev(1, 3);
  mem.put_object(kBase, st);
  EXPECT_EQ(format_stat(mem, kBase), "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
  st.st_mode = S_IFBLK | 0600;
  st.st_rdev = makedev(7, 0);
  mem.put_object(kBase, st);
  EXPECT_EQ(format_stat(mem, kBase), "{st_mode=S_IFBLK|0600, st_rdev=makedev(0x7, 0), ...}");
  st.st_mode = S_IFDIR | S_ISVTX | 0777;
  st.st_size = 4096;
  mem.put_object(kBase, st);
  EXPECT_EQ(format_stat(mem, kBase), "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}");
  // newfstatat(AT_FDCWD, "/", 0x7ffcaf109370, AT_RECURSIVE) = -1 EINVAL.
  EXPECT_EQ(format_stat(mem, kBase + 0x1000), "0x7ffd1000");
}

struct Rlim {
  uint64_t cur;
  uint64_t max;
};

TEST(FormatStructs, Rlimit) {
  FakeMemory mem;
  // prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}).
  mem.put_object(kBase, Rlim{8 << 20, UINT64_MAX});
  EXPECT_EQ(format_rlimit(mem, kBase), "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
  // The *1024 form only above 1024: {rlim_cur=1024, rlim_max=2*1024}.
  mem.put_object(kBase, Rlim{1024, 2048});
  EXPECT_EQ(format_rlimit(mem, kBase), "{rlim_cur=1024, rlim_max=2*1024}");
  mem.put_object(kBase, Rlim{0, 1025});
  EXPECT_EQ(format_rlimit(mem, kBase), "{rlim_cur=0, rlim_max=1025}");
  mem.put_object(kBase, Rlim{20000, 3072});
  EXPECT_EQ(format_rlimit(mem, kBase), "{rlim_cur=20000, rlim_max=3*1024}");
  EXPECT_EQ(format_rlimit(mem, 8), "0x8");
}

TEST(FormatStructs, Rusage) {
  FakeMemory mem;
  rusage ru = {};
  ru.ru_stime.tv_usec = 2171;
  ru.ru_maxrss = 1234;
  mem.put_object(kBase, ru);
  // getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=0}, ru_stime={tv_sec=0, tv_usec=2171},
  // ...}).
  EXPECT_EQ(format_rusage(mem, kBase),
            "{ru_utime={tv_sec=0, tv_usec=0}, ru_stime={tv_sec=0, tv_usec=2171}, ...}");
  EXPECT_EQ(format_rusage(mem, 8), "0x8");
}

TEST(FormatStructs, Utsname) {
  FakeMemory mem;
  utsname u = {};
  std::strcpy(u.sysname, "Linux");
  std::strcpy(u.nodename, "vm");
  std::strcpy(u.release, "6.1.0");
  mem.put_object(kBase, u);
  EXPECT_EQ(format_utsname(mem, kBase), R"({sysname="Linux", nodename="vm", ...})");
  // A 64-byte name fills the field but for its NUL: whole.
  std::memset(u.nodename, 'n', 64);
  mem.put_object(kBase, u);
  EXPECT_EQ(format_utsname(mem, kBase),
            R"({sysname="Linux", nodename=")" + std::string(64, 'n') + R"(", ...})");
  // With no NUL at all, strace shows 64 bytes and `...`.
  std::memset(u.nodename, 'n', 65);
  mem.put_object(kBase, u);
  EXPECT_EQ(format_utsname(mem, kBase),
            R"({sysname="Linux", nodename=")" + std::string(64, 'n') + R"("..., ...})");
  // uname((void*)8).
  EXPECT_EQ(format_utsname(mem, 8), "0x8");
}

// --- terminals ------------------------------------------------------------------------

TEST(FormatStructs, Winsize) {
  FakeMemory mem;
  // ioctl(0, TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=1, ws_ypixel=2}).
  mem.put_object(kBase, winsize{24, 80, 1, 2});
  EXPECT_EQ(format_winsize(mem, kBase), "{ws_row=24, ws_col=80, ws_xpixel=1, ws_ypixel=2}");
  EXPECT_EQ(format_winsize(mem, 8), "0x8");
}

// The kernel's struct termios.
struct KTermios {
  uint32_t iflag;
  uint32_t oflag;
  uint32_t cflag;
  uint32_t lflag;
  uint8_t line;
  uint8_t cc[19];
};

TEST(FormatStructs, Termios) {
  FakeMemory mem;
  // ioctl(0, TCGETS, ...) on a pty in its initial (cooked) mode.
  mem.put_object(kBase, KTermios{ICRNL | IXON,
                                 OPOST | ONLCR,
                                 B38400 | CS8 | CREAD,
                                 ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE,
                                 0,
                                 {}});
  EXPECT_EQ(format_termios(mem, kBase),
            "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, "
            "c_cflag=B38400|CS8|CREAD, "
            "c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}");
  // ioctl(0, TCSETS, ...) with c_iflag, c_oflag and c_lflag zero: strace
  // prints empty flag sets and keeps the `|` after FF0.
  mem.put_object(kBase, KTermios{0, 0, B38400 | CS8 | CREAD, 0, 0, {}});
  EXPECT_EQ(format_termios(mem, kBase),
            "{c_iflag=, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|, c_cflag=B38400|CS8|CREAD, c_lflag=, "
            "...}");
  // Every delay field set, an input baud rate, and unknown bits.
  mem.put_object(kBase, KTermios{0x80000000,
                                 OPOST | NL1 | CR2 | TAB3 | BS1 | VT1 | FF1 | 0x100000,
                                 B9600 | CS7 | PARENB | (B4800 << 16) | 0x40000000,
                                 0x40000000 | ISIG,
                                 0,
                                 {}});
  EXPECT_EQ(format_termios(mem, kBase),
            "{c_iflag=0x80000000, c_oflag=NL1|CR2|XTABS|BS1|VT1|FF1|OPOST|0x100000, "
            "c_cflag=B9600|B4800<<IBSHIFT|CS7|PARENB|CMSPAR, c_lflag=ISIG|0x40000000, ...}");
  // ioctl(0, TCGETS, (void*)8).
  EXPECT_EQ(format_termios(mem, 8), "0x8");
}

// --- small values and arrays -----------------------------------------------------------

TEST(FormatStructs, IntAndFdPair) {
  FakeMemory mem;
  // ioctl(8, FIONREAD, [1]), pipe2([15, 16], ...).
  mem.put_object(kBase, int32_t{1});
  EXPECT_EQ(format_int_ptr(mem, kBase), "[1]");
  mem.put_object(kBase + 0x10, int32_t{-5});
  EXPECT_EQ(format_int_ptr(mem, kBase + 0x10), "[-5]");
  EXPECT_EQ(format_int_ptr(mem, 8), "0x8");
  EXPECT_EQ(format_int_ptr(mem, 0), "NULL");
  const int32_t fds[2] = {15, 16};
  mem.put_object(kBase + 0x20, fds);
  EXPECT_EQ(format_fd_pair(mem, kBase + 0x20), "[15, 16]");
  EXPECT_EQ(format_fd_pair(mem, kBase + 0x1000), "0x7ffd1000");
}

struct Iov {
  uint64_t base;
  uint64_t len;
};

class FormatIovec : public ::testing::Test {
 protected:
  // writev(7, [{"hello", 5}, {"\n", 1}, {"0123...defXYZ", 35}], 3).
  void SetUp() override {
    mem.put(kBase + 0x100, "hello");
    mem.put(kBase + 0x200, "\n");
    mem.put(kBase + 0x300, "0123456789abcdef0123456789abcdefXYZ");
    const Iov iov[3] = {{kBase + 0x100, 5}, {kBase + 0x200, 1}, {kBase + 0x300, 35}};
    mem.put_object(kBase, iov);
  }

  FakeMemory mem;
  FormatOptions opts;
};

TEST_F(FormatIovec, Writev) {
  EXPECT_EQ(format_iovec(mem, kBase, 3, UINT64_MAX, opts),
            R"([{iov_base="hello", iov_len=5}, {iov_base="\n", iov_len=1}, )"
            R"({iov_base="0123456789abcdef0123456789abcdef"..., iov_len=35}])");
  // -s applies to each element.
  EXPECT_EQ(format_iovec(mem, kBase, 2, UINT64_MAX, FormatOptions{.string_limit = 3}),
            R"([{iov_base="hel"..., iov_len=5}, {iov_base="\n", iov_len=1}])");
}

TEST_F(FormatIovec, ReadvShowsOnlyWhatWasRead) {
  // readv(8, [{iov_base="hel", iov_len=3}, {iov_base="lo\n0123...abc"..., iov_len=40}], 2) = 41.
  FakeMemory m;
  m.put(kBase + 0x100, "hel");
  m.put(kBase + 0x200, "lo\n0123456789abcdef0123456789abcdefXYZ__");
  const Iov iov[2] = {{kBase + 0x100, 3}, {kBase + 0x200, 40}};
  m.put_object(kBase, iov);
  EXPECT_EQ(format_iovec(m, kBase, 2, 41, opts),
            R"([{iov_base="hel", iov_len=3}, )"
            R"({iov_base="lo\n0123456789abcdef0123456789abc"..., iov_len=40}])");
  // A short read leaves the later elements empty.
  EXPECT_EQ(format_iovec(m, kBase, 2, 2, opts),
            R"([{iov_base="he", iov_len=3}, {iov_base="", iov_len=40}])");
}

TEST_F(FormatIovec, EmptyNullAndUnreadable) {
  // writev(7, [], 0), writev(7, (void*)8, 2), writev(7, NULL, 2).
  EXPECT_EQ(format_iovec(mem, kBase, 0, UINT64_MAX, opts), "[]");
  EXPECT_EQ(format_iovec(mem, 8, 2, UINT64_MAX, opts), "0x8");
  EXPECT_EQ(format_iovec(mem, 0, 2, UINT64_MAX, opts), "NULL");
  // The array ends after three elements.
  EXPECT_EQ(format_iovec(mem, kBase + 16, 3, UINT64_MAX, opts),
            R"([{iov_base="\n", iov_len=1}, )"
            R"({iov_base="0123456789abcdef0123456789abcdef"..., iov_len=35}, )"
            R"(... /* 0x7ffd0030 */])");
  // An unreadable buffer prints as its address.
  const Iov bad = {0x1000, 4};
  mem.put_object(kBase + 0x400, bad);
  EXPECT_EQ(format_iovec(mem, kBase + 0x400, 1, UINT64_MAX, opts),
            "[{iov_base=0x1000, iov_len=4}]");
}

TEST_F(FormatIovec, MoreElementsThanTheLimit) {
  FakeMemory m;
  m.put(kBase + 0x1000, "x");
  for (int i = 0; i < 3; ++i) {
    m.put_object(kBase + 16 * i, Iov{kBase + 0x1000, 1});
  }
  EXPECT_EQ(format_iovec(m, kBase, 3, UINT64_MAX, FormatOptions{.string_limit = 2}),
            R"([{iov_base="x", iov_len=1}, {iov_base="x", iov_len=1}, ...])");
}

TEST(FormatStructs, Pollfds) {
  FakeMemory mem;
  // poll([{fd=8, events=POLLIN|POLLPRI}, {fd=-1}, {fd=7, events=POLLOUT|0x4000}], 3, 0)
  //   = 2 ([{fd=8, revents=POLLIN}, {fd=7, revents=POLLOUT}]).
  const pollfd fds[3] = {
      {8, POLLIN | POLLPRI, POLLIN}, {-1, POLLIN, 0}, {7, POLLOUT | 0x4000, POLLOUT}};
  mem.put_object(kBase, fds);
  EXPECT_EQ(format_pollfds(mem, kBase, 3),
            "[{fd=8, events=POLLIN|POLLPRI}, {fd=-1}, {fd=7, events=POLLOUT|0x4000}]");
  EXPECT_EQ(format_pollfds_revents(mem, kBase, 3),
            "[{fd=8, revents=POLLIN}, {fd=7, revents=POLLOUT}]");
  // poll([{fd=0, events=0}], 1, 0) = 0 (Timeout): no revents to show.
  mem.put_object(kBase + 0x100, pollfd{0, 0, 0});
  EXPECT_EQ(format_pollfds(mem, kBase + 0x100, 1), "[{fd=0, events=0}]");
  EXPECT_EQ(format_pollfds_revents(mem, kBase + 0x100, 1), "");
  // poll([], 0, 0), poll(NULL, 1, 0), poll((void*)8, 1, 0).
  EXPECT_EQ(format_pollfds(mem, kBase, 0), "[]");
  EXPECT_EQ(format_pollfds(mem, 0, 1), "NULL");
  EXPECT_EQ(format_pollfds(mem, 8, 1), "0x8");
  // Unnamed revents bits print as bare hex (strace's sprintflags).
  mem.put_object(kBase + 0x200, pollfd{3, POLLIN, 0x4000});
  EXPECT_EQ(format_pollfds_revents(mem, kBase + 0x200, 1), "[{fd=3, revents=0x4000}]");
  // Entries past readable memory end the revents list with the address.
  EXPECT_EQ(format_pollfds_revents(mem, kBase + 16, 2), "[{fd=7, revents=POLLOUT}, 0x7ffd0018]");
}

// --- signals ---------------------------------------------------------------------------

TEST(FormatStructs, SigsetAt) {
  FakeMemory mem;
  mem.put_object(kBase, uint64_t{(1u << (SIGINT - 1)) | (1u << (SIGTERM - 1))});
  EXPECT_EQ(format_sigset_at(mem, kBase, 8), "[INT TERM]");
  // rt_sigprocmask(SIG_BLOCK, 0x7fff1ef7b308, NULL, 4) and 16: other sizes
  // print the address; (void*)8 is unreadable.
  EXPECT_EQ(format_sigset_at(mem, kBase, 4), "0x7ffd0000");
  EXPECT_EQ(format_sigset_at(mem, kBase, 16), "0x7ffd0000");
  EXPECT_EQ(format_sigset_at(mem, 8, 8), "0x8");
  EXPECT_EQ(format_sigset_at(mem, 0, 8), "NULL");
}

struct KSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

TEST(FormatStructs, Sigaction) {
  FakeMemory mem;
  constexpr uint64_t kRestorer = 0x04000000;
  // rt_sigaction(SIGRT_8, {sa_handler=SIG_IGN, sa_mask=[RT_8], sa_flags=SA_RESTORER|SA_RESTART,
  //   sa_restorer=0x7fccbcece050}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8).
  mem.put_object(kBase, KSigaction{1, kRestorer | SA_RESTART, 0x7fccbcece050, uint64_t{1} << 39});
  EXPECT_EQ(format_sigaction(mem, kBase),
            "{sa_handler=SIG_IGN, sa_mask=[RT_8], sa_flags=SA_RESTORER|SA_RESTART, "
            "sa_restorer=0x7fccbcece050}");
  mem.put_object(kBase, KSigaction{0, 0, 0, 0});
  EXPECT_EQ(format_sigaction(mem, kBase), "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}");
  mem.put_object(kBase, KSigaction{0x564f94c65269, kRestorer | SA_SIGINFO, 0x7f8b9d238050,
                                   uint64_t{1} << (SIGQUIT - 1)});
  EXPECT_EQ(format_sigaction(mem, kBase),
            "{sa_handler=0x564f94c65269, sa_mask=[QUIT], sa_flags=SA_RESTORER|SA_SIGINFO, "
            "sa_restorer=0x7f8b9d238050}");
  // A handler of -1, and no SA_RESTORER (as arm64's libc sets it): no restorer shown.
  mem.put_object(kBase, KSigaction{UINT64_MAX, SA_INTERRUPT, 0x1234, 0});
  EXPECT_EQ(format_sigaction(mem, kBase),
            "{sa_handler=SIG_ERR, sa_mask=[], sa_flags=SA_INTERRUPT}");
  // rt_sigaction(SIGUSR2, (void*)8, NULL, 8).
  EXPECT_EQ(format_sigaction(mem, 8), "0x8");
  EXPECT_EQ(format_sigaction(mem, 0), "NULL");
}

TEST(FormatStructs, Siginfo) {
  // --- SIGRT_8 {si_signo=SIGRT_8, si_code=SI_USER, si_pid=23136, si_uid=0} ---
  EXPECT_EQ(format_siginfo(40, SI_USER, 23136, 0),
            "{si_signo=SIGRT_8, si_code=SI_USER, si_pid=23136, si_uid=0}");
  EXPECT_EQ(format_siginfo(SIGUSR1, SI_TKILL, 7, 1000),
            "{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=7, si_uid=1000}");
  // --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x18} ---
  EXPECT_EQ(format_siginfo(SIGSEGV, SEGV_MAPERR, 0x18, 0),
            "{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x18}");
  EXPECT_EQ(format_siginfo(SIGSEGV, SEGV_MAPERR, 0, 0),
            "{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL}");
  // --- SIGWINCH {si_signo=SIGWINCH, si_code=SI_KERNEL} ---
  EXPECT_EQ(format_siginfo(SIGWINCH, SI_KERNEL, 0, 0), "{si_signo=SIGWINCH, si_code=SI_KERNEL}");
}

TEST(FormatStructs, SiginfoChld) {
  // --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=23168, si_uid=0, si_status=3,
  //   si_utime=0, si_stime=0} ---
  EXPECT_EQ(format_siginfo(SIGCHLD, CLD_EXITED, 23168, 3),
            "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=23168, si_uid=0, si_status=3, "
            "si_utime=0, si_stime=0}");
  EXPECT_EQ(format_siginfo(SIGCHLD, CLD_DUMPED, 23169, SIGSEGV),
            "{si_signo=SIGCHLD, si_code=CLD_DUMPED, si_pid=23169, si_uid=0, si_status=SIGSEGV, "
            "si_utime=0, si_stime=0}");
  EXPECT_EQ(format_siginfo(SIGCHLD, CLD_KILLED, 23172, SIGTERM),
            "{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=23172, si_uid=0, si_status=SIGTERM, "
            "si_utime=0, si_stime=0}");
  EXPECT_EQ(format_siginfo(SIGCHLD, CLD_STOPPED, 23171, SIGSTOP),
            "{si_signo=SIGCHLD, si_code=CLD_STOPPED, si_pid=23171, si_uid=0, si_status=SIGSTOP, "
            "si_utime=0, si_stime=0}");
}

// --- epoll -------------------------------------------------------------------------------

TEST(FormatStructs, EpollEvent) {
  FakeMemory mem;
  epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 0x100000003;
  mem.put_object(kBase, ev);
  // epoll_ctl(11, EPOLL_CTL_ADD, 8, {events=EPOLLIN|EPOLLET, data={u32=3, u64=4294967299}}).
  EXPECT_EQ(format_epoll_event(mem, kBase),
            "{events=EPOLLIN|EPOLLET, data={u32=3, u64=4294967299}}");
  // epoll_ctl(11, EPOLL_CTL_ADD, 8, 0x10), epoll_ctl(11, EPOLL_CTL_DEL, 8, NULL).
  EXPECT_EQ(format_epoll_event(mem, 0x10), "0x10");
  EXPECT_EQ(format_epoll_event(mem, 0), "NULL");
  // epoll_wait(11, [{events=EPOLLOUT, data={u32=3, u64=4294967299}}], 4, 0) = 1.
  ev.events = EPOLLOUT;
  mem.put_object(kBase + 0x100, ev);
  EXPECT_EQ(format_epoll_events_array(mem, kBase + 0x100, 1),
            "[{events=EPOLLOUT, data={u32=3, u64=4294967299}}]");
  EXPECT_EQ(format_epoll_events_array(mem, kBase + 0x100, 0), "[]");
}

// --- sockets -------------------------------------------------------------------------------

TEST(FormatSockaddr, Inet) {
  FakeMemory mem;
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  in.sin_addr.s_addr = inet_addr("127.0.0.1");
  mem.put_object(kBase, in);
  // connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16).
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(in)),
            R"({sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")})");
  // The same address with lengths 8, 1 and 2; and (void*)8, NULL.
  EXPECT_EQ(format_sockaddr(mem, kBase, 8), R"({sa_family=AF_INET, sa_data="\0P\177\0\0\1"})");
  EXPECT_EQ(format_sockaddr(mem, kBase, 1), "0x7ffd0000");
  EXPECT_EQ(format_sockaddr(mem, kBase, 2), "{sa_family=AF_INET}");
  EXPECT_EQ(format_sockaddr(mem, 8, 16), "0x8");
  EXPECT_EQ(format_sockaddr(mem, 0, 16), "NULL");
}

TEST(FormatSockaddr, Unix) {
  FakeMemory mem;
  sockaddr_un un = {};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/tmp/s");
  mem.put_object(kBase, un);
  const uint64_t path = offsetof(sockaddr_un, sun_path);
  // connect(4, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110), lengths 9 and 5.
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(un)), R"({sa_family=AF_UNIX, sun_path="/tmp/s"})");
  EXPECT_EQ(format_sockaddr(mem, kBase, path + 7), R"({sa_family=AF_UNIX, sun_path="/tmp/s"})");
  EXPECT_EQ(format_sockaddr(mem, kBase, path + 3), R"({sa_family=AF_UNIX, sun_path="/tm"})");
  // Abstract names: {sa_family=AF_UNIX, sun_path=@"name"} and @"name\0x".
  std::memset(un.sun_path, 0, sizeof(un.sun_path));
  std::memcpy(un.sun_path, "\0name\0x", 7);
  mem.put_object(kBase, un);
  EXPECT_EQ(format_sockaddr(mem, kBase, path + 5), R"({sa_family=AF_UNIX, sun_path=@"name"})");
  EXPECT_EQ(format_sockaddr(mem, kBase, path + 7), R"({sa_family=AF_UNIX, sun_path=@"name\0x"})");
  // 108 bytes with no NUL, length 110 and (clamped) 200.
  std::memset(un.sun_path, 'z', sizeof(un.sun_path));
  mem.put_object(kBase, un);
  mem.put(kBase + sizeof(un), std::string(100, 'q'));
  const std::string zs = R"({sa_family=AF_UNIX, sun_path=")" + std::string(108, 'z') + R"("})";
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(un)), zs);
  EXPECT_EQ(format_sockaddr(mem, kBase, 200), zs);
}

TEST(FormatSockaddr, Netlink) {
  FakeMemory mem;
  sockaddr_nl nl = {};
  nl.nl_family = AF_NETLINK;
  mem.put_object(kBase, nl);
  // bind(5, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12).
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(nl)),
            "{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}");
  // bind(5, {sa_family=AF_NETLINK, nl_pid=1234, nl_groups=0x000005}, 12).
  nl.nl_pid = 1234;
  nl.nl_groups = 5;
  mem.put_object(kBase, nl);
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(nl)),
            "{sa_family=AF_NETLINK, nl_pid=1234, nl_groups=0x000005}");
}

TEST(FormatSockaddr, Inet6) {
  FakeMemory mem;
  sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  in6.sin6_flowinfo = htonl(5);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  mem.put_object(kBase, in6);
  // connect(6, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(5),
  //   inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28), and length 24.
  EXPECT_EQ(format_sockaddr(mem, kBase, sizeof(in6)),
            R"({sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(5), )"
            R"(inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0})");
  EXPECT_EQ(format_sockaddr(mem, kBase, 24),
            R"({sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(5), )"
            R"(inet_pton(AF_INET6, "::1", &sin6_addr)})");
}

TEST(FormatSockaddr, OtherFamilies) {
  FakeMemory mem;
  // connect(3, {sa_family=0x4d2 /* AF_??? */, sa_data="ab\0\1"}, 6), AF_UNSPEC, AF_PACKET.
  mem.put(kBase,
          "\xd2\x04"
          "ab\0\1"s);
  EXPECT_EQ(format_sockaddr(mem, kBase, 6), R"({sa_family=0x4d2 /* AF_??? */, sa_data="ab\0\1"})");
  mem.put(kBase, "\0\0"s);
  EXPECT_EQ(format_sockaddr(mem, kBase, 6), R"({sa_family=AF_UNSPEC, sa_data="ab\0\1"})");
  mem.put(kBase, "\x11\0"s);
  EXPECT_EQ(format_sockaddr(mem, kBase, 6), R"({sa_family=AF_PACKET, sa_data="ab\0\1"})");
}

TEST(FormatSocket, Arguments) {
  // socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP) and friends.
  EXPECT_EQ(format_socket_domain(AF_INET), "AF_INET");
  EXPECT_EQ(format_socket_domain(AF_UNIX), "AF_UNIX");
  EXPECT_EQ(format_socket_domain(1234), "0x4d2 /* AF_??? */");
  EXPECT_EQ(format_socket_type(SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK),
            "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK");
  EXPECT_EQ(format_socket_type(SOCK_RAW | SOCK_CLOEXEC), "SOCK_RAW|SOCK_CLOEXEC");
  // socket(1234, 99, 5), socket(AF_INET, 99|SOCK_CLOEXEC, 200).
  EXPECT_EQ(format_socket_type(99), "SOCK_RAW|0x60 /* SOCK_??? */");
  EXPECT_EQ(format_socket_type(99 | SOCK_CLOEXEC), "SOCK_RAW|SOCK_CLOEXEC|0x60");
  EXPECT_EQ(format_socket_type(0), "0");
  EXPECT_EQ(format_socket_protocol(AF_INET, IPPROTO_TCP), "IPPROTO_TCP");
  EXPECT_EQ(format_socket_protocol(AF_INET, 0), "IPPROTO_IP");
  EXPECT_EQ(format_socket_protocol(AF_INET6, IPPROTO_UDP), "IPPROTO_UDP");
  EXPECT_EQ(format_socket_protocol(AF_INET, 200), "0xc8 /* IPPROTO_??? */");
  EXPECT_EQ(format_socket_protocol(AF_NETLINK, 0), "NETLINK_ROUTE");
  EXPECT_EQ(format_socket_protocol(AF_UNIX, 0), "0");
  EXPECT_EQ(format_socket_protocol(1234, 5), "5");
  // sendto(7, "x", 1, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0), MSG_MORE|0x1000000.
  EXPECT_EQ(format_msg_flags(MSG_DONTWAIT | MSG_NOSIGNAL), "MSG_DONTWAIT|MSG_NOSIGNAL");
  EXPECT_EQ(format_msg_flags(MSG_MORE | 0x1000000), "MSG_MORE|0x1000000");
  EXPECT_EQ(format_msg_flags(0), "0");
  // shutdown(3, SHUT_WR), shutdown(3, 7).
  EXPECT_EQ(format_shutdown_how(SHUT_WR), "SHUT_WR");
  EXPECT_EQ(format_shutdown_how(7), "0x7 /* SHUT_??? */");
}

TEST(FormatSocket, Options) {
  // setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) and the others named.
  EXPECT_EQ(format_sockopt_level(SOL_SOCKET), "SOL_SOCKET");
  EXPECT_EQ(format_sockopt_level(IPPROTO_TCP), "SOL_TCP");
  EXPECT_EQ(format_sockopt_level(IPPROTO_IP), "SOL_IP");
  EXPECT_EQ(format_sockopt_level(IPPROTO_IPV6), "SOL_IPV6");
  EXPECT_EQ(format_sockopt_level(IPPROTO_UDP), "SOL_UDP");
  EXPECT_EQ(format_sockopt_level(999), "0x3e7 /* SOL_?? */");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, SO_REUSEADDR), "SO_REUSEADDR");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, SO_ERROR), "SO_ERROR");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, SO_RCVTIMEO), "SO_RCVTIMEO_OLD");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, SO_ATTACH_FILTER), "SO_ATTACH_FILTER");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, SO_PASSCRED), "SO_PASSCRED");
  EXPECT_EQ(format_sockopt_name(SOL_SOCKET, 999), "0x3e7 /* SO_??? */");
  EXPECT_EQ(format_sockopt_name(IPPROTO_TCP, 1), "TCP_NODELAY");
  EXPECT_EQ(format_sockopt_name(IPPROTO_TCP, 999), "0x3e7 /* TCP_??? */");
  EXPECT_EQ(format_sockopt_name(IPPROTO_IP, 1), "IP_TOS");
  EXPECT_EQ(format_sockopt_name(IPPROTO_IPV6, 26), "IPV6_V6ONLY");
  EXPECT_EQ(format_sockopt_name(IPPROTO_UDP, 1), "UDP_CORK");
  EXPECT_EQ(format_sockopt_name(999, 5), "5");
}

// struct msghdr with guest addresses.
struct Msghdr {
  uint64_t name;
  uint32_t namelen;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  int32_t flags;
};

struct Cmsg {
  uint64_t len;
  int32_t level;
  int32_t type;
};

class FormatMsghdr : public ::testing::Test {
 protected:
  void SetUp() override {
    mem.put(kBase + 0x100, "x");
    mem.put_object(kBase + 0x200, Iov{kBase + 0x100, 1});
  }

  FakeMemory mem;
  FormatOptions opts;
};

TEST_F(FormatMsghdr, Plain) {
  // sendmsg(7, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}],
  //   msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_DONTWAIT).
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, 0, 0, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_controllen=0, msg_flags=0})");
  // sendmsg(3, 0x8, 0).
  EXPECT_EQ(format_msghdr(mem, 8, UINT64_MAX, opts), "0x8");
}

TEST_F(FormatMsghdr, WithName) {
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  in.sin_addr.s_addr = inet_addr("127.0.0.1");
  mem.put_object(kBase + 0x300, in);
  mem.put_object(kBase, Msghdr{kBase + 0x300, sizeof(in), kBase + 0x200, 1, 0, 0, 0});
  // sendmsg(3, {msg_name={sa_family=AF_INET, sin_port=htons(80),
  //   sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, ...}, 0).
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name={sa_family=AF_INET, sin_port=htons(80), )"
            R"(sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, )"
            R"(msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0})");
}

TEST_F(FormatMsghdr, ScmRights) {
  // sendmsg(7, {..., msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET,
  //   cmsg_type=SCM_RIGHTS, cmsg_data=[3]}], msg_controllen=24, msg_flags=0}, 0).
  mem.put_object(kBase + 0x400, Cmsg{20, SOL_SOCKET, SCM_RIGHTS});
  mem.put_object(kBase + 0x410, uint64_t{3});
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 24, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, )"
            R"(cmsg_type=SCM_RIGHTS, cmsg_data=[3]}], msg_controllen=24, msg_flags=0})");
}

TEST_F(FormatMsghdr, RecvmsgWithCredentials) {
  // recvmsg(8, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="hello", iov_len=64}],
  //   msg_iovlen=1, msg_control=[{cmsg_len=28, cmsg_level=SOL_SOCKET,
  //   cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=23318, uid=0, gid=0}}],
  //   msg_controllen=32, msg_flags=0}, 0) = 5.
  mem.put(kBase + 0x500, "hello" + std::string(59, '\0'));
  mem.put_object(kBase + 0x200, Iov{kBase + 0x500, 64});
  mem.put_object(kBase + 0x400, Cmsg{28, SOL_SOCKET, SCM_CREDENTIALS});
  const ucred cred = {23318, 0, 0};
  mem.put_object(kBase + 0x410, cred);
  mem.put_object(kBase + 0x41c, uint32_t{0});
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 32, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, 5, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="hello", iov_len=64}], )"
            R"(msg_iovlen=1, msg_control=[{cmsg_len=28, cmsg_level=SOL_SOCKET, )"
            R"(cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=23318, uid=0, gid=0}}], )"
            R"(msg_controllen=32, msg_flags=0})");
}

TEST_F(FormatMsghdr, SeveralControlMessages) {
  // Two messages, an unknown level's included, then 8 bytes too few for a
  // header: sendmsg(3, {..., msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET,
  //   cmsg_type=SCM_RIGHTS, cmsg_data=[1]}, {cmsg_len=16, cmsg_level=0x3e7 /* SOL_??? */,
  //   cmsg_type=0x7}, ... /* 0x7ffeac8eee38 */], msg_controllen=48, msg_flags=0}, 0).
  mem.put(kBase + 0x400, std::string(48, '\0'));
  mem.put_object(kBase + 0x400, Cmsg{20, SOL_SOCKET, SCM_RIGHTS});
  mem.put_object(kBase + 0x410, int32_t{1});
  mem.put_object(kBase + 0x418, Cmsg{16, 999, 7});
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 48, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, )"
            R"(cmsg_type=SCM_RIGHTS, cmsg_data=[1]}, {cmsg_len=16, )"
            R"(cmsg_level=0x3e7 /* SOL_??? */, cmsg_type=0x7}, ... /* 0x7ffd0428 */], )"
            R"(msg_controllen=48, msg_flags=0})");
}

TEST_F(FormatMsghdr, OddControlMessages) {
  // cmsg_len past the buffer: no data decoded. sendmsg(3, {..., msg_control=[{cmsg_len=100,
  //   cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS}], msg_controllen=24, ...}, 0).
  mem.put(kBase + 0x400, std::string(24, '\0'));
  mem.put_object(kBase + 0x400, Cmsg{100, SOL_SOCKET, SCM_CREDENTIALS});
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 24, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=[{cmsg_len=100, cmsg_level=SOL_SOCKET, )"
            R"(cmsg_type=SCM_CREDENTIALS}], msg_controllen=24, msg_flags=0})");
  // Less than a header: the address. msg_control=0x7ffeac8eee10, msg_controllen=8.
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 8, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=0x7ffd0400, msg_controllen=8, msg_flags=0})");
  // msg_control=[{cmsg_len=20, cmsg_level=SOL_IP, cmsg_type=IP_TTL, cmsg_data=[0]}].
  mem.put_object(kBase + 0x400, Cmsg{20, SOL_IP, IP_TTL});
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, kBase + 0x400, 24, 0});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_IP, cmsg_type=IP_TTL, )"
            R"(cmsg_data=[0]}], msg_controllen=24, msg_flags=0})");
}

TEST_F(FormatMsghdr, UnreadableControl) {
  mem.put_object(kBase, Msghdr{0, 0, kBase + 0x200, 1, 0x1000, 24, MSG_CTRUNC});
  EXPECT_EQ(format_msghdr(mem, kBase, UINT64_MAX, opts),
            R"({msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], )"
            R"(msg_iovlen=1, msg_control=0x1000, msg_controllen=24, msg_flags=MSG_CTRUNC})");
}

}  // namespace
}  // namespace moat::sentry::strace
