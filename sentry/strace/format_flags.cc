// Symbolic values and flag sets as strace 6.1 prints them. Each table lists
// its names in the order strace prints them; the values come from this
// build's headers, which are the guest's (see format.h). The few values
// spelled out as numbers are ones glibc's headers lack: they live in kernel
// headers that clash with glibc's, or in none the kernel exports.

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "sentry/strace/format.h"
#include "sentry/strace/format_internal.h"

namespace moat::sentry::strace {

using detail::flags;
using detail::hex;
using detail::Named;
using detail::xval;

namespace {

// The kernel's O_LARGEFILE differs between architectures and glibc's is 0
// on 64-bit targets (<asm/fcntl.h> clashes with <fcntl.h>): arch_abi.h has it.
constexpr uint64_t kOLargefile = arch::kOLargefile;

constexpr Named kOpenAccessModes[] = {
    MOAT_NAMED(O_RDONLY),
    MOAT_NAMED(O_WRONLY),
    MOAT_NAMED(O_RDWR),
    MOAT_NAMED(O_ACCMODE),
};

// O_SYNC and O_TMPFILE come before the bits they contain. The kernel's
// __O_SYNC and __O_TMPFILE (the bit without O_DSYNC or O_DIRECTORY) are not
// in glibc's headers; the values are the same on x86-64 and arm64.
constexpr Named kOpenFlags[] = {
    MOAT_NAMED(O_CREAT),   MOAT_NAMED(O_EXCL),           MOAT_NAMED(O_NOCTTY),
    MOAT_NAMED(O_TRUNC),   MOAT_NAMED(O_APPEND),         MOAT_NAMED(O_NONBLOCK),
    MOAT_NAMED(O_SYNC),    {04000000, "__O_SYNC"},       MOAT_NAMED(O_DSYNC),
    MOAT_NAMED(O_DIRECT),  {kOLargefile, "O_LARGEFILE"}, MOAT_NAMED(O_NOFOLLOW),
    MOAT_NAMED(O_NOATIME), MOAT_NAMED(O_CLOEXEC),        MOAT_NAMED(O_PATH),
    MOAT_NAMED(O_TMPFILE), {020000000, "__O_TMPFILE"},   MOAT_NAMED(O_DIRECTORY),
    MOAT_NAMED(FASYNC),
};

static_assert(O_SYNC == (04000000 | O_DSYNC) && O_TMPFILE == (020000000 | O_DIRECTORY));

}  // namespace

std::string format_open_flags(uint64_t value) {
  const auto v = static_cast<uint32_t>(value);
  std::string out = detail::find_name(kOpenAccessModes, v & O_ACCMODE);
  if ((v & ~O_ACCMODE) != 0) {
    out += '|' + flags(kOpenFlags, v & ~O_ACCMODE, nullptr);
  }
  return out;
}

std::string format_pipe_flags(uint64_t value) {
  return flags(kOpenFlags, value, "O_???");
}

std::string format_dup3_flags(uint64_t value) {
  return flags(kOpenFlags, value, "O_???");
}

std::string format_at_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(AT_SYMLINK_NOFOLLOW), MOAT_NAMED(AT_REMOVEDIR),  MOAT_NAMED(AT_SYMLINK_FOLLOW),
      MOAT_NAMED(AT_NO_AUTOMOUNT),     MOAT_NAMED(AT_EMPTY_PATH), MOAT_NAMED(AT_RECURSIVE),
  };
  return flags(kTable, value, "AT_???");
}

std::string format_access_mode(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(F_OK),
      MOAT_NAMED(R_OK),
      MOAT_NAMED(W_OK),
      MOAT_NAMED(X_OK),
  };
  return flags(kTable, value, "?_OK");
}

std::string format_whence(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(SEEK_SET),  MOAT_NAMED(SEEK_CUR),  MOAT_NAMED(SEEK_END),
      MOAT_NAMED(SEEK_DATA), MOAT_NAMED(SEEK_HOLE),
  };
  return xval(kTable, value, "SEEK_???");
}

