// Signals within one thread: dispositions, masks, pending sets, delivery with
// siginfo, SA_NODEFER / SA_RESETHAND / SA_ONSTACK, fault signals a handler
// recovers from, FP/SIMD registers preserved across a handler, the alternate
// stack, and sending with kill/tgkill/tkill. Signals between threads and
// processes belong with those (issue 6).

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>

#include "tests/util/syscall_test_util.h"

namespace {

// The kernel's struct sigaction, for rt_sigaction(2) called directly.
struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

constexpr uint64_t kSaUnsupported = 0x400;  // never supported: cleared on read-back

uint64_t bit(int signo) {
  return uint64_t{1} << (signo - 1);
}

long rt_sigaction(int signo, const KernelSigaction* act, KernelSigaction* old, size_t size = 8) {
  return syscall(SYS_rt_sigaction, signo, act, old, size);
}

long rt_sigprocmask(int how, const uint64_t* set, uint64_t* old, size_t size = 8) {
  return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

uint64_t current_mask() {
  uint64_t mask = 0;
  rt_sigprocmask(SIG_BLOCK, nullptr, &mask);
  return mask;
}

long send_to_self(int signo) {
  return syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), signo);
}

// Restores a signal's disposition and the mask when a test ends.
class SignalState {
 public:
  explicit SignalState(int signo) : m_signo(signo) {
    sigaction(signo, nullptr, &m_old);
    m_mask = current_mask();
  }
  ~SignalState() {
    sigaction(m_signo, &m_old, nullptr);
    rt_sigprocmask(SIG_SETMASK, &m_mask, nullptr);
  }

 private:
  int m_signo;
  struct sigaction m_old {};
  uint64_t m_mask = 0;
};

void install(int signo, void (*handler)(int, siginfo_t*, void*), int flags = 0,
             const sigset_t* mask = nullptr) {
  struct sigaction sa {};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | flags;
  if (mask != nullptr) {
    sa.sa_mask = *mask;
  } else {
    sigemptyset(&sa.sa_mask);
  }
  ASSERT_EQ(sigaction(signo, &sa, nullptr), 0);
}

// What the last handler saw.
volatile int g_signo;
volatile int g_code;
volatile int g_pid;
volatile int g_calls;
void* volatile g_addr;
volatile uint64_t g_mask_in_handler;

void recording_handler(int signo, siginfo_t* info, void*) {
  g_signo = signo;
  g_code = info->si_code;
  g_pid = info->si_pid;
  g_addr = info->si_addr;
  g_mask_in_handler = current_mask();
  g_calls = g_calls + 1;
}

void reset_record() {
  g_signo = 0;
  g_code = 0;
  g_pid = 0;
  g_calls = 0;
  g_addr = nullptr;
  g_mask_in_handler = 0;
}

TEST(RtSigaction, InstallsAndReadsBack) {
  MOAT_COVERS("rt_sigaction");
  SignalState keep(SIGUSR1);
  KernelSigaction act{};
  act.handler = reinterpret_cast<uint64_t>(&recording_handler);
  act.flags = SA_SIGINFO | SA_RESTART | kSaUnsupported;
  act.mask = bit(SIGUSR2) | bit(SIGKILL) | bit(SIGSTOP);
  ASSERT_SUCCEEDS(rt_sigaction(SIGUSR1, &act, nullptr));
  KernelSigaction old{};
  ASSERT_SUCCEEDS(rt_sigaction(SIGUSR1, nullptr, &old));
  EXPECT_EQ(old.handler, act.handler);
  // Unknown bits are cleared; SIGKILL and SIGSTOP never enter the mask.
  EXPECT_EQ(old.flags & (SA_SIGINFO | SA_RESTART), uint64_t{SA_SIGINFO | SA_RESTART});
  EXPECT_EQ(old.flags & kSaUnsupported, 0u);
  EXPECT_EQ(old.mask, bit(SIGUSR2));
  // The old action comes back while the new one is installed.
  KernelSigaction dfl{};
  ASSERT_SUCCEEDS(rt_sigaction(SIGUSR1, &dfl, &old));
  EXPECT_EQ(old.handler, act.handler);
  ASSERT_SUCCEEDS(rt_sigaction(SIGUSR1, nullptr, &old));
  EXPECT_EQ(old.handler, 0u);
  // SIGKILL's action can be read, not changed.
  EXPECT_SUCCEEDS(rt_sigaction(SIGKILL, nullptr, &old));
  EXPECT_EQ(old.handler, 0u);
}

