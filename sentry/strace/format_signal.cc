// Signals as strace 6.1 prints them: names, sets, sigaction and siginfo.

#include <fmt/format.h>

#include <bit>
#include <csignal>

#include "sentry/strace/format.h"
#include "sentry/strace/format_internal.h"

namespace moat::sentry::strace {

using detail::flags;
using detail::hex;
using detail::Named;
using detail::read_struct;
using detail::xval;

// --- names and sets ----------------------------------------------------------

namespace {

// The kernel's SIGRTMIN; glibc's SIGRTMIN is higher, as it keeps two for
// itself, but strace names signals by the kernel's numbering.
constexpr int kSigRtMin = 32;
constexpr int kSigRtMax = 64;

// SA_RESTORER, from <asm/signal.h>, which clashes with <signal.h>. Both
// x86-64 and arm64 have it, though arm64's libc does not set it.
constexpr uint64_t kSaRestorer = 0x04000000;

constexpr Named kSignals[] = {
    MOAT_NAMED(SIGHUP),  MOAT_NAMED(SIGINT),    MOAT_NAMED(SIGQUIT), MOAT_NAMED(SIGILL),
    MOAT_NAMED(SIGTRAP), MOAT_NAMED(SIGABRT),   MOAT_NAMED(SIGBUS),  MOAT_NAMED(SIGFPE),
    MOAT_NAMED(SIGKILL), MOAT_NAMED(SIGUSR1),   MOAT_NAMED(SIGSEGV), MOAT_NAMED(SIGUSR2),
    MOAT_NAMED(SIGPIPE), MOAT_NAMED(SIGALRM),   MOAT_NAMED(SIGTERM), MOAT_NAMED(SIGSTKFLT),
    MOAT_NAMED(SIGCHLD), MOAT_NAMED(SIGCONT),   MOAT_NAMED(SIGSTOP), MOAT_NAMED(SIGTSTP),
    MOAT_NAMED(SIGTTIN), MOAT_NAMED(SIGTTOU),   MOAT_NAMED(SIGURG),  MOAT_NAMED(SIGXCPU),
    MOAT_NAMED(SIGXFSZ), MOAT_NAMED(SIGVTALRM), MOAT_NAMED(SIGPROF), MOAT_NAMED(SIGWINCH),
    MOAT_NAMED(SIGIO),   MOAT_NAMED(SIGPWR),    MOAT_NAMED(SIGSYS),
};

}  // namespace

std::string signal_name(int signo) {
  if (const char* name =
          signo > 0 ? detail::find_name(kSignals, static_cast<uint64_t>(signo)) : nullptr) {
    return name;
  }
  if (signo == kSigRtMin) {
    return "SIGRTMIN";
  }
  if (signo > kSigRtMin && signo <= kSigRtMax) {
    return fmt::format("SIGRT_{}", signo - kSigRtMin);
  }
  return std::to_string(signo);
}

std::string format_signal(uint64_t signo) {
  return signal_name(static_cast<int>(signo));
}

std::string detail::sigset_text(uint64_t mask) {
  // Two thirds or more of the 64 signals: the ones missing, after a `~`.
  std::string out = "[";
  if (std::popcount(mask) >= 64 * 2 / 3) {
    out = "~[";
    mask = ~mask;
  }
  bool first = true;
  for (int signo = 1; signo <= 64; ++signo) {
    if ((mask & (uint64_t{1} << (signo - 1))) == 0) {
      continue;
    }
    if (!first) {
      out += ' ';
    }
    first = false;
    // Names without the SIG prefix: INT, RTMIN, RT_3.
    out += signal_name(signo).substr(3);
  }
  return out + ']';
}

std::string format_sigset(uint64_t mask) {
  return detail::sigset_text(mask);
}

// --- arguments ---------------------------------------------------------------

std::string format_sigprocmask_how(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(SIG_BLOCK),
      MOAT_NAMED(SIG_UNBLOCK),
      MOAT_NAMED(SIG_SETMASK),
  };
  return xval(kTable, value, "SIG_???");
}

std::string format_sa_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      {kSaRestorer, "SA_RESTORER"}, MOAT_NAMED(SA_ONSTACK),   MOAT_NAMED(SA_RESTART),
      MOAT_NAMED(SA_INTERRUPT),     MOAT_NAMED(SA_NODEFER),   MOAT_NAMED(SA_RESETHAND),
      MOAT_NAMED(SA_SIGINFO),       MOAT_NAMED(SA_NOCLDSTOP), MOAT_NAMED(SA_NOCLDWAIT),
  };
  return flags(kTable, value, "SA_???");
}

