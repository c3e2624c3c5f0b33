// Expected strings are strace 6.1's output on Debian 12 (x86-64), from the C
// calls named beside them; `strace -o out ./prog`.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <ctime>

#include "sentry/strace/format.h"

namespace moat::sentry::strace {
namespace {

// --- files -----------------------------------------------------------------------

TEST(FormatFlags, OpenFlags) {
  // openat(AT_FDCWD, "/x", O_RDONLY|O_CLOEXEC) and friends.
  EXPECT_EQ(format_open_flags(O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(format_open_flags(O_WRONLY | O_CREAT | O_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(format_open_flags(O_RDONLY), "O_RDONLY");
  EXPECT_EQ(format_open_flags(O_RDONLY | 0x40000000), "O_RDONLY|0x40000000");
  EXPECT_EQ(format_open_flags(O_RDWR | O_DIRECTORY | O_NOFOLLOW | O_APPEND | O_EXCL | O_NOCTTY |
                              O_NONBLOCK),
            "O_RDWR|O_EXCL|O_NOCTTY|O_APPEND|O_NONBLOCK|O_NOFOLLOW|O_DIRECTORY");
  EXPECT_EQ(format_open_flags(O_TMPFILE | O_RDWR), "O_RDWR|O_TMPFILE");
  EXPECT_EQ(format_open_flags(O_SYNC | O_WRONLY | O_DSYNC), "O_WRONLY|O_SYNC");
  EXPECT_EQ(format_open_flags(O_DSYNC | O_WRONLY | O_DIRECT | O_NOATIME | O_PATH | FASYNC),
            "O_WRONLY|O_DSYNC|O_DIRECT|O_NOATIME|O_PATH|FASYNC");
  // syscall(SYS_openat, AT_FDCWD, path, 020000000), 04000000, O_WRONLY|0x80000000.
  EXPECT_EQ(format_open_flags(020000000), "O_RDONLY|__O_TMPFILE");
  EXPECT_EQ(format_open_flags(04000000), "O_RDONLY|__O_SYNC");
  EXPECT_EQ(format_open_flags(O_WRONLY | 0x80000000), "O_WRONLY|0x80000000");
  // fcntl(fd, F_SETFL, O_NONBLOCK).
  EXPECT_EQ(format_open_flags(O_NONBLOCK), "O_RDONLY|O_NONBLOCK");
}

TEST(FormatFlags, OpenFlagsLargefileIsTheKernelValue) {
  // syscall(SYS_openat, AT_FDCWD, path, 3|0100000) on x86-64.
#if defined(__x86_64__)
  EXPECT_EQ(format_open_flags(3 | 0100000), "O_ACCMODE|O_LARGEFILE");
#elif defined(__aarch64__)
  EXPECT_EQ(format_open_flags(3 | 0400000), "O_ACCMODE|O_LARGEFILE");
#endif
}

TEST(FormatFlags, PipeAndDup3Flags) {
  // pipe2(fds, O_CLOEXEC|O_NONBLOCK), pipe2(fds, 0), dup3(a, b, 0x10).
  EXPECT_EQ(format_pipe_flags(O_CLOEXEC | O_NONBLOCK), "O_NONBLOCK|O_CLOEXEC");
  EXPECT_EQ(format_pipe_flags(0), "0");
  EXPECT_EQ(format_pipe_flags(O_DIRECT), "O_DIRECT");
  EXPECT_EQ(format_dup3_flags(O_CLOEXEC), "O_CLOEXEC");
  EXPECT_EQ(format_dup3_flags(0x10), "0x10 /* O_??? */");
}

TEST(FormatFlags, AtFlags) {
  // newfstatat(3, "", ..., AT_EMPTY_PATH), unlinkat(..., AT_REMOVEDIR).
  EXPECT_EQ(format_at_flags(AT_EMPTY_PATH), "AT_EMPTY_PATH");
  EXPECT_EQ(format_at_flags(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT),
            "AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT");
  EXPECT_EQ(format_at_flags(AT_REMOVEDIR), "AT_REMOVEDIR");
  EXPECT_EQ(format_at_flags(0x8000), "AT_RECURSIVE");
  EXPECT_EQ(format_at_flags(0), "0");
}

TEST(FormatFlags, AccessMode) {
  // access("/", F_OK), R_OK|W_OK, X_OK|8, 8.
  EXPECT_EQ(format_access_mode(F_OK), "F_OK");
  EXPECT_EQ(format_access_mode(R_OK | W_OK), "R_OK|W_OK");
  EXPECT_EQ(format_access_mode(X_OK | 8), "X_OK|0x8");
  EXPECT_EQ(format_access_mode(8), "0x8 /* ?_OK */");
}

TEST(FormatFlags, Whence) {
  // lseek(0, 0, SEEK_END), SEEK_DATA, 7.
  EXPECT_EQ(format_whence(SEEK_END), "SEEK_END");
  EXPECT_EQ(format_whence(SEEK_DATA), "SEEK_DATA");
  EXPECT_EQ(format_whence(7), "0x7 /* SEEK_??? */");
}

TEST(FormatFlags, Fcntl) {
  // fcntl(8, F_DUPFD_CLOEXEC, 10), fcntl(8, 9999), F_SETLK64 (== F_SETLK).
  EXPECT_EQ(format_fcntl_cmd(F_DUPFD_CLOEXEC), "F_DUPFD_CLOEXEC");
  EXPECT_EQ(format_fcntl_cmd(F_GETFL), "F_GETFL");
  EXPECT_EQ(format_fcntl_cmd(F_SETLK64), "F_SETLK");
  EXPECT_EQ(format_fcntl_cmd(F_OFD_SETLKW), "F_OFD_SETLKW");
  EXPECT_EQ(format_fcntl_cmd(9999), "0x270f /* F_??? */");
  // fcntl(8, F_SETFD, FD_CLOEXEC), 0, 6.
  EXPECT_EQ(format_fd_flags(FD_CLOEXEC), "FD_CLOEXEC");
  EXPECT_EQ(format_fd_flags(0), "0");
  EXPECT_EQ(format_fd_flags(6), "0x6 /* FD_??? */");
}

// --- memory ------------------------------------------------------------------------

TEST(FormatFlags, Prot) {
  EXPECT_EQ(format_prot(PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
  EXPECT_EQ(format_prot(PROT_NONE), "PROT_NONE");
  // mmap(NULL, 8192, 0x100|PROT_READ, ...), PROT_READ|PROT_EXEC|PROT_GROWSDOWN.
  EXPECT_EQ(format_prot(PROT_READ | 0x100), "PROT_READ|0x100");
  EXPECT_EQ(format_prot(PROT_READ | PROT_EXEC | PROT_GROWSDOWN),
            "PROT_READ|PROT_EXEC|PROT_GROWSDOWN");
  EXPECT_EQ(format_prot(0x100), "0x100 /* PROT_??? */");
}

TEST(FormatFlags, MmapFlags) {
  EXPECT_EQ(format_mmap_flags(MAP_PRIVATE | MAP_ANONYMOUS), "MAP_PRIVATE|MAP_ANONYMOUS");
  EXPECT_EQ(format_mmap_flags(MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE),
            "MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE|MAP_POPULATE");
  EXPECT_EQ(format_mmap_flags(MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE),
            "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
  // The huge page size in bits 26..31.
  EXPECT_EQ(format_mmap_flags(MAP_PRIVATE | MAP_ANONYMOUS | 0x8000000),
            "MAP_PRIVATE|MAP_ANONYMOUS|2<<MAP_HUGE_SHIFT");
  EXPECT_EQ(format_mmap_flags(MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT)),
            "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT");
  // An unknown type, and type 0, which strace names MAP_FILE.
  EXPECT_EQ(format_mmap_flags(0xf), "0xf /* MAP_??? */");
  EXPECT_EQ(format_mmap_flags(0x4), "0x4 /* MAP_??? */");
  EXPECT_EQ(format_mmap_flags(MAP_ANONYMOUS), "MAP_FILE|MAP_ANONYMOUS");
  EXPECT_EQ(format_mmap_flags(0), "MAP_FILE");
  EXPECT_EQ(format_mmap_flags(MAP_PRIVATE | 0x800000), "MAP_PRIVATE|0x800000");
}

#if defined(__x86_64__)
TEST(FormatFlags, MmapFlagsX86) {
  EXPECT_EQ(format_mmap_flags(MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE | MAP_STACK |
                              MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED |
                              MAP_NONBLOCK | MAP_SYNC | MAP_32BIT),
            "MAP_SHARED_VALIDATE|MAP_32BIT|MAP_NONBLOCK|MAP_GROWSDOWN|MAP_DENYWRITE|"
            "MAP_EXECUTABLE|MAP_LOCKED|MAP_STACK|MAP_SYNC|MAP_FIXED_NOREPLACE");
}
#endif

TEST(FormatFlags, MremapMadviseMsync) {
  // mremap(..., MREMAP_MAYMOVE|8), madvise(..., 999), msync(..., 0x10).
  EXPECT_EQ(format_mremap_flags(MREMAP_MAYMOVE | 8), "MREMAP_MAYMOVE|0x8");
  EXPECT_EQ(format_mremap_flags(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP),
            "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP");
  EXPECT_EQ(format_mremap_flags(0), "0");
  EXPECT_EQ(format_madvise(MADV_DONTNEED), "MADV_DONTNEED");
  EXPECT_EQ(format_madvise(MADV_NORMAL), "MADV_NORMAL");
  EXPECT_EQ(format_madvise(MADV_HUGEPAGE), "MADV_HUGEPAGE");
  EXPECT_EQ(format_madvise(999), "0x3e7 /* MADV_??? */");
  EXPECT_EQ(format_msync_flags(MS_SYNC), "MS_SYNC");
  EXPECT_EQ(format_msync_flags(MS_ASYNC | MS_INVALIDATE), "MS_ASYNC|MS_INVALIDATE");
  EXPECT_EQ(format_msync_flags(0), "0");
  EXPECT_EQ(format_msync_flags(0x10), "0x10 /* MS_??? */");
}

// --- processes ---------------------------------------------------------------------

TEST(FormatFlags, CloneFlags) {
  // fork() in glibc.
  EXPECT_EQ(format_clone_flags(CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  // syscall(SYS_clone, CLONE_SIGHAND|CLONE_FS|0x400000|0x100000000|SIGUSR1, ...).
  EXPECT_EQ(format_clone_flags(CLONE_SIGHAND | CLONE_FS | 0x400000 | 0x100000000 | SIGUSR1),
            "CLONE_FS|CLONE_SIGHAND|0x100400000|SIGUSR1");
  EXPECT_EQ(format_clone_flags(CLONE_SIGHAND), "CLONE_SIGHAND");
  EXPECT_EQ(format_clone_flags(CLONE_SIGHAND | 0x7f), "CLONE_SIGHAND|127");
  EXPECT_EQ(format_clone_flags(0), "0");
  EXPECT_EQ(format_clone_flags(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(
      format_clone_flags(CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD | CLONE_PTRACE | CLONE_VFORK |
                         CLONE_PARENT | CLONE_THREAD | CLONE_NEWNS | CLONE_SYSVSEM | CLONE_SETTLS |
                         CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_UNTRACED |
                         CLONE_CHILD_SETTID | CLONE_NEWCGROUP | CLONE_IO),
      "CLONE_FILES|CLONE_SIGHAND|CLONE_PIDFD|CLONE_PTRACE|CLONE_VFORK|CLONE_PARENT|"
      "CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
      "CLONE_CHILD_CLEARTID|CLONE_UNTRACED|CLONE_CHILD_SETTID|CLONE_NEWCGROUP|CLONE_IO");
}

TEST(FormatFlags, WaitOptions) {
  // wait4(pid, &st, __WALL, NULL), WUNTRACED, waitid(..., WEXITED|WNOWAIT|WSTOPPED).
  EXPECT_EQ(format_wait_options(__WALL), "__WALL");
  EXPECT_EQ(format_wait_options(WUNTRACED), "WSTOPPED");
  EXPECT_EQ(format_wait_options(WEXITED | WNOWAIT | WSTOPPED), "WEXITED|WSTOPPED|WNOWAIT");
  EXPECT_EQ(format_wait_options(WNOHANG | 0x1000), "WNOHANG|0x1000");
  EXPECT_EQ(format_wait_options(0), "0");
}

TEST(FormatFlags, WaitStatus) {
  // wait4() after _exit(0), _exit(3), a SIGSEGV with and without a core,
  // SIGSTOP and SIGCONT.
  EXPECT_EQ(format_wait_status(0), "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]");
  EXPECT_EQ(format_wait_status(3 << 8), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
  EXPECT_EQ(format_wait_status(SIGSEGV | 0x80),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]");
  EXPECT_EQ(format_wait_status(SIGSEGV), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV}]");
  EXPECT_EQ(format_wait_status((SIGSTOP << 8) | 0x7f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]");
  EXPECT_EQ(format_wait_status(0xffff), "[{WIFCONTINUED(s)}]");
  // A ptrace stop with an event and the 0x80 of PTRACE_O_TRACESYSGOOD.
  EXPECT_EQ(format_wait_status((PTRACE_EVENT_CLONE << 16) | (SIGTRAP << 8) | 0x7f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP}|PTRACE_EVENT_CLONE<<16]");
  EXPECT_EQ(format_wait_status(((SIGTRAP | 0x80) << 8) | 0x7f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP | 0x80}]");
}

TEST(FormatFlags, Idtype) {
  // waitid(P_PID, ...), waitid(7, ...).
  EXPECT_EQ(format_idtype(P_PID), "P_PID");
  EXPECT_EQ(format_idtype(P_ALL), "P_ALL");
  EXPECT_EQ(format_idtype(3), "P_PIDFD");
  EXPECT_EQ(format_idtype(7), "0x7 /* P_??? */");
}

TEST(FormatFlags, FutexOp) {
  EXPECT_EQ(format_futex_op(FUTEX_WAKE_PRIVATE), "FUTEX_WAKE_PRIVATE");
  EXPECT_EQ(format_futex_op(FUTEX_WAKE_BITSET), "FUTEX_WAKE_BITSET");
  EXPECT_EQ(format_futex_op(FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME),
            "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
  EXPECT_EQ(format_futex_op(FUTEX_FD | FUTEX_PRIVATE_FLAG), "FUTEX_FD|FUTEX_PRIVATE_FLAG");
  EXPECT_EQ(format_futex_op(FUTEX_WAKE | FUTEX_CLOCK_REALTIME), "0x101 /* FUTEX_??? */");
  EXPECT_EQ(format_futex_op(99), "0x63 /* FUTEX_??? */");
}

TEST(FormatFlags, ClockAndTimers) {
  // clock_gettime(CLOCK_MONOTONIC, ...), 99 and -6 (a CPU clock id).
  EXPECT_EQ(format_clock_id(CLOCK_MONOTONIC), "CLOCK_MONOTONIC");
  EXPECT_EQ(format_clock_id(CLOCK_BOOTTIME), "CLOCK_BOOTTIME");
  EXPECT_EQ(format_clock_id(99), "0x63 /* CLOCK_??? */");
  EXPECT_EQ(format_clock_id(static_cast<uint64_t>(-6)), "0xfffffffa /* CLOCK_??? */");
  // timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC|TFD_NONBLOCK), timerfd_settime(fd,
  // TFD_TIMER_ABSTIME, ...).
  EXPECT_EQ(format_timerfd_flags(TFD_CLOEXEC | TFD_NONBLOCK), "TFD_CLOEXEC|TFD_NONBLOCK");
  EXPECT_EQ(format_timerfd_flags(TFD_TIMER_ABSTIME), "TFD_TIMER_ABSTIME");
  EXPECT_EQ(format_timerfd_flags(0), "0");
}

TEST(FormatFlags, Resources) {
  // prlimit64(0, RLIMIT_STACK, ...), 99; getrusage(RUSAGE_SELF/CHILDREN/THREAD/5).
  EXPECT_EQ(format_rlimit_resource(RLIMIT_STACK), "RLIMIT_STACK");
  EXPECT_EQ(format_rlimit_resource(RLIMIT_NOFILE), "RLIMIT_NOFILE");
  EXPECT_EQ(format_rlimit_resource(99), "0x63 /* RLIMIT_??? */");
  EXPECT_EQ(format_rusage_who(RUSAGE_SELF), "RUSAGE_SELF");
  EXPECT_EQ(format_rusage_who(static_cast<uint64_t>(-1)), "RUSAGE_CHILDREN");
  EXPECT_EQ(format_rusage_who(RUSAGE_THREAD), "RUSAGE_THREAD");
  EXPECT_EQ(format_rusage_who(5), "0x5 /* RUSAGE_??? */");
}

TEST(FormatFlags, RandomArchPrctl) {
  // getrandom(buf, 4, GRND_NONBLOCK), 0, GRND_RANDOM|GRND_INSECURE|8.
  EXPECT_EQ(format_getrandom_flags(GRND_NONBLOCK), "GRND_NONBLOCK");
  EXPECT_EQ(format_getrandom_flags(0), "0");
  EXPECT_EQ(format_getrandom_flags(GRND_RANDOM | GRND_INSECURE | 8),
            "GRND_RANDOM|GRND_INSECURE|0x8");
  // arch_prctl(0x3001, ...), ARCH_GET_FS, ARCH_GET_CPUID.
  EXPECT_EQ(format_arch_prctl_code(0x3001), "0x3001 /* ARCH_??? */");
  EXPECT_EQ(format_arch_prctl_code(0x1003), "ARCH_GET_FS");
  EXPECT_EQ(format_arch_prctl_code(0x1002), "ARCH_SET_FS");
  EXPECT_EQ(format_arch_prctl_code(0x1011), "ARCH_GET_CPUID");
  // prctl(PR_SET_NAME, ...), 9999, PR_SET_NO_NEW_PRIVS, PR_GET_DUMPABLE.
  EXPECT_EQ(format_prctl_option(PR_SET_NAME), "PR_SET_NAME");
  EXPECT_EQ(format_prctl_option(PR_SET_NO_NEW_PRIVS), "PR_SET_NO_NEW_PRIVS");
  EXPECT_EQ(format_prctl_option(PR_GET_DUMPABLE), "PR_GET_DUMPABLE");
  EXPECT_EQ(format_prctl_option(9999), "0x270f /* PR_??? */");
}

// --- signals -----------------------------------------------------------------------

TEST(FormatFlags, SignalArguments) {
  // rt_sigprocmask(SIG_BLOCK, ...), rt_sigprocmask(5, ...).
  EXPECT_EQ(format_sigprocmask_how(SIG_BLOCK), "SIG_BLOCK");
  EXPECT_EQ(format_sigprocmask_how(SIG_SETMASK), "SIG_SETMASK");
  EXPECT_EQ(format_sigprocmask_how(5), "0x5 /* SIG_??? */");
  EXPECT_EQ(format_sa_flags(0x04000000 | SA_RESTART), "SA_RESTORER|SA_RESTART");
  EXPECT_EQ(format_sa_flags(0x04000000 | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND |
                            SA_SIGINFO | SA_NOCLDSTOP | SA_NOCLDWAIT | 0xffffffff00000000),
            "SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|"
            "SA_NOCLDWAIT|0xffffffff00000000");
  EXPECT_EQ(format_sa_flags(0x04000000 | 0x100), "SA_RESTORER|0x100");
  EXPECT_EQ(format_sa_flags(SA_INTERRUPT), "SA_INTERRUPT");
  EXPECT_EQ(format_sa_flags(0), "0");
}

TEST(FormatFlags, SiCode) {
  EXPECT_EQ(format_si_code(SIGSEGV, SEGV_MAPERR), "SEGV_MAPERR");
  EXPECT_EQ(format_si_code(SIGRTMIN, SI_USER), "SI_USER");
  EXPECT_EQ(format_si_code(SIGWINCH, SI_KERNEL), "SI_KERNEL");
  EXPECT_EQ(format_si_code(SIGCHLD, CLD_EXITED), "CLD_EXITED");
  EXPECT_EQ(format_si_code(SIGCHLD, CLD_DUMPED), "CLD_DUMPED");
  EXPECT_EQ(format_si_code(SIGTRAP, TRAP_BRKPT), "TRAP_BRKPT");
  EXPECT_EQ(format_si_code(SIGUSR1, SI_TKILL), "SI_TKILL");
  EXPECT_EQ(format_si_code(SIGSYS, 1), "SYS_SECCOMP");
  // --- SIGUSR1 {si_signo=SIGUSR1, si_code=0x2, ...}: no name for code 2.
  EXPECT_EQ(format_si_code(SIGUSR1, 2), "0x2");
  EXPECT_EQ(format_si_code(SIGUSR1, -8), "0xfffffff8");
}

// --- descriptors ---------------------------------------------------------------------

TEST(FormatFlags, EventsAndDescriptorFlags) {
  // poll([{fd=8, events=POLLIN|POLLPRI}, ...]), POLLOUT|0x4000.
  EXPECT_EQ(format_poll_events(POLLIN | POLLPRI), "POLLIN|POLLPRI");
  EXPECT_EQ(format_poll_events(POLLOUT | 0x4000), "POLLOUT|0x4000");
  EXPECT_EQ(format_poll_events(0), "0");
  // epoll_ctl(11, EPOLL_CTL_ADD, 8, {events=EPOLLIN|EPOLLET, ...}), EPOLLOUT|0x8000000.
  EXPECT_EQ(format_epoll_events(EPOLLIN | EPOLLET), "EPOLLIN|EPOLLET");
  EXPECT_EQ(format_epoll_events(EPOLLOUT | 0x8000000), "EPOLLOUT|0x8000000");
  EXPECT_EQ(format_epoll_events(0), "0");
  EXPECT_EQ(format_epoll_ctl_op(EPOLL_CTL_ADD), "EPOLL_CTL_ADD");
  EXPECT_EQ(format_epoll_ctl_op(7), "0x7 /* EPOLL_CTL_??? */");
  // epoll_create1(EPOLL_CLOEXEC), (0), (1).
  EXPECT_EQ(format_epoll_create_flags(EPOLL_CLOEXEC), "EPOLL_CLOEXEC");
  EXPECT_EQ(format_epoll_create_flags(0), "0");
  EXPECT_EQ(format_epoll_create_flags(1), "0x1 /* EPOLL_??? */");
  // eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK), eventfd2(3, EFD_SEMAPHORE|0x10).
  EXPECT_EQ(format_efd_flags(EFD_CLOEXEC | EFD_NONBLOCK), "EFD_CLOEXEC|EFD_NONBLOCK");
  EXPECT_EQ(format_efd_flags(EFD_SEMAPHORE | 0x10), "EFD_SEMAPHORE|0x10");
  EXPECT_EQ(format_efd_flags(0), "0");
}

TEST(FormatFlags, IoctlCommands) {
  // ioctl(0, TCGETS, ...), TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, TIOCGPGRP,
  // TCSETSW, SIOCGIFCONF.
  EXPECT_EQ(format_ioctl_cmd(TCGETS), "TCGETS");
  EXPECT_EQ(format_ioctl_cmd(TIOCGWINSZ), "TIOCGWINSZ");
  EXPECT_EQ(format_ioctl_cmd(FIONREAD), "FIONREAD");
  EXPECT_EQ(format_ioctl_cmd(FIONBIO), "FIONBIO");
  EXPECT_EQ(format_ioctl_cmd(FIOCLEX), "FIOCLEX");
  EXPECT_EQ(format_ioctl_cmd(TIOCGPGRP), "TIOCGPGRP");
  EXPECT_EQ(format_ioctl_cmd(TCSETSW), "SNDCTL_TMR_STOP or TCSETSW");
  EXPECT_EQ(format_ioctl_cmd(TCSETS), "SNDCTL_TMR_START or TCSETS");
  EXPECT_EQ(format_ioctl_cmd(SIOCGIFCONF), "SIOCGIFCONF");
  EXPECT_EQ(format_ioctl_cmd(0x802c542a), "TCGETS2");
  // ioctl(ptmx, TIOCGPTN, ...), TIOCSPTLCK, FIONCLEX, TCFLSH, TIOCGPTPEER;
  // ioctl(sock, SIOCGIFINDEX, ...), SIOCGIFFLAGS, 0x8906, SIOCATMARK.
  EXPECT_EQ(format_ioctl_cmd(TIOCGPTN), "TIOCGPTN");
  EXPECT_EQ(format_ioctl_cmd(TIOCSPTLCK), "TIOCSPTLCK");
  EXPECT_EQ(format_ioctl_cmd(FIONCLEX), "FIONCLEX");
  EXPECT_EQ(format_ioctl_cmd(TCFLSH), "TCFLSH");
  EXPECT_EQ(format_ioctl_cmd(TIOCGPTPEER), "TIOCGPTPEER");
  EXPECT_EQ(format_ioctl_cmd(SIOCGIFINDEX), "SIOCGIFINDEX");
  EXPECT_EQ(format_ioctl_cmd(SIOCGIFFLAGS), "SIOCGIFFLAGS");
  EXPECT_EQ(format_ioctl_cmd(0x8906), "SIOCGSTAMP_OLD");
  EXPECT_EQ(format_ioctl_cmd(SIOCATMARK), "SIOCATMARK");
  // ioctl(fd, _IOR('T', 0x99, int)), 0x1234, _IOWR('x', 0x12, long),
  // _IOW(0xab, 0xcd, char[300]).
  EXPECT_EQ(format_ioctl_cmd(_IOR('T', 0x99, int)), "_IOC(_IOC_READ, 0x54, 0x99, 0x4)");
  EXPECT_EQ(format_ioctl_cmd(0x1234), "_IOC(_IOC_NONE, 0x12, 0x34, 0)");
  EXPECT_EQ(format_ioctl_cmd(_IOWR('x', 0x12, long)),
            "_IOC(_IOC_READ|_IOC_WRITE, 0x78, 0x12, 0x8)");
  EXPECT_EQ(format_ioctl_cmd(_IOW(0xab, 0xcd, char[300])), "_IOC(_IOC_WRITE, 0xab, 0xcd, 0x12c)");
}

}  // namespace
}  // namespace moat::sentry::strace