std::string format_fcntl_cmd(uint64_t value) {
  // F_GETLK64 and friends equal F_GETLK on 64-bit targets; strace names the
  // first. F_GETOWNER_UIDS and F_CANCELLK are only in <linux/fcntl.h>.
  static constexpr Named kTable[] = {
      MOAT_NAMED(F_DUPFD),      MOAT_NAMED(F_GETFD),         MOAT_NAMED(F_SETFD),
      MOAT_NAMED(F_GETFL),      MOAT_NAMED(F_SETFL),         MOAT_NAMED(F_GETLK),
      MOAT_NAMED(F_SETLK),      MOAT_NAMED(F_SETLKW),        MOAT_NAMED(F_SETOWN),
      MOAT_NAMED(F_GETOWN),     MOAT_NAMED(F_SETSIG),        MOAT_NAMED(F_GETSIG),
      MOAT_NAMED(F_SETOWN_EX),  MOAT_NAMED(F_GETOWN_EX),     {17, "F_GETOWNER_UIDS"},
      MOAT_NAMED(F_OFD_GETLK),  MOAT_NAMED(F_OFD_SETLK),     MOAT_NAMED(F_OFD_SETLKW),
      MOAT_NAMED(F_SETLEASE),   MOAT_NAMED(F_GETLEASE),      MOAT_NAMED(F_NOTIFY),
      {1029, "F_CANCELLK"},     MOAT_NAMED(F_DUPFD_CLOEXEC), MOAT_NAMED(F_SETPIPE_SZ),
      MOAT_NAMED(F_GETPIPE_SZ), MOAT_NAMED(F_ADD_SEALS),     MOAT_NAMED(F_GET_SEALS),
  };
  return xval(kTable, value, "F_???");
}

std::string format_fd_flags(uint64_t value) {
  static constexpr Named kTable[] = {MOAT_NAMED(FD_CLOEXEC)};
  return flags(kTable, value, "FD_???");
}

// --- memory ----------------------------------------------------------------

std::string format_prot(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(PROT_NONE),    MOAT_NAMED(PROT_READ), MOAT_NAMED(PROT_WRITE),
      MOAT_NAMED(PROT_EXEC),    {0x8, "PROT_SEM"},     MOAT_NAMED(PROT_GROWSDOWN),
      MOAT_NAMED(PROT_GROWSUP),
  };
  return flags(kTable, value, "PROT_???");
}

namespace {

constexpr Named kMmapFlags[] = {
    MOAT_NAMED(MAP_SHARED),    MOAT_NAMED(MAP_PRIVATE),   MOAT_NAMED(MAP_SHARED_VALIDATE),
    MOAT_NAMED(MAP_FIXED),     MOAT_NAMED(MAP_ANONYMOUS),
#ifdef MAP_32BIT
    MOAT_NAMED(MAP_32BIT),
#endif
    MOAT_NAMED(MAP_NORESERVE), MOAT_NAMED(MAP_POPULATE),  MOAT_NAMED(MAP_NONBLOCK),
    MOAT_NAMED(MAP_GROWSDOWN), MOAT_NAMED(MAP_DENYWRITE), MOAT_NAMED(MAP_EXECUTABLE),
    MOAT_NAMED(MAP_FILE),      MOAT_NAMED(MAP_LOCKED),    MOAT_NAMED(MAP_STACK),
    MOAT_NAMED(MAP_HUGETLB),   MOAT_NAMED(MAP_SYNC),      MOAT_NAMED(MAP_FIXED_NOREPLACE),
};

constexpr uint64_t kMapType = 0xf;
constexpr uint64_t kMapHugeMask = uint64_t{0x3f} << MAP_HUGE_SHIFT;

}  // namespace

std::string format_mmap_flags(uint64_t value) {
  // The mapping type first, looked up as a whole value (MAP_FILE for 0), then
  // the flags, then the huge page size as `21<<MAP_HUGE_SHIFT`.
  std::string out = xval(kMmapFlags, value & kMapType, "MAP_???");
  const uint64_t rest = value & ~kMapType & ~kMapHugeMask;
  if (rest != 0) {
    out += '|' + flags(kMmapFlags, rest, nullptr);
  }
  if (const uint64_t huge = value & kMapHugeMask; huge != 0) {
    out += fmt::format("|{}<<MAP_HUGE_SHIFT", huge >> MAP_HUGE_SHIFT);
  }
  return out;
}

std::string format_mremap_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(MREMAP_MAYMOVE),
      MOAT_NAMED(MREMAP_FIXED),
      MOAT_NAMED(MREMAP_DONTUNMAP),
  };
  return flags(kTable, value, "MREMAP_???");
}