std::string format_si_code(int signo, int code) {
  static constexpr Named kAny[] = {
      MOAT_NAMED(SI_USER),     MOAT_NAMED(SI_KERNEL),  MOAT_NAMED(SI_QUEUE), MOAT_NAMED(SI_TIMER),
      MOAT_NAMED(SI_MESGQ),    MOAT_NAMED(SI_ASYNCIO), MOAT_NAMED(SI_SIGIO), MOAT_NAMED(SI_TKILL),
      MOAT_NAMED(SI_DETHREAD), MOAT_NAMED(SI_ASYNCNL),
  };
  // TRAP_PERF and the SYS_* codes are only in <asm-generic/siginfo.h>, which
  // clashes with <signal.h>.
  static constexpr Named kTrap[] = {
      MOAT_NAMED(TRAP_BRKPT),  MOAT_NAMED(TRAP_TRACE), MOAT_NAMED(TRAP_BRANCH),
      MOAT_NAMED(TRAP_HWBKPT), MOAT_NAMED(TRAP_UNK),   {6, "TRAP_PERF"},
  };
  static constexpr Named kChld[] = {
      MOAT_NAMED(CLD_EXITED),  MOAT_NAMED(CLD_KILLED),  MOAT_NAMED(CLD_DUMPED),
      MOAT_NAMED(CLD_TRAPPED), MOAT_NAMED(CLD_STOPPED), MOAT_NAMED(CLD_CONTINUED),
  };
  static constexpr Named kPoll[] = {
      MOAT_NAMED(POLL_IN),  MOAT_NAMED(POLL_OUT), MOAT_NAMED(POLL_MSG),
      MOAT_NAMED(POLL_ERR), MOAT_NAMED(POLL_PRI), MOAT_NAMED(POLL_HUP),
  };
  static constexpr Named kIll[] = {
      MOAT_NAMED(ILL_ILLOPC), MOAT_NAMED(ILL_ILLOPN), MOAT_NAMED(ILL_ILLADR),
      MOAT_NAMED(ILL_ILLTRP), MOAT_NAMED(ILL_PRVOPC), MOAT_NAMED(ILL_PRVREG),
      MOAT_NAMED(ILL_COPROC), MOAT_NAMED(ILL_BADSTK), MOAT_NAMED(ILL_BADIADDR),
  };
  static constexpr Named kFpe[] = {
      MOAT_NAMED(FPE_INTDIV),   MOAT_NAMED(FPE_INTOVF), MOAT_NAMED(FPE_FLTDIV),
      MOAT_NAMED(FPE_FLTOVF),   MOAT_NAMED(FPE_FLTUND), MOAT_NAMED(FPE_FLTRES),
      MOAT_NAMED(FPE_FLTINV),   MOAT_NAMED(FPE_FLTSUB), MOAT_NAMED(FPE_FLTUNK),
      MOAT_NAMED(FPE_CONDTRAP),
  };
  static constexpr Named kSegv[] = {
      MOAT_NAMED(SEGV_MAPERR),  MOAT_NAMED(SEGV_ACCERR),  MOAT_NAMED(SEGV_BNDERR),
      MOAT_NAMED(SEGV_PKUERR),  MOAT_NAMED(SEGV_ACCADI),  MOAT_NAMED(SEGV_ADIDERR),
      MOAT_NAMED(SEGV_ADIPERR), MOAT_NAMED(SEGV_MTEAERR), MOAT_NAMED(SEGV_MTESERR),
  };
  static constexpr Named kBus[] = {
      MOAT_NAMED(BUS_ADRALN),    MOAT_NAMED(BUS_ADRERR),    MOAT_NAMED(BUS_OBJERR),
      MOAT_NAMED(BUS_MCEERR_AR), MOAT_NAMED(BUS_MCEERR_AO),
  };
  static constexpr Named kSys[] = {{1, "SYS_SECCOMP"}, {2, "SYS_USER_DISPATCH"}};
  // The table is looked up by the code as strace holds it, an unsigned int.
  const auto ucode = static_cast<uint64_t>(static_cast<uint32_t>(code));
  for (const Named& row : kAny) {
    if (static_cast<uint32_t>(row.value) == ucode) {
      return row.name;
    }
  }
  std::span<const Named> table;
  switch (signo) {
    case SIGTRAP:
      table = kTrap;
      break;
    case SIGCHLD:
      table = kChld;
      break;
    case SIGIO:
      table = kPoll;
      break;
    case SIGILL:
      table = kIll;
      break;
    case SIGFPE:
      table = kFpe;
      break;
    case SIGSEGV:
      table = kSegv;
      break;
    case SIGBUS:
      table = kBus;
      break;
    case SIGSYS:
      table = kSys;
      break;
    default:
      break;
  }
  if (const char* name = detail::find_name(table, ucode)) {
    return name;
  }
  return hex(ucode);
}