TEST(RtSigaction, Errors) {
  MOAT_COVERS("rt_sigaction");
  SignalState keep(SIGUSR1);
  KernelSigaction act{};
  KernelSigaction old{};
  EXPECT_FAILS_WITH(rt_sigaction(0, nullptr, &old), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(65, nullptr, &old), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(-1, nullptr, &old), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(SIGKILL, &act, nullptr), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(SIGSTOP, &act, nullptr), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(SIGUSR1, nullptr, &old, 4), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(SIGUSR1, nullptr, &old, 16), EINVAL);
  EXPECT_FAILS_WITH(rt_sigaction(SIGUSR1, reinterpret_cast<KernelSigaction*>(8), nullptr), EFAULT);
  EXPECT_FAILS_WITH(rt_sigaction(SIGUSR1, nullptr, reinterpret_cast<KernelSigaction*>(8)), EFAULT);
}

TEST(RtSigprocmask, BlockUnblockAndSetmask) {
  MOAT_COVERS("rt_sigprocmask");
  SignalState keep(SIGUSR1);
  const uint64_t start = current_mask();
  uint64_t set = bit(SIGUSR1) | bit(SIGUSR2);
  uint64_t old = 0;
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_BLOCK, &set, &old));
  EXPECT_EQ(old, start);
  EXPECT_EQ(current_mask(), start | set);
  set = bit(SIGUSR2);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_UNBLOCK, &set, nullptr));
  EXPECT_EQ(current_mask(), start | bit(SIGUSR1));
  // SIGKILL and SIGSTOP are dropped silently.
  set = bit(SIGKILL) | bit(SIGSTOP) | bit(SIGHUP);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_SETMASK, &set, &old));
  EXPECT_EQ(old, start | bit(SIGUSR1));
  EXPECT_EQ(current_mask(), bit(SIGHUP));
}

TEST(RtSigprocmask, Errors) {
  MOAT_COVERS("rt_sigprocmask");
  SignalState keep(SIGUSR1);
  uint64_t set = bit(SIGUSR1);
  uint64_t old = 0;
  EXPECT_FAILS_WITH(rt_sigprocmask(3, &set, nullptr), EINVAL);
  EXPECT_FAILS_WITH(rt_sigprocmask(-1, &set, nullptr), EINVAL);
  // An unknown `how` with no set is only a query.
  EXPECT_SUCCEEDS(rt_sigprocmask(99, nullptr, &old));
  EXPECT_FAILS_WITH(rt_sigprocmask(SIG_BLOCK, &set, nullptr, 4), EINVAL);
  EXPECT_FAILS_WITH(rt_sigprocmask(SIG_BLOCK, reinterpret_cast<uint64_t*>(8), nullptr), EFAULT);
  EXPECT_FAILS_WITH(rt_sigprocmask(SIG_BLOCK, nullptr, reinterpret_cast<uint64_t*>(8)), EFAULT);
}

TEST(Signal, HandlerRunsWithSiginfoAndItsMask) {
  MOAT_COVERS("rt_sigaction", "tgkill", "rt_sigreturn");
  SignalState keep(SIGUSR1);
  reset_record();
  sigset_t extra;
  sigemptyset(&extra);
  sigaddset(&extra, SIGUSR2);
  install(SIGUSR1, recording_handler, 0, &extra);
  const uint64_t before = current_mask();
  ASSERT_SUCCEEDS(send_to_self(SIGUSR1));
  // Delivered before tgkill returned.
  EXPECT_EQ(g_calls, 1);
  EXPECT_EQ(g_signo, SIGUSR1);
  EXPECT_EQ(g_code, SI_TKILL);
  EXPECT_EQ(g_pid, getpid());
  // Inside: the signal itself and sa_mask blocked; after: the old mask back.
  EXPECT_EQ(g_mask_in_handler, before | bit(SIGUSR1) | bit(SIGUSR2));
  EXPECT_EQ(current_mask(), before);
}

