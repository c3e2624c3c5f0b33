// Signal syscalls: dispositions, masks, the alternate stack, sigreturn and
// sending. Delivery itself is Task::deliver_signals, after every trap.

#include <climits>
#include <csignal>
#include <vector>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/user_time.h"

namespace moat::sentry {
namespace {

// The sa_flags rt_sigaction keeps (Linux's UAPI_SA_FLAGS); unknown bits are
// cleared so that programs can probe for support.
constexpr uint64_t kKnownSaFlags = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK |
                                   SA_RESTART | SA_NODEFER | SA_RESETHAND | arch::kSaArchFlags;

template <typename T>
Result<T> load(Task& t, UserAddr addr) {
  T value{};
  TRY(t.mm().copy_in(addr.value, std::as_writable_bytes(std::span(&value, 1))));
  return value;
}

template <typename T>
Result<void> store(Task& t, UserAddr addr, const T& value) {
  return t.mm().copy_out(addr.value, std::as_bytes(std::span(&value, 1)));
}

}  // namespace

// Implements Linux syscall rt_sigaction(2).
SysResult sys_rt_sigaction(Task& t, int signo, UserAddr act, UserAddr oact, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) {
    return Errno::kEINVAL;
  }
  if (!valid_signal(signo) || (!act.null() && (sig_bit(signo) & kUnblockable) != 0)) {
    return Errno::kEINVAL;
  }
  std::optional<SignalAction> change;
  if (!act.null()) {
    change = TRY(load<SignalAction>(t, act));
    change->flags &= kKnownSaFlags;
    change->mask &= ~kUnblockable;
  }
  SignalHandlers& handlers = t.group().signal_handlers();
  SignalAction old = handlers.get(signo);
  old.flags &= kKnownSaFlags;
  if (change) {
    handlers.set(signo, *change);
    // POSIX: making a pending signal ignored discards it.
    if (is_ignored(signo, *change)) {
      t.group().discard_pending(signo);
    }
  }
  if (!oact.null()) {
    TRY(store(t, oact, old));
  }
  return 0;
}

// Implements Linux syscall rt_sigprocmask(2).
SysResult sys_rt_sigprocmask(Task& t, int how, UserAddr set, UserAddr oset, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) {
    return Errno::kEINVAL;
  }
  const SigSet old = t.signal_mask();
  if (!set.null()) {
    const SigSet change = TRY(load<SigSet>(t, set));
    switch (how) {
      case SIG_BLOCK:
        t.set_signal_mask(old | change);
        break;
      case SIG_UNBLOCK:
        t.set_signal_mask(old & ~change);
        break;
      case SIG_SETMASK:
        t.set_signal_mask(change);
        break;
      default:
        return Errno::kEINVAL;
    }
  }
  if (!oset.null()) {
    TRY(store(t, oset, old));
  }
  return 0;
}

// Implements Linux syscall rt_sigreturn(2).
SysResult sys_rt_sigreturn(Task& t) {
  auto restored = arch::restore_signal_frame(t);
  if (!restored) {
    t.force_fault_signal({SIGSEGV, SI_KERNEL, 0});
    return 0;
  }
  return *restored;
}

// Implements Linux syscall pause(2): sleeps until a signal runs a handler
// (EINTR) or ends the process; one that does neither sleeps on.
SysResult sys_pause(Task& t) {
  t.refresh_signal_ready();
  t.sleep(std::nullopt, [] { return false; });
  return Errno::kERESTARTNOHAND;
}

// Implements Linux syscall rt_sigsuspend(2): pause(2) under `mask`; the
// handler's frame keeps the mask from before, which sigreturn restores.
SysResult sys_rt_sigsuspend(Task& t, UserAddr mask, uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) {
    return Errno::kEINVAL;
  }
  const SigSet during = TRY(load<SigSet>(t, mask));
  t.suspend_signal_mask(during);
  t.sleep(std::nullopt, [] { return false; });
  return Errno::kERESTARTNOHAND;
}