// --- structures --------------------------------------------------------------

std::string format_sigset_at(const GuestReader& mem, uint64_t addr, uint64_t size) {
  // The kernel's sigset is 8 bytes; strace shows any other size as the
  // address.
  if (size != sizeof(uint64_t)) {
    return format_address(addr);
  }
  const std::optional<uint64_t> mask = read_struct<uint64_t>(mem, addr);
  return mask ? detail::sigset_text(*mask) : format_address(addr);
}

std::string format_sigaction(const GuestReader& mem, uint64_t addr) {
  // The kernel's struct sigaction on both x86-64 and arm64; sa_restorer is
  // shown only when SA_RESTORER says it is set.
  struct KernelSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
  };
  const std::optional<KernelSigaction> sa = read_struct<KernelSigaction>(mem, addr);
  if (!sa) {
    return format_address(addr);
  }
  static constexpr Named kHandlers[] = {
      {static_cast<uint64_t>(-1), "SIG_ERR"},
      {0, "SIG_DFL"},
      {1, "SIG_IGN"},
  };
  const char* handler = detail::find_name(kHandlers, sa->handler);
  std::string out = fmt::format("{{sa_handler={}, sa_mask={}, sa_flags={}",
                                handler != nullptr ? handler : format_address(sa->handler),
                                detail::sigset_text(sa->mask), format_sa_flags(sa->flags));
  if ((sa->flags & kSaRestorer) != 0) {
    out += ", sa_restorer=" + format_address(sa->restorer);
  }
  return out + "}";
}

std::string format_sigreturn_mask(const GuestReader& mem, uint64_t mask_addr) {
  const std::optional<uint64_t> mask = read_struct<uint64_t>(mem, mask_addr);
  return mask ? "{mask=" + detail::sigset_text(*mask) + "}" : format_address(mask_addr);
}

std::string format_stack(const GuestReader& mem, uint64_t addr) {
  struct StackT {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
  };
  const std::optional<StackT> ss = read_struct<StackT>(mem, addr);
  if (!ss) {
    return format_address(addr);
  }
  static constexpr Named kFlags[] = {
      {1, "SS_ONSTACK"},
      {2, "SS_DISABLE"},
      {uint64_t{1} << 31, "SS_AUTODISARM"},
  };
  return fmt::format("{{ss_sp={}, ss_flags={}, ss_size={}}}", format_address(ss->sp),
                     flags(kFlags, static_cast<uint32_t>(ss->flags), "SS_???"), ss->size);
}

namespace {

// strace's PRINT_VAL_ID: unsigned, except -1.
std::string uid_text(int uid) {
  return uid == -1 ? "-1" : std::to_string(static_cast<uint32_t>(uid));
}

}  // namespace

std::string format_siginfo(int signo, int code, uint64_t addr_or_pid, int uid_or_status,
                           int child_uid) {
  if (signo == 0) {
    return "{}";
  }
  std::string out =
      fmt::format("{{si_signo={}, si_code={}", signal_name(signo), format_si_code(signo, code));
  // si_code <= 0: sent by a process (kill, tgkill, sigqueue).
  if (code <= 0) {
    return out + fmt::format(", si_pid={}, si_uid={}}}", static_cast<int32_t>(addr_or_pid),
                             uid_text(uid_or_status));
  }
  switch (signo) {
    case SIGCHLD: {
      // si_status is the exit code for CLD_EXITED, a signal otherwise.
      const std::string status =
          code == CLD_EXITED ? std::to_string(uid_or_status) : signal_name(uid_or_status);
      out += fmt::format(", si_pid={}, si_uid={}, si_status={}, si_utime=0, si_stime=0",
                         static_cast<int32_t>(addr_or_pid), uid_text(child_uid), status);
      break;
    }
    case SIGILL:
    case SIGFPE:
    case SIGBUS:
    case SIGSEGV:
    case SIGTRAP:
      out += ", si_addr=" + format_address(addr_or_pid);
      break;
    case SIGSYS:
      // FIXME: strace also prints si_syscall and si_arch, which the
      // arguments here don't carry.
      out += ", si_call_addr=" + format_address(addr_or_pid);
      break;
    case SIGIO:
      // FIXME: si_band and si_fd for POLL_* codes; the arguments don't carry
      // them.
      break;
    default:
      if (addr_or_pid != 0 || uid_or_status != 0) {
        out += fmt::format(", si_pid={}, si_uid={}", static_cast<int32_t>(addr_or_pid),
                           uid_text(uid_or_status));
      }
      break;
  }
  return out + "}";
}

}  // namespace moat::sentry::strace