TEST(Signal, NodeferAndResethand) {
  MOAT_COVERS("rt_sigaction", "rt_sigreturn");
  SignalState keep(SIGUSR2);
  reset_record();
  install(SIGUSR2, recording_handler, SA_NODEFER | SA_RESETHAND);
  ASSERT_SUCCEEDS(send_to_self(SIGUSR2));
  EXPECT_EQ(g_calls, 1);
  EXPECT_EQ(g_mask_in_handler & bit(SIGUSR2), 0u);
  KernelSigaction now{};
  ASSERT_SUCCEEDS(rt_sigaction(SIGUSR2, nullptr, &now));
  EXPECT_EQ(now.handler, 0u);  // back to SIG_DFL
}

TEST(Signal, BlockedSignalWaitsUntilUnblocked) {
  MOAT_COVERS("rt_sigprocmask", "rt_sigpending", "kill");
  SignalState keep(SIGUSR1);
  reset_record();
  install(SIGUSR1, recording_handler);
  uint64_t set = bit(SIGUSR1);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_BLOCK, &set, nullptr));
  ASSERT_SUCCEEDS(syscall(SYS_kill, getpid(), SIGUSR1));
  ASSERT_SUCCEEDS(syscall(SYS_kill, getpid(), SIGUSR1));  // a standard signal is pending once
  EXPECT_EQ(g_calls, 0);
  uint64_t pending = 0;
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_EQ(pending & bit(SIGUSR1), bit(SIGUSR1));
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_UNBLOCK, &set, nullptr));
  EXPECT_EQ(g_calls, 1);
  EXPECT_EQ(g_code, SI_USER);
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_EQ(pending & bit(SIGUSR1), 0u);
}

TEST(Signal, IgnoringDiscardsPendingSignals) {
  MOAT_COVERS("rt_sigaction", "rt_sigpending");
  SignalState keep(SIGUSR1);
  uint64_t set = bit(SIGUSR1);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_BLOCK, &set, nullptr));
  ASSERT_SUCCEEDS(send_to_self(SIGUSR1));
  uint64_t pending = 0;
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_NE(pending & bit(SIGUSR1), 0u);
  signal(SIGUSR1, SIG_IGN);
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_EQ(pending & bit(SIGUSR1), 0u);
  // An ignored signal sent while unblocked does nothing.
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_UNBLOCK, &set, nullptr));
  EXPECT_SUCCEEDS(send_to_self(SIGUSR1));
}

TEST(RtSigpending, Errors) {
  MOAT_COVERS("rt_sigpending");
  uint64_t pending = 0;
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigpending, &pending, 16), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigpending, reinterpret_cast<uint64_t*>(8), 8), EFAULT);
  // A shorter set is allowed: the first bytes.
  EXPECT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 4));
}

sigjmp_buf g_jump;

void fault_handler(int signo, siginfo_t* info, void*) {
  g_signo = signo;
  g_code = info->si_code;
  g_addr = info->si_addr;
  siglongjmp(g_jump, 1);
}

TEST(Signal, SegvHandlerRecoversWithSiglongjmp) {
  MOAT_COVERS("rt_sigaction", "rt_sigprocmask");
  SignalState keep(SIGSEGV);
  reset_record();
  install(SIGSEGV, fault_handler);
  auto* unmapped = reinterpret_cast<volatile int*>(16);
  if (sigsetjmp(g_jump, 1) == 0) {
    *unmapped = 1;
    FAIL() << "the store to an unmapped page returned";
  }
  EXPECT_EQ(g_signo, SIGSEGV);
  EXPECT_EQ(g_code, SEGV_MAPERR);
  EXPECT_EQ(g_addr, const_cast<int*>(unmapped));

  void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  auto* read_only = static_cast<volatile char*>(page) + 100;
  if (sigsetjmp(g_jump, 1) == 0) {
    *read_only = 1;
    FAIL() << "the store to a read-only page returned";
  }
  EXPECT_EQ(g_code, SEGV_ACCERR);
  EXPECT_EQ(g_addr, const_cast<char*>(read_only));
  munmap(page, 4096);
  // siglongjmp restored the mask the jump buffer saved: SIGSEGV unblocked.
  EXPECT_EQ(current_mask() & bit(SIGSEGV), 0u);
}