std::string format_madvise(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(MADV_NORMAL),         MOAT_NAMED(MADV_RANDOM),
      MOAT_NAMED(MADV_SEQUENTIAL),     MOAT_NAMED(MADV_WILLNEED),
      MOAT_NAMED(MADV_DONTNEED),       MOAT_NAMED(MADV_FREE),
      MOAT_NAMED(MADV_REMOVE),         MOAT_NAMED(MADV_DONTFORK),
      MOAT_NAMED(MADV_DOFORK),         MOAT_NAMED(MADV_MERGEABLE),
      MOAT_NAMED(MADV_UNMERGEABLE),    MOAT_NAMED(MADV_HUGEPAGE),
      MOAT_NAMED(MADV_NOHUGEPAGE),     MOAT_NAMED(MADV_DONTDUMP),
      MOAT_NAMED(MADV_DODUMP),         MOAT_NAMED(MADV_WIPEONFORK),
      MOAT_NAMED(MADV_KEEPONFORK),     MOAT_NAMED(MADV_COLD),
      MOAT_NAMED(MADV_PAGEOUT),        MOAT_NAMED(MADV_POPULATE_READ),
      MOAT_NAMED(MADV_POPULATE_WRITE), MOAT_NAMED(MADV_DONTNEED_LOCKED),
      {25, "MADV_COLLAPSE"},           MOAT_NAMED(MADV_HWPOISON),
      {101, "MADV_SOFT_OFFLINE"},
  };
  return xval(kTable, value, "MADV_???");
}

std::string format_msync_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(MS_SYNC),
      MOAT_NAMED(MS_ASYNC),
      MOAT_NAMED(MS_INVALIDATE),
  };
  return flags(kTable, value, "MS_???");
}

// --- processes -------------------------------------------------------------

std::string format_clone_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(CLONE_VM),
      MOAT_NAMED(CLONE_FS),
      MOAT_NAMED(CLONE_FILES),
      MOAT_NAMED(CLONE_SIGHAND),
      MOAT_NAMED(CLONE_PIDFD),
      MOAT_NAMED(CLONE_PTRACE),
      MOAT_NAMED(CLONE_VFORK),
      MOAT_NAMED(CLONE_PARENT),
      MOAT_NAMED(CLONE_THREAD),
      MOAT_NAMED(CLONE_NEWNS),
      MOAT_NAMED(CLONE_SYSVSEM),
      MOAT_NAMED(CLONE_SETTLS),
      MOAT_NAMED(CLONE_PARENT_SETTID),
      MOAT_NAMED(CLONE_CHILD_CLEARTID),
      MOAT_NAMED(CLONE_UNTRACED),
      MOAT_NAMED(CLONE_CHILD_SETTID),
      MOAT_NAMED(CLONE_NEWCGROUP),
      MOAT_NAMED(CLONE_NEWUTS),
      MOAT_NAMED(CLONE_NEWIPC),
      MOAT_NAMED(CLONE_NEWUSER),
      MOAT_NAMED(CLONE_NEWPID),
      MOAT_NAMED(CLONE_NEWNET),
      MOAT_NAMED(CLONE_IO),
  };
  // The low byte is the signal sent to the parent when the child exits.
  constexpr uint64_t kCsignal = 0xff;
  const uint64_t bits = value & ~kCsignal;
  const uint64_t signo = value & kCsignal;
  if (bits == 0) {
    return format_signal(signo);
  }
  std::string out = flags(kTable, bits, "CLONE_???");
  if (signo != 0) {
    out += '|' + format_signal(signo);
  }
  return out;
}

std::string format_wait_options(uint64_t value) {
  // WUNTRACED equals WSTOPPED; strace names the latter.
  static constexpr Named kTable[] = {
      MOAT_NAMED(WNOHANG), MOAT_NAMED(WEXITED),  MOAT_NAMED(WSTOPPED), MOAT_NAMED(WCONTINUED),
      MOAT_NAMED(WNOWAIT), MOAT_NAMED(__WCLONE), MOAT_NAMED(__WALL),   MOAT_NAMED(__WNOTHREAD),
  };
  return flags(kTable, value, "W???");
}

