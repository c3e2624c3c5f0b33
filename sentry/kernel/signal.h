#pragma once

// Signals: sets, dispositions, siginfo, pending queues and the alternate
// stack, as Linux's kernel/signal.c keeps them. Delivery (building the frame
// the handler runs on) is per architecture: sentry/arch/<arch>/signal_frame.cc.

#include <array>
#include <csignal>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "base/result.h"

namespace moat::sentry {

inline constexpr int kNumSignals = 64;  // _NSIG
inline constexpr int kSigRtMin = 32;    // the kernel's SIGRTMIN (glibc keeps 32 and 33)

// The kernel's sigset_t on 64-bit: bit N-1 is signal N.
using SigSet = uint64_t;

constexpr SigSet sig_bit(int signo) {
  return uint64_t{1} << (signo - 1);
}
constexpr bool valid_signal(int signo) {
  return signo >= 1 && signo <= kNumSignals;
}
// SIGKILL and SIGSTOP can be neither blocked nor caught.
inline constexpr SigSet kUnblockable = sig_bit(SIGKILL) | sig_bit(SIGSTOP);

// The kernel's struct sigaction (the same layout on amd64 and arm64).
struct SignalAction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or an address
  uint64_t flags = 0;    // SA_*
  uint64_t restorer = 0;
  SigSet mask = 0;
};
static_assert(sizeof(SignalAction) == 32);

// Flags the C library headers do not all define.
inline constexpr uint64_t kSaRestorer = 0x04000000;
inline constexpr uint32_t kSsAutodisarm = 1u << 31;

// True for the signals a CPU fault raises, whose siginfo carries si_addr.
constexpr bool is_fault_signal(int signo) {
  return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
         signo == SIGTRAP;
}

inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;

// siginfo_t as the kernel lays it out on 64-bit machines.
struct SignalInfo {
  int32_t signo = 0;
  int32_t error = 0;
  int32_t code = 0;
  int32_t pad = 0;
  union Fields {
    struct {
      int32_t pid;
      uint32_t uid;
    } kill;  // SI_USER, SI_TKILL, SI_QUEUE (+ value)
    struct {
      int32_t pid;
      uint32_t uid;
      int32_t status;
      int32_t pad;
      int64_t utime;
      int64_t stime;
    } child;  // SIGCHLD
    struct {
      uint64_t addr;
    } fault;  // SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP
    uint8_t bytes[112];
  } fields{};

  static SignalInfo from_process(int signo, int code, int pid, uint32_t uid);
  static SignalInfo from_fault(int signo, int code, uint64_t addr);
};
static_assert(sizeof(SignalInfo) == 128);

enum class DefaultAction { kTerminate, kCoreDump, kIgnore, kStop, kContinue };
DefaultAction default_action(int signo);

// True if delivering `signo` under `action` does nothing at all.
bool is_ignored(int signo, const SignalAction& action);

// The dispositions of a process (shared by threads made with CLONE_SIGHAND).
class SignalHandlers {
 public:
  SignalAction get(int signo) const;
  void set(int signo, const SignalAction& action);
  // fork(2) without CLONE_SIGHAND: the child's own copy.
  std::shared_ptr<SignalHandlers> copy() const;
  // execve: caught signals go back to SIG_DFL; ignored ones stay ignored.
  void reset_for_exec();

 private:
  mutable std::mutex m_lock;
  std::array<SignalAction, kNumSignals> m_actions{};
};

// Signals sent but not yet delivered. Standard signals are pending at most
// once; real-time signals (SIGRTMIN and up) queue, in order.
class PendingSignals {
 public:
  void add(const SignalInfo& info);
  SigSet set() const { return m_set; }
  // Takes the lowest-numbered signal not in `blocked`, preferring the
  // synchronous fault signals Linux delivers first.
  std::optional<SignalInfo> take(SigSet blocked);
  // Drops every pending instance of `signo`.
  void discard(int signo);

 private:
  std::deque<SignalInfo> m_queue;
  SigSet m_set = 0;
};

// The userspace stack_t (ss_sp, ss_flags, ss_size).
struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};
static_assert(sizeof(StackT) == 24);

// A thread's alternate signal stack (sigaltstack(2)), as Linux keeps it:
// disabled while its size is 0.
class SignalStack {
 public:
  // True if `sp` lies on the stack (never with SS_AUTODISARM).
  bool on(uint64_t sp) const;
  // Linux's sas_ss_flags(sp): SS_DISABLE, SS_ONSTACK or 0.
  int flags_at(uint64_t sp) const;
  // What sigaltstack's old_ss and a signal frame's uc_stack hold.
  StackT describe(uint64_t sp) const;
  // sigaltstack(2)'s change for a thread at `sp`: EPERM while on the stack,
  // EINVAL for a bad mode, ENOMEM below `min_size`.
  Result<void> change(const StackT& ss, uint64_t sp, uint64_t min_size);
  // Where a handler's frame starts: the stack's top if SA_ONSTACK asks for it
  // and the thread is not on it already, else `sp`. With SS_AUTODISARM the
  // stack is disarmed once taken (the frame's uc_stack restores it).
  uint64_t frame_top(uint64_t sp, uint64_t sa_flags);

 private:
  uint64_t m_sp = 0;
  uint64_t m_size = 0;
  uint32_t m_flags = 0;  // as given; only SS_AUTODISARM matters
};

}  // namespace moat::sentry