TEST(Signal, SentSegvWaitsWhileBlocked) {
  // Only a fault forces SIGSEGV through a block; one sent by tgkill waits.
  MOAT_COVERS("rt_sigprocmask", "rt_sigpending");
  SignalState keep(SIGSEGV);
  install(SIGSEGV, recording_handler);
  uint64_t set = bit(SIGSEGV);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_BLOCK, &set, nullptr));
  reset_record();
  ASSERT_SUCCEEDS(send_to_self(SIGSEGV));
  uint64_t pending = 0;
  ASSERT_SUCCEEDS(syscall(SYS_rt_sigpending, &pending, 8));
  EXPECT_NE(pending & bit(SIGSEGV), 0u);
  ASSERT_SUCCEEDS(rt_sigprocmask(SIG_UNBLOCK, &set, nullptr));
  EXPECT_EQ(g_calls, 1);
}

// A vector register holds a value across a signal whose handler overwrites
// it: the frame saves and sigreturn restores the FP/SIMD state.
uint64_t g_clobbered;

void fp_clobbering_handler(int, siginfo_t*, void*) {
#if defined(__x86_64__)
  const uint64_t junk = 0x0badc0de0badc0deULL;
  asm volatile("movq %0, %%xmm7" : : "r"(junk) : "xmm7");
  asm volatile("movq %%xmm7, %0" : "=r"(g_clobbered));
#elif defined(__aarch64__)
  const uint64_t junk = 0x0badc0de0badc0deULL;
  asm volatile("fmov d7, %0" : : "r"(junk) : "v7");
  asm volatile("fmov %0, d7" : "=r"(g_clobbered));
#endif
}

TEST(Signal, FpRegistersSurviveAHandler) {
  MOAT_COVERS("rt_sigaction", "rt_sigreturn", "tgkill");
  SignalState keep(SIGUSR1);
  install(SIGUSR1, fp_clobbering_handler);
  const uint64_t pattern = 0x1234567887654321ULL;
  uint64_t after = 0;
  const long pid = getpid();
  const long tid = syscall(SYS_gettid);
#if defined(__x86_64__)
  long ret = SYS_tgkill;
  asm volatile(
      "movq %[pattern], %%xmm7\n\t"
      "syscall\n\t"
      "movq %%xmm7, %[after]"
      : [after] "=r"(after), "+a"(ret)
      : [pattern] "r"(pattern), "D"(pid), "S"(tid), "d"(long{SIGUSR1})
      : "rcx", "r11", "xmm7", "memory");
#elif defined(__aarch64__)
  register long x8 asm("x8") = SYS_tgkill;
  register long x0 asm("x0") = pid;
  register long x1 asm("x1") = tid;
  register long x2 asm("x2") = SIGUSR1;
  asm volatile(
      "fmov d7, %[pattern]\n\t"
      "svc #0\n\t"
      "fmov %[after], d7"
      : [after] "=r"(after), "+r"(x0)
      : [pattern] "r"(pattern), "r"(x8), "r"(x1), "r"(x2)
      : "v7", "memory");
#endif
  EXPECT_EQ(g_clobbered, 0x0badc0de0badc0deULL);  // the handler really ran
  EXPECT_EQ(after, pattern);
}

volatile uintptr_t g_local_address;
volatile int g_stack_flags;
volatile long g_change_result;
volatile int g_change_errno;

void altstack_handler(int, siginfo_t*, void*) {
  int local = 0;
  g_local_address = reinterpret_cast<uintptr_t>(&local);
  stack_t now{};
  syscall(SYS_sigaltstack, nullptr, &now);
  g_stack_flags = now.ss_flags;
  stack_t change{};
  change.ss_flags = SS_DISABLE;
  g_change_result = syscall(SYS_sigaltstack, &change, nullptr);
  g_change_errno = errno;
}