std::string format_wait_status(int status) {
  std::string out;
  auto rest = static_cast<unsigned>(status);
  if (WIFSTOPPED(status)) {
    const int sig = WSTOPSIG(status);
    out = fmt::format("[{{WIFSTOPPED(s) && WSTOPSIG(s) == {}{}}}", signal_name(sig & 0x7f),
                      (sig & 0x80) != 0 ? " | 0x80" : "");
    rest &= ~((static_cast<unsigned>(sig) << 8) | 0x7fu);
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    out = fmt::format("[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}", signal_name(sig),
                      WCOREDUMP(status) ? " && WCOREDUMP(s)" : "");
    rest &= ~(static_cast<unsigned>(sig) | 0x80u);
  } else if (WIFEXITED(status)) {
    out = fmt::format("[{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}", WEXITSTATUS(status));
    rest &= ~(static_cast<unsigned>(WEXITSTATUS(status)) << 8);
  } else if (WIFCONTINUED(status)) {
    out = "[{WIFCONTINUED(s)}";
    rest &= ~0xffffu;
  } else {
    return "[" + hex(rest) + "]";
  }
  // A ptrace event in the high half: `|PTRACE_EVENT_CLONE<<16`.
  if (const unsigned event = rest >> 16; event != 0) {
    static constexpr Named kEvents[] = {
        {1, "PTRACE_EVENT_FORK"},    {2, "PTRACE_EVENT_VFORK"},      {3, "PTRACE_EVENT_CLONE"},
        {4, "PTRACE_EVENT_EXEC"},    {5, "PTRACE_EVENT_VFORK_DONE"}, {6, "PTRACE_EVENT_EXIT"},
        {7, "PTRACE_EVENT_SECCOMP"}, {128, "PTRACE_EVENT_STOP"},
    };
    out += "|" + xval(kEvents, event, "PTRACE_EVENT_???") + "<<16";
    rest &= 0xffff;
  }
  if (rest != 0) {
    out += "|" + hex(rest);
  }
  return out + "]";
}

std::string format_idtype(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(P_ALL),
      MOAT_NAMED(P_PID),
      MOAT_NAMED(P_PGID),
      {3, "P_PIDFD"},
  };
  return xval(kTable, static_cast<uint32_t>(value), "P_???");
}

std::string format_futex_op(uint64_t value) {
  static constexpr const char* kCommands[] = {
      "FUTEX_WAIT",           "FUTEX_WAKE",        "FUTEX_FD",          "FUTEX_REQUEUE",
      "FUTEX_CMP_REQUEUE",    "FUTEX_WAKE_OP",     "FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",
      "FUTEX_TRYLOCK_PI",     "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
      "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
  };
  static_assert(FUTEX_WAIT == 0 && FUTEX_LOCK_PI2 == 13);
  // strace names the command with _PRIVATE folded in, and FUTEX_CLOCK_REALTIME
  // only on the waits that take it; anything else is an unknown value.
  const auto op = static_cast<uint32_t>(value);
  const uint32_t cmd = op & ~static_cast<uint32_t>(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const bool is_private = (op & FUTEX_PRIVATE_FLAG) != 0;
  const bool realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
  const bool takes_clock =
      cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI;
  if (cmd >= std::size(kCommands) || (realtime && !takes_clock)) {
    return fmt::format("{} /* FUTEX_??? */", hex(op));
  }
  std::string out = kCommands[cmd];
  if (is_private) {
    out += cmd == FUTEX_FD ? "|FUTEX_PRIVATE_FLAG" : "_PRIVATE";
  }
  if (realtime) {
    out += "|FUTEX_CLOCK_REALTIME";
  }
  return out;
}

std::string format_clock_id(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(CLOCK_REALTIME),
      MOAT_NAMED(CLOCK_MONOTONIC),
      MOAT_NAMED(CLOCK_PROCESS_CPUTIME_ID),
      MOAT_NAMED(CLOCK_THREAD_CPUTIME_ID),
      MOAT_NAMED(CLOCK_MONOTONIC_RAW),
      MOAT_NAMED(CLOCK_REALTIME_COARSE),
      MOAT_NAMED(CLOCK_MONOTONIC_COARSE),
      MOAT_NAMED(CLOCK_BOOTTIME),
      MOAT_NAMED(CLOCK_REALTIME_ALARM),
      MOAT_NAMED(CLOCK_BOOTTIME_ALARM),
      {10, "CLOCK_SGI_CYCLE"},
      MOAT_NAMED(CLOCK_TAI),
  };
  // clockid_t is an int: strace shows a negative (CPU-clock) id as 0xfffffffa.
  return xval(kTable, static_cast<uint32_t>(value), "CLOCK_???");
}

std::string format_rlimit_resource(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(RLIMIT_CPU),      MOAT_NAMED(RLIMIT_FSIZE), MOAT_NAMED(RLIMIT_DATA),
      MOAT_NAMED(RLIMIT_STACK),    MOAT_NAMED(RLIMIT_CORE),  MOAT_NAMED(RLIMIT_RSS),
      MOAT_NAMED(RLIMIT_NOFILE),   MOAT_NAMED(RLIMIT_AS),    MOAT_NAMED(RLIMIT_NPROC),
      MOAT_NAMED(RLIMIT_MEMLOCK),  MOAT_NAMED(RLIMIT_LOCKS), MOAT_NAMED(RLIMIT_SIGPENDING),
      MOAT_NAMED(RLIMIT_MSGQUEUE), MOAT_NAMED(RLIMIT_NICE),  MOAT_NAMED(RLIMIT_RTPRIO),
      MOAT_NAMED(RLIMIT_RTTIME),
  };
  return xval(kTable, value, "RLIMIT_???");
}

