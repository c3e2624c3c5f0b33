// The poll family. FIXME: waiting on descriptors needs their readiness
// (issue 7); until then only a ppoll on no descriptors, which is how the C
// libraries implement pause(2) and many sleeps on arm64, is served.

#include <sys/resource.h>
#include <time.h>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "sentry/kernel/deadline.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/user_time.h"

namespace moat::sentry {
// Implements Linux syscall ppoll(2) for nfds = 0: a sleep until the timeout
// (0), or until a signal (EINTR after a handler, else the call goes on), with
// `sigmask` in force meanwhile as rt_sigsuspend would. The time left is
// written back to `tmo`, as Linux does.
SysResult sys_ppoll(Task& t, UserAddr fds, uint64_t nfds, UserAddr tmo, UserAddr sigmask,
                    uint64_t sigsetsize) {
  (void)fds;
  if (nfds > t.group().limits().get(RLIMIT_NOFILE).cur) {
    return Errno::kEINVAL;
  }
  std::optional<Deadline> deadline;
  if (!tmo.null()) {
    deadline = Deadline::after(CLOCK_MONOTONIC, TRY(load_timespec(t.mm(), tmo.value)));
  }
  std::optional<SigSet> mask;
  if (!sigmask.null()) {
    if (sigsetsize != sizeof(SigSet)) {
      return Errno::kEINVAL;
    }
    SigSet value = 0;
    TRY(t.mm().copy_in(sigmask.value, std::as_writable_bytes(std::span(&value, 1))));
    mask = value;
  }
  if (nfds != 0) {
    t.kernel().note_unsupported_syscall(arch::syscall_number(t.regs()), "ppoll on descriptors");
    return Errno::kENOSYS;
  }
  if (mask) {
    t.suspend_signal_mask(*mask);
  } else {
    t.refresh_signal_ready();
  }
  const WakeReason reason = t.sleep(deadline, [] { return false; });
  if (deadline) {
    // A read-only timeout cannot be updated; Linux then returns EINTR
    // rather than restarting with the full time.
    if (!store_timespec(t.mm(), tmo.value, deadline->remaining()) &&
        reason == WakeReason::kInterrupted) {
      return Errno::kEINTR;
    }
  }
  return reason == WakeReason::kInterrupted ? SysResult(Errno::kERESTARTNOHAND) : SysResult(0);
}

}  // namespace moat::sentry