TEST(Sigaltstack, HandlerRunsOnTheAlternateStack) {
  MOAT_COVERS("sigaltstack", "rt_sigaction", "rt_sigreturn");
  SignalState keep(SIGUSR1);
  static char area[64 * 1024];
  stack_t ss{};
  ss.ss_sp = area;
  ss.ss_size = sizeof(area);
  ASSERT_SUCCEEDS(syscall(SYS_sigaltstack, &ss, nullptr));
  install(SIGUSR1, altstack_handler, SA_ONSTACK);
  ASSERT_SUCCEEDS(send_to_self(SIGUSR1));
  const auto base = reinterpret_cast<uintptr_t>(area);
  EXPECT_GT(g_local_address, base);
  EXPECT_LT(g_local_address, base + sizeof(area));
  EXPECT_EQ(g_stack_flags, SS_ONSTACK);
  // No changing the stack while on it.
  EXPECT_EQ(g_change_result, -1);
  EXPECT_EQ(g_change_errno, EPERM);
  // Back on the normal stack: the alternate one is enabled, not in use.
  stack_t now{};
  ASSERT_SUCCEEDS(syscall(SYS_sigaltstack, nullptr, &now));
  EXPECT_EQ(now.ss_sp, area);
  EXPECT_EQ(now.ss_size, sizeof(area));
  EXPECT_EQ(now.ss_flags, 0);
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  ASSERT_SUCCEEDS(syscall(SYS_sigaltstack, &off, nullptr));
  ASSERT_SUCCEEDS(syscall(SYS_sigaltstack, nullptr, &now));
  EXPECT_EQ(now.ss_flags, SS_DISABLE);
  EXPECT_EQ(now.ss_size, 0u);
}

TEST(Sigaltstack, Errors) {
  MOAT_COVERS("sigaltstack");
  static char area[64 * 1024];
  stack_t ss{};
  ss.ss_sp = area;
  ss.ss_size = 256;  // below MINSIGSTKSZ on every architecture
  EXPECT_FAILS_WITH(syscall(SYS_sigaltstack, &ss, nullptr), ENOMEM);
  ss.ss_size = sizeof(area);
  ss.ss_flags = 0x10;
  EXPECT_FAILS_WITH(syscall(SYS_sigaltstack, &ss, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_sigaltstack, reinterpret_cast<stack_t*>(8), nullptr), EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_sigaltstack, nullptr, reinterpret_cast<stack_t*>(8)), EFAULT);
  stack_t now{};
  ASSERT_SUCCEEDS(syscall(SYS_sigaltstack, nullptr, &now));
  EXPECT_EQ(now.ss_flags, SS_DISABLE);
}

TEST(Kill, ToSelfAndErrors) {
  MOAT_COVERS("kill");
  SignalState keep(SIGUSR1);
  reset_record();
  install(SIGUSR1, recording_handler);
  EXPECT_SUCCEEDS(syscall(SYS_kill, getpid(), 0));
  ASSERT_SUCCEEDS(syscall(SYS_kill, getpid(), SIGUSR1));
  EXPECT_EQ(g_calls, 1);
  EXPECT_EQ(g_code, SI_USER);
  EXPECT_EQ(g_pid, getpid());
  // (kill(0) would reach the caller's whole process group: a shell running
  // this test by hand too.)
  EXPECT_FAILS_WITH(syscall(SYS_kill, getpid(), 65), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_kill, getpid(), -1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_kill, INT_MAX, 0), ESRCH);
}

TEST(Tgkill, Errors) {
  MOAT_COVERS("tgkill", "tkill");
  const long pid = getpid();
  const long tid = syscall(SYS_gettid);
  EXPECT_SUCCEEDS(syscall(SYS_tgkill, pid, tid, 0));
  EXPECT_SUCCEEDS(syscall(SYS_tkill, tid, 0));
  EXPECT_FAILS_WITH(syscall(SYS_tgkill, 0, tid, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_tgkill, pid, 0, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_tgkill, pid, tid, 65), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_tgkill, pid, INT_MAX, 0), ESRCH);
  EXPECT_FAILS_WITH(syscall(SYS_tkill, 0, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_tkill, INT_MAX, 0), ESRCH);
}

}  // namespace