std::string format_rusage_who(uint64_t value) {
  // RUSAGE_CHILDREN is -1: the table holds it sign-extended, as the guest's
  // register does.
  static constexpr Named kTable[] = {
      MOAT_NAMED(RUSAGE_SELF),
      MOAT_NAMED(RUSAGE_CHILDREN),
      {static_cast<uint64_t>(-2), "RUSAGE_BOTH"},
      MOAT_NAMED(RUSAGE_THREAD),
  };
  return xval(kTable, value, "RUSAGE_???");
}

std::string format_getrandom_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(GRND_NONBLOCK),
      MOAT_NAMED(GRND_RANDOM),
      MOAT_NAMED(GRND_INSECURE),
  };
  return flags(kTable, value, "GRND_???");
}

std::string format_arch_prctl_code(uint64_t value) {
  // <asm/prctl.h> exists only on x86; arch_prctl is an x86 system call, but
  // this must build for arm64 too, so the values are spelled out.
  static constexpr Named kTable[] = {
      {0x1001, "ARCH_SET_GS"},
      {0x1002, "ARCH_SET_FS"},
      {0x1003, "ARCH_GET_FS"},
      {0x1004, "ARCH_GET_GS"},
      {0x1011, "ARCH_GET_CPUID"},
      {0x1012, "ARCH_SET_CPUID"},
      {0x1021, "ARCH_GET_XCOMP_SUPP"},
      {0x1022, "ARCH_GET_XCOMP_PERM"},
      {0x1023, "ARCH_REQ_XCOMP_PERM"},
      {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
      {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
      {0x2001, "ARCH_MAP_VDSO_X32"},
      {0x2002, "ARCH_MAP_VDSO_32"},
      {0x2003, "ARCH_MAP_VDSO_64"},
  };
  return xval(kTable, static_cast<uint32_t>(value), "ARCH_???");
}

std::string format_prctl_option(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(PR_SET_PDEATHSIG),
      MOAT_NAMED(PR_GET_PDEATHSIG),
      MOAT_NAMED(PR_GET_DUMPABLE),
      MOAT_NAMED(PR_SET_DUMPABLE),
      MOAT_NAMED(PR_GET_UNALIGN),
      MOAT_NAMED(PR_SET_UNALIGN),
      MOAT_NAMED(PR_GET_KEEPCAPS),
      MOAT_NAMED(PR_SET_KEEPCAPS),
      MOAT_NAMED(PR_GET_FPEMU),
      MOAT_NAMED(PR_SET_FPEMU),
      MOAT_NAMED(PR_GET_FPEXC),
      MOAT_NAMED(PR_SET_FPEXC),
      MOAT_NAMED(PR_GET_TIMING),
      MOAT_NAMED(PR_SET_TIMING),
      MOAT_NAMED(PR_SET_NAME),
      MOAT_NAMED(PR_GET_NAME),
      MOAT_NAMED(PR_GET_ENDIAN),
      MOAT_NAMED(PR_SET_ENDIAN),
      MOAT_NAMED(PR_GET_SECCOMP),
      MOAT_NAMED(PR_SET_SECCOMP),
      MOAT_NAMED(PR_CAPBSET_READ),
      MOAT_NAMED(PR_CAPBSET_DROP),
      MOAT_NAMED(PR_GET_TSC),
      MOAT_NAMED(PR_SET_TSC),
      MOAT_NAMED(PR_GET_SECUREBITS),
      MOAT_NAMED(PR_SET_SECUREBITS),
      MOAT_NAMED(PR_SET_TIMERSLACK),
      MOAT_NAMED(PR_GET_TIMERSLACK),
      MOAT_NAMED(PR_TASK_PERF_EVENTS_DISABLE),
      MOAT_NAMED(PR_TASK_PERF_EVENTS_ENABLE),
      MOAT_NAMED(PR_MCE_KILL),
      MOAT_NAMED(PR_MCE_KILL_GET),
      MOAT_NAMED(PR_SET_MM),
      MOAT_NAMED(PR_SET_CHILD_SUBREAPER),
      MOAT_NAMED(PR_GET_CHILD_SUBREAPER),
      MOAT_NAMED(PR_SET_NO_NEW_PRIVS),
      MOAT_NAMED(PR_GET_NO_NEW_PRIVS),
      MOAT_NAMED(PR_GET_TID_ADDRESS),
      MOAT_NAMED(PR_SET_THP_DISABLE),
      MOAT_NAMED(PR_GET_THP_DISABLE),
      MOAT_NAMED(PR_MPX_ENABLE_MANAGEMENT),
      MOAT_NAMED(PR_MPX_DISABLE_MANAGEMENT),
      MOAT_NAMED(PR_SET_FP_MODE),
      MOAT_NAMED(PR_GET_FP_MODE),
      MOAT_NAMED(PR_CAP_AMBIENT),
      MOAT_NAMED(PR_SVE_SET_VL),
      MOAT_NAMED(PR_SVE_GET_VL),
      MOAT_NAMED(PR_GET_SPECULATION_CTRL),
      MOAT_NAMED(PR_SET_SPECULATION_CTRL),
      MOAT_NAMED(PR_PAC_RESET_KEYS),
      MOAT_NAMED(PR_SET_TAGGED_ADDR_CTRL),
      MOAT_NAMED(PR_GET_TAGGED_ADDR_CTRL),
      MOAT_NAMED(PR_SET_IO_FLUSHER),
      MOAT_NAMED(PR_GET_IO_FLUSHER),
      MOAT_NAMED(PR_SET_SYSCALL_USER_DISPATCH),
      MOAT_NAMED(PR_PAC_SET_ENABLED_KEYS),
      MOAT_NAMED(PR_PAC_GET_ENABLED_KEYS),
      MOAT_NAMED(PR_SCHED_CORE),
      MOAT_NAMED(PR_SME_SET_VL),
      MOAT_NAMED(PR_SME_GET_VL),
      MOAT_NAMED(PR_SET_VMA),
      MOAT_NAMED(PR_SET_PTRACER),
  };
  return xval(kTable, static_cast<uint32_t>(value), "PR_???");
}

// --- descriptors: epoll, eventfd, timerfd, poll ------------------------------

namespace {

constexpr Named kPollEvents[] = {
    MOAT_NAMED(POLLIN),     MOAT_NAMED(POLLPRI),        MOAT_NAMED(POLLOUT),
    MOAT_NAMED(POLLERR),    MOAT_NAMED(POLLHUP),        MOAT_NAMED(POLLNVAL),
    MOAT_NAMED(POLLRDNORM), MOAT_NAMED(POLLRDBAND),     MOAT_NAMED(POLLWRNORM),
    MOAT_NAMED(POLLWRBAND), MOAT_NAMED(POLLMSG),        {0x1000, "POLLREMOVE"},
    MOAT_NAMED(POLLRDHUP),  {0x8000, "POLL_BUSY_LOOP"},
};

}  // namespace

std::string format_poll_events(uint64_t value) {
  return flags(kPollEvents, value, "POLL???");
}

std::string detail::poll_event_names(uint64_t value) {
  return flags(kPollEvents, value, nullptr);
}

std::string format_epoll_events(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(EPOLLIN),        MOAT_NAMED(EPOLLPRI),    MOAT_NAMED(EPOLLOUT),
      MOAT_NAMED(EPOLLERR),       MOAT_NAMED(EPOLLHUP),    {0x20, "EPOLLNVAL"},
      MOAT_NAMED(EPOLLRDNORM),    MOAT_NAMED(EPOLLRDBAND), MOAT_NAMED(EPOLLWRNORM),
      MOAT_NAMED(EPOLLWRBAND),    MOAT_NAMED(EPOLLMSG),    MOAT_NAMED(EPOLLRDHUP),
      MOAT_NAMED(EPOLLEXCLUSIVE), MOAT_NAMED(EPOLLWAKEUP), MOAT_NAMED(EPOLLONESHOT),
      MOAT_NAMED(EPOLLET),
  };
  return flags(kTable, value, "EPOLL???");
}