// Implements Linux syscall rt_sigtimedwait(2): takes a pending signal of
// `set` (the thread's own first, then the process's), waiting for one until
// the timeout (EAGAIN); another signal's handler ends the wait with EINTR.
SysResult sys_rt_sigtimedwait(Task& t, UserAddr set, UserAddr info, UserAddr timeout,
                              uint64_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) {
    return Errno::kEINVAL;
  }
  const SigSet wanted = TRY(load<SigSet>(t, set)) & ~kUnblockable;
  std::optional<Deadline> deadline;
  if (!timeout.null()) {
    deadline = Deadline::after(CLOCK_MONOTONIC, TRY(load_timespec(t.mm(), timeout.value)));
  }
  const SignalInfo taken = TRY(t.wait_for_signal(wanted, deadline));
  if (!info.null()) {
    TRY(store(t, info, taken));
  }
  return static_cast<uint64_t>(taken.signo);
}

// Implements Linux syscall sigaltstack(2).
SysResult sys_sigaltstack(Task& t, UserAddr ss, UserAddr old_ss) {
  const uint64_t sp = t.regs().sp();
  const StackT old = t.signal_stack().describe(sp);
  if (!ss.null()) {
    const StackT change = TRY(load<StackT>(t, ss));
    TRY(t.signal_stack().change(change, sp, arch::kMinSignalStackSize));
  }
  if (!old_ss.null()) {
    TRY(store(t, old_ss, old));
  }
  return 0;
}

// Implements Linux syscall rt_sigpending(2).
SysResult sys_rt_sigpending(Task& t, UserAddr set, uint64_t sigsetsize) {
  if (sigsetsize > sizeof(SigSet)) {
    return Errno::kEINVAL;
  }
  const SigSet pending = t.pending_signals() & t.signal_mask();
  TRY(t.mm().copy_out(set.value, std::as_bytes(std::span(&pending, 1)).first(sigsetsize)));
  return 0;
}

// Implements Linux syscall kill(2): a process, a process group (0: the
// caller's), or with -1 every process but the first and the caller. The
// first process is not protected as a namespace's init would be, so a
// signal's default action applies to it as to any process. A zombie exists
// (kill succeeds) but takes nothing.
SysResult sys_kill(Task& t, int pid, int signo) {
  if (signo < 0 || signo > kNumSignals) {
    return Errno::kEINVAL;
  }
  if (pid == INT_MIN) {
    return Errno::kESRCH;  // -INT_MIN names nothing
  }
  Kernel& kernel = t.kernel();
  std::vector<std::shared_ptr<ThreadGroup>> targets;
  {
    std::lock_guard tree(kernel.tree_lock());
    if (pid > 0) {
      if (auto process = kernel.find_process_locked(pid)) {
        targets.push_back(std::move(process));
      }
    } else {
      const int pgid = pid == 0 ? t.group().family().pgid : -pid;
      for (const auto& [other, process] : kernel.processes_locked()) {
        const bool selected =
            pid == -1 ? other != 1 && process.get() != &t.group() : process->family().pgid == pgid;
        if (selected) {
          targets.push_back(process);
        }
      }
    }
  }
  if (targets.empty()) {
    return Errno::kESRCH;
  }
  if (signo != 0) {
    const SignalInfo info = SignalInfo::from_process(signo, SI_USER, t.group().pid(), kernel.uid());
    for (const auto& process : targets) {
      process->send_signal(info);
    }
  }
  return 0;
}

// Implements Linux syscall tgkill(2).
SysResult sys_tgkill(Task& t, int tgid, int tid, int signo) {
  if (tgid <= 0 || tid <= 0 || signo < 0 || signo > kNumSignals) {
    return Errno::kEINVAL;
  }
  std::shared_ptr<Task> target = t.kernel().find_task(tid);
  if (!target || target->group().pid() != tgid || target->exiting()) {
    return Errno::kESRCH;
  }
  if (signo != 0) {
    target->send_signal(
        SignalInfo::from_process(signo, SI_TKILL, t.group().pid(), t.kernel().uid()));
  }
  return 0;
}

// Implements Linux syscall tkill(2).
SysResult sys_tkill(Task& t, int tid, int signo) {
  if (tid <= 0 || signo < 0 || signo > kNumSignals) {
    return Errno::kEINVAL;
  }
  std::shared_ptr<Task> target = t.kernel().find_task(tid);
  if (!target) {
    return Errno::kESRCH;
  }
  return sys_tgkill(t, target->group().pid(), tid, signo);
}

}  // namespace moat::sentry