std::string format_epoll_ctl_op(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(EPOLL_CTL_ADD),
      MOAT_NAMED(EPOLL_CTL_DEL),
      MOAT_NAMED(EPOLL_CTL_MOD),
  };
  return xval(kTable, static_cast<uint32_t>(value), "EPOLL_CTL_???");
}

std::string format_epoll_create_flags(uint64_t value) {
  static constexpr Named kTable[] = {MOAT_NAMED(EPOLL_CLOEXEC)};
  return flags(kTable, value, "EPOLL_???");
}

std::string format_efd_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(EFD_SEMAPHORE),
      MOAT_NAMED(EFD_CLOEXEC),
      MOAT_NAMED(EFD_NONBLOCK),
  };
  return flags(kTable, value, "EFD_???");
}

std::string format_timerfd_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(TFD_TIMER_ABSTIME),
      MOAT_NAMED(TFD_TIMER_CANCEL_ON_SET),
      MOAT_NAMED(TFD_CLOEXEC),
      MOAT_NAMED(TFD_NONBLOCK),
  };
  return flags(kTable, value, "TFD_???");
}

// --- ioctl -----------------------------------------------------------------

std::string format_ioctl_cmd(uint64_t value) {
  // The terminal and socket requests. strace prints every name its table has
  // for a number; the three TCSETS* numbers are also OSS timer requests.
  static constexpr Named kTable[] = {
      MOAT_NAMED(TCGETS),
      {TCSETS, "SNDCTL_TMR_START or TCSETS"},
      {TCSETSW, "SNDCTL_TMR_STOP or TCSETSW"},
      {TCSETSF, "SNDCTL_TMR_CONTINUE or TCSETSF"},
      MOAT_NAMED(TCGETA),
      MOAT_NAMED(TCSETA),
      MOAT_NAMED(TCSETAW),
      MOAT_NAMED(TCSETAF),
      MOAT_NAMED(TCSBRK),
      MOAT_NAMED(TCXONC),
      MOAT_NAMED(TCFLSH),
      MOAT_NAMED(TIOCEXCL),
      MOAT_NAMED(TIOCNXCL),
      MOAT_NAMED(TIOCSCTTY),
      MOAT_NAMED(TIOCGPGRP),
      MOAT_NAMED(TIOCSPGRP),
      MOAT_NAMED(TIOCOUTQ),
      MOAT_NAMED(TIOCSTI),
      MOAT_NAMED(TIOCGWINSZ),
      MOAT_NAMED(TIOCSWINSZ),
      MOAT_NAMED(TIOCMGET),
      MOAT_NAMED(TIOCMBIS),
      MOAT_NAMED(TIOCMBIC),
      MOAT_NAMED(TIOCMSET),
      MOAT_NAMED(TIOCGSOFTCAR),
      MOAT_NAMED(TIOCSSOFTCAR),
      MOAT_NAMED(FIONREAD),
      MOAT_NAMED(TIOCLINUX),
      MOAT_NAMED(TIOCCONS),
      MOAT_NAMED(TIOCGSERIAL),
      MOAT_NAMED(TIOCSSERIAL),
      MOAT_NAMED(TIOCPKT),
      MOAT_NAMED(FIONBIO),
      MOAT_NAMED(TIOCNOTTY),
      MOAT_NAMED(TIOCSETD),
      MOAT_NAMED(TIOCGETD),
      MOAT_NAMED(TCSBRKP),
      MOAT_NAMED(TIOCSBRK),
      MOAT_NAMED(TIOCCBRK),
      MOAT_NAMED(TIOCGSID),
      // struct termios2 (44 bytes) and struct serial_iso7816 (40) are in
      // kernel headers that clash with glibc's.
      {_IOR('T', 0x2A, char[44]), "TCGETS2"},
      {_IOW('T', 0x2B, char[44]), "TCSETS2"},
      {_IOW('T', 0x2C, char[44]), "TCSETSW2"},
      {_IOW('T', 0x2D, char[44]), "TCSETSF2"},
      MOAT_NAMED(TIOCGRS485),
      MOAT_NAMED(TIOCSRS485),
      MOAT_NAMED(TIOCGPTN),
      MOAT_NAMED(TIOCSPTLCK),
      MOAT_NAMED(TIOCGDEV),
      MOAT_NAMED(TCGETX),
      MOAT_NAMED(TCSETX),
      MOAT_NAMED(TCSETXF),
      MOAT_NAMED(TCSETXW),
      MOAT_NAMED(TIOCSIG),
      MOAT_NAMED(TIOCVHANGUP),
      MOAT_NAMED(TIOCGPKT),
      MOAT_NAMED(TIOCGPTLCK),
      MOAT_NAMED(TIOCGEXCL),
      MOAT_NAMED(TIOCGPTPEER),
      {_IOR('T', 0x42, char[40]), "TIOCGISO7816"},
      {_IOWR('T', 0x43, char[40]), "TIOCSISO7816"},
      MOAT_NAMED(FIONCLEX),
      MOAT_NAMED(FIOCLEX),
      MOAT_NAMED(FIOASYNC),
      MOAT_NAMED(TIOCSERCONFIG),
      MOAT_NAMED(TIOCSERGWILD),
      MOAT_NAMED(TIOCSERSWILD),
      MOAT_NAMED(TIOCGLCKTRMIOS),
      MOAT_NAMED(TIOCSLCKTRMIOS),
      MOAT_NAMED(TIOCSERGSTRUCT),
      MOAT_NAMED(TIOCSERGETLSR),
      MOAT_NAMED(TIOCSERGETMULTI),
      MOAT_NAMED(TIOCSERSETMULTI),
      MOAT_NAMED(TIOCMIWAIT),
      MOAT_NAMED(TIOCGICOUNT),
      MOAT_NAMED(FIOQSIZE),
      MOAT_NAMED(FIOSETOWN),
      MOAT_NAMED(SIOCSPGRP),
      MOAT_NAMED(FIOGETOWN),
      MOAT_NAMED(SIOCGPGRP),
      MOAT_NAMED(SIOCATMARK),
      {0x8906, "SIOCGSTAMP_OLD"},
      {0x8907, "SIOCGSTAMPNS_OLD"},
      MOAT_NAMED(SIOCADDRT),
      MOAT_NAMED(SIOCDELRT),
      MOAT_NAMED(SIOCRTMSG),
      MOAT_NAMED(SIOCGIFNAME),
      MOAT_NAMED(SIOCSIFLINK),
      MOAT_NAMED(SIOCGIFCONF),
      MOAT_NAMED(SIOCGIFFLAGS),
      MOAT_NAMED(SIOCSIFFLAGS),
      MOAT_NAMED(SIOCGIFADDR),
      MOAT_NAMED(SIOCSIFADDR),
      MOAT_NAMED(SIOCGIFDSTADDR),
      MOAT_NAMED(SIOCSIFDSTADDR),
      MOAT_NAMED(SIOCGIFBRDADDR),
      MOAT_NAMED(SIOCSIFBRDADDR),
      MOAT_NAMED(SIOCGIFNETMASK),
      MOAT_NAMED(SIOCSIFNETMASK),
      MOAT_NAMED(SIOCGIFMETRIC),
      MOAT_NAMED(SIOCSIFMETRIC),
      MOAT_NAMED(SIOCGIFMEM),
      MOAT_NAMED(SIOCSIFMEM),
      MOAT_NAMED(SIOCGIFMTU),
      MOAT_NAMED(SIOCSIFMTU),
      MOAT_NAMED(SIOCSIFNAME),
      MOAT_NAMED(SIOCSIFHWADDR),
      MOAT_NAMED(SIOCGIFENCAP),
      MOAT_NAMED(SIOCSIFENCAP),
      MOAT_NAMED(SIOCGIFHWADDR),
      MOAT_NAMED(SIOCGIFSLAVE),
      MOAT_NAMED(SIOCSIFSLAVE),
      MOAT_NAMED(SIOCADDMULTI),
      MOAT_NAMED(SIOCDELMULTI),
      MOAT_NAMED(SIOCGIFINDEX),
      MOAT_NAMED(SIOCSIFPFLAGS),
      MOAT_NAMED(SIOCGIFPFLAGS),
      MOAT_NAMED(SIOCDIFADDR),
      MOAT_NAMED(SIOCSIFHWBROADCAST),
      MOAT_NAMED(SIOCGIFCOUNT),
      MOAT_NAMED(SIOCGIFBR),
      MOAT_NAMED(SIOCSIFBR),
      MOAT_NAMED(SIOCGIFTXQLEN),
      MOAT_NAMED(SIOCSIFTXQLEN),
      MOAT_NAMED(SIOCDARP),
      MOAT_NAMED(SIOCGARP),
      MOAT_NAMED(SIOCSARP),
      MOAT_NAMED(SIOCDRARP),
      MOAT_NAMED(SIOCGRARP),
      MOAT_NAMED(SIOCSRARP),
      MOAT_NAMED(SIOCGIFMAP),
      MOAT_NAMED(SIOCSIFMAP),
      MOAT_NAMED(SIOCADDDLCI),
      MOAT_NAMED(SIOCDELDLCI),
  };
  const auto cmd = static_cast<uint32_t>(value);
  if (const char* name = detail::find_name(kTable, cmd)) {
    return name;
  }
  // Anything else is spelled out as _IOC(dir, type, nr, size).
  static constexpr Named kDirs[] = {
      MOAT_NAMED(_IOC_NONE),
      MOAT_NAMED(_IOC_READ),
      MOAT_NAMED(_IOC_WRITE),
  };
  return fmt::format("_IOC({}, {}, {}, {})", flags(kDirs, _IOC_DIR(cmd), "_IOC_???"),
                     hex(_IOC_TYPE(cmd)), hex(_IOC_NR(cmd)), hex(_IOC_SIZE(cmd)));
}

}  // namespace moat::sentry::strace
