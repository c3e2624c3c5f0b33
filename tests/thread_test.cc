// Threads: clone/clone3 through pthread_create, futex wait queues between
// threads (wake, bitsets, requeue, wake-op, timeouts), CHILD_CLEARTID (how
// pthread_join learns of the end), robust mutexes whose owner died, signals
// aimed at one thread or at the process, interrupted sleeps (EINTR and
// SA_RESTART), nanosleep, and a mapping change seen at once by a thread that
// spins on it (the TLB of a running CPU).

#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/util/syscall_test_util.h"

namespace {

long futex(std::atomic<uint32_t>* addr, int op, uint32_t val, const timespec* timeout = nullptr,
           std::atomic<uint32_t>* addr2 = nullptr, uint32_t val3 = 0) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op, val, timeout,
                 reinterpret_cast<uint32_t*>(addr2), val3);
}

long gettid_raw() {
  return syscall(SYS_gettid);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Waits (politely) until `done` holds or about 10 s pass.
template <typename Fn>
bool eventually(Fn done) {
  for (int i = 0; i < 10000; ++i) {
    if (done()) {
      return true;
    }
    usleep(1000);
  }
  return done();
}

// How many threads sleep on `word` (which holds `value`), without waking or
// moving any: a CMP_REQUEUE onto the same word wakes none and "requeues"
// every waiter in place, returning their number.
// Private and shared waiters are told apart.
long sleepers(std::atomic<uint32_t>* word, uint32_t value, bool shared = false) {
  return futex(word, shared ? FUTEX_CMP_REQUEUE : FUTEX_CMP_REQUEUE_PRIVATE, 0,
               reinterpret_cast<timespec*>(INT_MAX), word, value);
}

TEST(Clone, PthreadCreateRunsThreadsWithTheirOwnTids) {
  MOAT_COVERS("clone3", "clone", "gettid", "exit", "futex");
  constexpr int kThreads = 8;
  std::vector<long> tids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&tids, i] { tids[i] = gettid_raw(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<long> unique(tids.begin(), tids.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(unique.count(getpid()), 0u);
  for (long tid : tids) {
    EXPECT_GT(tid, 0);
  }
}

TEST(Clone, ThreadsShareMemoryAndDescriptorsAndSeeThePid) {
  MOAT_COVERS("clone3", "clone", "getpid");
  int value = 0;
  long pid_in_thread = 0;
  std::thread t([&] {
    value = 42;
    pid_in_thread = syscall(SYS_getpid);
  });
  t.join();
  EXPECT_EQ(value, 42);
  EXPECT_EQ(pid_in_thread, getpid());
}

TEST(Clone, TlsIsPerThread) {
  MOAT_COVERS("clone3", "clone");
  static thread_local int slot = 1;
  slot = 5;
  int seen = 0;
  std::thread t([&] {
    seen = slot;
    slot = 9;
  });
  t.join();
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(slot, 5);
}

TEST(Clone, FlagErrors) {
  MOAT_COVERS("clone", "clone3");
  // CLONE_THREAD needs CLONE_SIGHAND; CLONE_SIGHAND needs CLONE_VM.
  EXPECT_FAILS_WITH(syscall(SYS_clone, CLONE_THREAD | CLONE_VM, nullptr, nullptr, nullptr, 0),
                    EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_clone, CLONE_SIGHAND, nullptr, nullptr, nullptr, 0), EINVAL);
  // CLONE_FS with CLONE_NEWNS.
  EXPECT_FAILS_WITH(syscall(SYS_clone, CLONE_FS | CLONE_NEWNS, nullptr, nullptr, nullptr, 0),
                    EINVAL);
  // clone3: too small a struct, a stack without a size, bits it reserves.
  clone_args args{};
  EXPECT_FAILS_WITH(syscall(SYS_clone3, &args, 32), EINVAL);
  args.stack = reinterpret_cast<uint64_t>(&args);
  EXPECT_FAILS_WITH(syscall(SYS_clone3, &args, sizeof(args)), EINVAL);
  args = clone_args{};
  args.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  args.exit_signal = SIGCHLD;
  EXPECT_FAILS_WITH(syscall(SYS_clone3, &args, sizeof(args)), EINVAL);
  args = clone_args{};
  args.flags = CLONE_DETACHED;
  EXPECT_FAILS_WITH(syscall(SYS_clone3, &args, sizeof(args)), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_clone3, &args, 8192), E2BIG);
  EXPECT_FAILS_WITH(syscall(SYS_clone3, nullptr, sizeof(args)), EFAULT);
}

TEST(Futex, MutexUnderContentionCountsExactly) {
  MOAT_COVERS("futex", "clone3", "clone");
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        pthread_mutex_lock(&lock);
        ++counter;
        if (r % 64 == 0) {
          sched_yield();  // hold the lock across a trap now and then
        }
        pthread_mutex_unlock(&lock);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter, long{kThreads} * kRounds);
}

TEST(Futex, ConditionVariablePingPong) {
  MOAT_COVERS("futex");
  std::mutex m;
  std::condition_variable cv;
  int turn = 0;
  constexpr int kRounds = 500;
  std::thread other([&] {
    for (int i = 0; i < kRounds; ++i) {
      std::unique_lock l(m);
      cv.wait(l, [&] { return turn == 1; });
      turn = 0;
      cv.notify_one();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    std::unique_lock l(m);
    turn = 1;
    cv.notify_one();
    cv.wait(l, [&] { return turn == 0; });
  }
  other.join();
  EXPECT_EQ(turn, 0);
}

TEST(Futex, WakeWakesAWaiterAndCountsIt) {
  MOAT_COVERS("futex");
  std::atomic<uint32_t> word{0};
  std::atomic<int> woke{0};
  std::thread waiter([&] {
    while (word.load() == 0) {
      futex(&word, FUTEX_WAIT_PRIVATE, 0);
    }
    woke = 1;
  });
  // Until the waiter sleeps, a wake may find nobody; then it finds one.
  long woken = 0;
  ASSERT_TRUE(eventually([&] {
    woken = futex(&word, FUTEX_WAKE_PRIVATE, 1);
    return woken != 0;
  }));
  EXPECT_EQ(woken, 1);
  word = 1;
  futex(&word, FUTEX_WAKE_PRIVATE, INT32_MAX);
  waiter.join();
  EXPECT_EQ(woke.load(), 1);
}

TEST(Futex, WakeBitsetWakesOnlyMatchingWaiters) {
  MOAT_COVERS("futex");
  std::atomic<uint32_t> word{0};
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    long r;
    do {
      r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, 0x1);
    } while (r == -1 && errno == EINTR);
    result = static_cast<int>(r);
  });
  ASSERT_TRUE(eventually([&] { return sleepers(&word, 0) == 1; }));
  // A wake for bit 2 never finds the bit-1 waiter.
  EXPECT_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, 0x2), 0);
  EXPECT_EQ(result.load(), -1);
  EXPECT_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, 0x3), 1);
  waiter.join();
  EXPECT_EQ(result.load(), 0);
}

TEST(Futex, CmpRequeueMovesWaitersToAnotherWord) {
  MOAT_COVERS("futex");
  std::atomic<uint32_t> from{0};
  std::atomic<uint32_t> to{0};
  std::atomic<int> done{0};
  constexpr int kWaiters = 3;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      while (futex(&from, FUTEX_WAIT_PRIVATE, 0) != 0) {
        if (from.load() != 0) {
          break;
        }
      }
      ++done;
    });
  }
  ASSERT_TRUE(eventually([&] { return sleepers(&from, 0) == kWaiters; }));
  // A stale value is EAGAIN and changes nothing.
  EXPECT_FAILS_WITH(
      futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<timespec*>(2), &to, 7), EAGAIN);
  // Wake one, move two.
  EXPECT_EQ(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<timespec*>(2), &to, 0), 3);
  ASSERT_TRUE(eventually([&] { return done.load() == 1; }));
  usleep(20000);
  EXPECT_EQ(done.load(), 1);
  // The two now wait on `to`: a wake on `from` finds nobody.
  EXPECT_EQ(futex(&from, FUTEX_WAKE_PRIVATE, INT32_MAX), 0);
  from = 1;
  EXPECT_EQ(futex(&to, FUTEX_WAKE_PRIVATE, INT32_MAX), 2);
  for (auto& t : waiters) {
    t.join();
  }
  EXPECT_EQ(done.load(), kWaiters);
}

TEST(Futex, WakeOpWakesTheSecondWordWhenTheComparisonHolds) {
  MOAT_COVERS("futex");
  std::atomic<uint32_t> first{0};
  std::atomic<uint32_t> second{5};
  std::atomic<int> done{0};
  std::thread waiter([&] {
    while (second.load() == 5) {
      futex(&second, FUTEX_WAIT_PRIVATE, 5);
    }
    ++done;
  });
  // "second += 0 if old == 6" does not hold: it wakes nobody.
  const uint32_t never = FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 6);
  ASSERT_TRUE(eventually([&] { return sleepers(&second, 5) == 1; }));
  EXPECT_EQ(futex(&first, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<timespec*>(1), &second, never),
            0);
  // "second = 7 if old == 5": holds; the waiter on `second` wakes.
  const uint32_t set = FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 5);
  EXPECT_EQ(futex(&first, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<timespec*>(1), &second, set),
            1);
  waiter.join();
  EXPECT_EQ(second.load(), 7u);
  EXPECT_EQ(done.load(), 1);
}

TEST(Futex, TimedWaitInAnotherThreadTimesOut) {
  MOAT_COVERS("futex");
  std::atomic<uint32_t> word{0};
  long result = 0;
  int error = 0;
  double elapsed = 0;
  std::thread waiter([&] {
    const timespec timeout{0, 50'000'000};
    const auto start = std::chrono::steady_clock::now();
    result = futex(&word, FUTEX_WAIT_PRIVATE, 0, &timeout);
    error = errno;
    elapsed = seconds_since(start);
  });
  waiter.join();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, ETIMEDOUT);
  EXPECT_GE(elapsed, 0.045);
}

TEST(Futex, RobustMutexOfADeadOwnerIsEownerdead) {
  MOAT_COVERS("futex", "set_robust_list", "exit");
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_t m;
  pthread_mutex_init(&m, &attr);
  std::thread owner([&] { pthread_mutex_lock(&m); });  // exits holding it
  owner.join();
  EXPECT_EQ(pthread_mutex_lock(&m), EOWNERDEAD);
  EXPECT_EQ(pthread_mutex_consistent(&m), 0);
  EXPECT_EQ(pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(pthread_mutex_lock(&m), 0);
  pthread_mutex_unlock(&m);
  pthread_mutex_destroy(&m);
}

TEST(Futex, RobustMutexWaiterWakesWhenTheOwnerDies) {
  MOAT_COVERS("futex", "set_robust_list");
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_t m;
  pthread_mutex_init(&m, &attr);
  std::atomic<bool> locked{false};
  std::atomic<bool> release{false};
  std::thread owner([&] {
    pthread_mutex_lock(&m);
    locked = true;
    while (!release) {
      usleep(1000);
    }
  });
  ASSERT_TRUE(eventually([&] { return locked.load(); }));
  int got = -1;
  std::thread waiter([&] { got = pthread_mutex_lock(&m); });
  // glibc's __lock comes first; robust mutexes wait with shared futexes.
  auto* word = reinterpret_cast<std::atomic<uint32_t>*>(&m);
  ASSERT_TRUE(eventually([&] { return sleepers(word, word->load(), true) == 1; }));
  release = true;
  owner.join();
  waiter.join();
  EXPECT_EQ(got, EOWNERDEAD);
  pthread_mutex_consistent(&m);
  pthread_mutex_unlock(&m);
  pthread_mutex_destroy(&m);
}

std::atomic<long> g_handler_tid{0};
std::atomic<int> g_handler_runs{0};

void record_tid(int) {
  g_handler_tid = gettid_raw();
  ++g_handler_runs;
}

void install(int signo, void (*fn)(int), int flags) {
  struct sigaction sa {};
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(signo, &sa, nullptr), 0);
}

// Blocks `signo` in the calling thread for the life of the object.
class BlockSignal {
 public:
  explicit BlockSignal(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    pthread_sigmask(SIG_BLOCK, &set, &m_old);
  }
  ~BlockSignal() { pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
  BlockSignal(const BlockSignal&) = delete;
  BlockSignal& operator=(const BlockSignal&) = delete;

 private:
  sigset_t m_old{};
};

// Sends `signo` to the calling thread from another one after 50 ms; joins
// that thread when destroyed.
class SignalMeLater {
 public:
  explicit SignalMeLater(int signo)
      : m_thread([signo, tid = gettid_raw(), pid = getpid()] {
          usleep(50000);
          syscall(SYS_tgkill, pid, tid, signo);
        }) {}
  ~SignalMeLater() { join(); }
  SignalMeLater(const SignalMeLater&) = delete;
  SignalMeLater& operator=(const SignalMeLater&) = delete;
  void join() {
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }

 private:
  std::thread m_thread;
};

bool blocked_now(int signo) {
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, signo) == 1;
}

TEST(Signals, TgkillRunsTheHandlerOnThatThreadAndInterruptsItsWait) {
  MOAT_COVERS("tgkill", "futex", "rt_sigaction");
  install(SIGUSR1, record_tid, 0);  // no SA_RESTART
  g_handler_tid = 0;
  g_handler_runs = 0;
  std::atomic<uint32_t> word{0};
  std::atomic<long> tid{0};
  long result = 0;
  int error = 0;
  std::thread waiter([&] {
    tid = gettid_raw();
    result = futex(&word, FUTEX_WAIT_PRIVATE, 0);
    error = errno;
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  usleep(50000);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), 0);
  waiter.join();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EINTR);
  EXPECT_EQ(g_handler_tid.load(), tid.load());
  EXPECT_EQ(g_handler_runs.load(), 1);
  signal(SIGUSR1, SIG_DFL);
}

TEST(Signals, TgkillReachesAThreadSpinningInUserCode) {
  MOAT_COVERS("tgkill", "rt_sigaction");
  install(SIGUSR1, record_tid, 0);
  g_handler_tid = 0;
  g_handler_runs = 0;
  std::atomic<long> tid{0};
  std::atomic<bool> gave_up{false};
  std::thread spinner([&] {
    tid = gettid_raw();
    // No syscall: only the signal's handler can end the loop.
    while (g_handler_runs.load(std::memory_order_relaxed) == 0 &&
           !gave_up.load(std::memory_order_relaxed)) {
    }
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  usleep(20000);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), 0);
  const bool ran = eventually([&] { return g_handler_runs.load() == 1; });
  gave_up = true;
  spinner.join();
  EXPECT_TRUE(ran);
  EXPECT_EQ(g_handler_tid.load(), tid.load());
  signal(SIGUSR1, SIG_DFL);
}

TEST(Signals, SaRestartRestartsAnInterruptedFutexWait) {
  MOAT_COVERS("tgkill", "futex", "rt_sigaction");
  install(SIGUSR1, record_tid, SA_RESTART);
  g_handler_runs = 0;
  std::atomic<uint32_t> word{0};
  std::atomic<long> tid{0};
  long result = -2;
  std::thread waiter([&] {
    tid = gettid_raw();
    result = futex(&word, FUTEX_WAIT_PRIVATE, 0);
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  usleep(50000);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), 0);
  ASSERT_TRUE(eventually([&] { return g_handler_runs.load() == 1; }));
  usleep(50000);
  EXPECT_EQ(result, -2);  // still waiting: the wait was restarted
  ASSERT_TRUE(eventually([&] { return futex(&word, FUTEX_WAKE_PRIVATE, 1) == 1; }));
  waiter.join();
  EXPECT_EQ(result, 0);
  signal(SIGUSR1, SIG_DFL);
}

TEST(Signals, ProcessSignalGoesToAThreadThatDoesNotBlockIt) {
  MOAT_COVERS("kill", "rt_sigprocmask");
  install(SIGUSR2, record_tid, 0);
  g_handler_tid = 0;
  g_handler_runs = 0;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigset_t old;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  std::atomic<long> tid{0};
  std::atomic<bool> stop{false};
  std::thread taker([&] {
    // This thread unblocks it; the main thread keeps it blocked.
    pthread_sigmask(SIG_UNBLOCK, &block, nullptr);
    tid = gettid_raw();
    while (!stop) {
      const timespec nap{0, 1'000'000};
      nanosleep(&nap, nullptr);
    }
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  ASSERT_EQ(syscall(SYS_kill, getpid(), SIGUSR2), 0);
  EXPECT_TRUE(eventually([&] { return g_handler_runs.load() == 1; }));
  stop = true;
  taker.join();
  EXPECT_EQ(g_handler_tid.load(), tid.load());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGUSR2, SIG_DFL);
}

TEST(Signals, TgkillOfAnotherProcessOrAGoneThreadIsEsrch) {
  MOAT_COVERS("tgkill", "tkill");
  long tid = 0;
  std::thread t([&] { tid = gettid_raw(); });
  t.join();
  // The thread is gone (glibc waited for its CLONE_CHILD_CLEARTID wake).
  ASSERT_TRUE(eventually([&] { return syscall(SYS_tgkill, getpid(), tid, 0) == -1; }));
  EXPECT_EQ(errno, ESRCH);
  EXPECT_FAILS_WITH(syscall(SYS_tgkill, getpid() + 100000, gettid_raw(), 0), ESRCH);
}

TEST(Signals, SigsuspendWaitsUnderItsMaskAndRestoresTheOldOne) {
  MOAT_COVERS("rt_sigsuspend", "rt_sigprocmask", "tgkill");
  install(SIGUSR1, record_tid, SA_RESTART);  // sigsuspend never restarts
  g_handler_runs = 0;
  {
    const BlockSignal blocked(SIGUSR1);
    SignalMeLater sender(SIGUSR1);
    const uint64_t none = 0;
    const long r = syscall(SYS_rt_sigsuspend, &none, 8);
    const int error = errno;
    sender.join();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(error, EINTR);
    EXPECT_EQ(g_handler_runs.load(), 1);
    EXPECT_TRUE(blocked_now(SIGUSR1));
    EXPECT_FAILS_WITH(syscall(SYS_rt_sigsuspend, &none, 4), EINVAL);
    EXPECT_FAILS_WITH(syscall(SYS_rt_sigsuspend, nullptr, 8), EFAULT);
  }
  signal(SIGUSR1, SIG_DFL);
}

#ifdef SYS_pause
TEST(Signals, PauseReturnsEintrAfterAHandler) {
  MOAT_COVERS("pause", "tgkill");
  install(SIGUSR1, record_tid, 0);
  g_handler_runs = 0;
  SignalMeLater sender(SIGUSR1);
  const long r = syscall(SYS_pause);
  const int error = errno;
  sender.join();
  EXPECT_EQ(r, -1);
  EXPECT_EQ(error, EINTR);
  EXPECT_EQ(g_handler_runs.load(), 1);
  signal(SIGUSR1, SIG_DFL);
}
#endif

TEST(Ppoll, NoDescriptorsSleepsUntilTheTimeoutAndUpdatesIt) {
  MOAT_COVERS("ppoll");
  timespec tmo{0, 30'000'000};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(syscall(SYS_ppoll, nullptr, 0, &tmo, nullptr, 8), 0);
  EXPECT_GE(seconds_since(start), 0.029);
  EXPECT_EQ(tmo.tv_sec, 0);
  EXPECT_EQ(tmo.tv_nsec, 0);
  const timespec bad{0, 1'000'000'000};
  EXPECT_FAILS_WITH(syscall(SYS_ppoll, nullptr, 0, &bad, nullptr, 8), EINVAL);
  const uint64_t mask = 0;
  timespec zero{0, 0};
  EXPECT_FAILS_WITH(syscall(SYS_ppoll, nullptr, 0, &zero, &mask, 4), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_ppoll, nullptr, 0, reinterpret_cast<timespec*>(8), nullptr, 8),
                    EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_ppoll, nullptr, 1u << 30, &zero, nullptr, 8), EINVAL);
}

TEST(Ppoll, ASignalUnderItsMaskEndsItWithEintrAndTheTimeLeft) {
  MOAT_COVERS("ppoll", "tgkill");
  install(SIGUSR1, record_tid, SA_RESTART);  // ppoll never restarts after a handler
  g_handler_runs = 0;
  {
    const BlockSignal blocked(SIGUSR1);
    SignalMeLater sender(SIGUSR1);
    timespec tmo{10, 0};
    const uint64_t none = 0;  // SIGUSR1 is let through only during the call
    const long r = syscall(SYS_ppoll, nullptr, 0, &tmo, &none, 8);
    const int error = errno;
    sender.join();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(error, EINTR);
    EXPECT_EQ(g_handler_runs.load(), 1);
    EXPECT_GT(tmo.tv_sec, 5);
    EXPECT_LT(tmo.tv_sec, 10);
    EXPECT_TRUE(blocked_now(SIGUSR1));
  }
  signal(SIGUSR1, SIG_DFL);
}

TEST(Sigtimedwait, TakesASignalAnotherThreadSendsWithItsSiginfo) {
  MOAT_COVERS("rt_sigtimedwait", "tgkill", "rt_sigprocmask");
  const BlockSignal blocked(SIGUSR2);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  SignalMeLater sender(SIGUSR2);
  siginfo_t info{};
  const timespec timeout{10, 0};
  const long r = syscall(SYS_rt_sigtimedwait, &set, &info, &timeout, 8);
  sender.join();
  EXPECT_EQ(r, SIGUSR2);
  EXPECT_EQ(info.si_signo, SIGUSR2);
  EXPECT_EQ(info.si_code, SI_TKILL);
  EXPECT_EQ(info.si_pid, getpid());
  // Still blocked afterwards, and nothing left pending.
  EXPECT_TRUE(blocked_now(SIGUSR2));
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGUSR2));
}

TEST(Sigtimedwait, PendingAtOnceTimeoutAndErrors) {
  MOAT_COVERS("rt_sigtimedwait", "tgkill");
  const BlockSignal blocked(SIGUSR1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), gettid_raw(), SIGUSR1), 0);
  const timespec zero{0, 0};
  EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &set, nullptr, &zero, 8), SIGUSR1);
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, nullptr, &zero, 8), EAGAIN);
  const timespec short_wait{0, 30'000'000};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, nullptr, &short_wait, 8), EAGAIN);
  EXPECT_GE(seconds_since(start), 0.029);
  const timespec bad{0, -1};
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, nullptr, &bad, 8), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, nullptr, &zero, 4), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_rt_sigtimedwait, nullptr, nullptr, &zero, 8), EFAULT);
}

TEST(Signals, IgnoringASignalDropsItFromEveryThreadsQueue) {
  MOAT_COVERS("rt_sigaction", "rt_sigpending", "tgkill");
  std::atomic<long> tid{0};
  std::atomic<int> step{0};
  bool pending_before = false;
  bool pending_after = true;
  std::thread holder([&] {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    tid = gettid_raw();
    while (step.load() != 1) {
      usleep(1000);
    }
    sigset_t pending;
    sigpending(&pending);
    pending_before = sigismember(&pending, SIGUSR1);
    step = 2;
    while (step.load() != 3) {
      usleep(1000);
    }
    sigpending(&pending);
    pending_after = sigismember(&pending, SIGUSR1);
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), 0);
  step = 1;
  ASSERT_TRUE(eventually([&] { return step.load() == 2; }));
  signal(SIGUSR1, SIG_IGN);
  step = 3;
  holder.join();
  EXPECT_TRUE(pending_before);
  EXPECT_FALSE(pending_after);
  signal(SIGUSR1, SIG_DFL);
}

TEST(Nanosleep, SleepsAtLeastTheTime) {
  MOAT_COVERS("nanosleep", "clock_nanosleep");
  const timespec nap{0, 30'000'000};
  auto start = std::chrono::steady_clock::now();
  EXPECT_SUCCEEDS(syscall(SYS_nanosleep, &nap, nullptr));
  EXPECT_GE(seconds_since(start), 0.029);
  start = std::chrono::steady_clock::now();
  EXPECT_SUCCEEDS(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &nap, nullptr));
  EXPECT_GE(seconds_since(start), 0.029);
  // Absolute, on the realtime clock.
  timespec until{};
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 30'000'000;
  if (until.tv_nsec >= 1'000'000'000) {
    until.tv_nsec -= 1'000'000'000;
    ++until.tv_sec;
  }
  EXPECT_SUCCEEDS(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &until, nullptr));
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  EXPECT_TRUE(now.tv_sec > until.tv_sec ||
              (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec));
  // An absolute time in the past returns at once.
  const timespec past{1, 0};
  EXPECT_SUCCEEDS(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr));
}

TEST(Nanosleep, Errors) {
  MOAT_COVERS("nanosleep", "clock_nanosleep");
  const timespec bad{0, 1'000'000'000};
  EXPECT_FAILS_WITH(syscall(SYS_nanosleep, &bad, nullptr), EINVAL);
  const timespec negative{-1, 0};
  EXPECT_FAILS_WITH(syscall(SYS_nanosleep, &negative, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_nanosleep, nullptr, nullptr), EFAULT);
  const timespec zero{0, 0};
  EXPECT_FAILS_WITH(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &zero, nullptr),
                    EOPNOTSUPP);
  EXPECT_FAILS_WITH(syscall(SYS_clock_nanosleep, 12345, 0, &zero, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &zero, nullptr),
                    EOPNOTSUPP);
}

TEST(Nanosleep, ASignalEndsItWithEintrAndTheTimeLeft) {
  MOAT_COVERS("nanosleep", "tgkill");
  install(SIGUSR1, record_tid, SA_RESTART);  // nanosleep never restarts after a handler
  std::atomic<long> tid{0};
  long result = 0;
  int error = 0;
  timespec rem{};
  std::thread sleeper([&] {
    tid = gettid_raw();
    const timespec req{10, 0};
    result = syscall(SYS_nanosleep, &req, &rem);
    error = errno;
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  usleep(50000);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), 0);
  sleeper.join();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EINTR);
  EXPECT_GT(rem.tv_sec, 5);
  EXPECT_LE(rem.tv_sec, 10);
  signal(SIGUSR1, SIG_DFL);
}

thread_local sigjmp_buf t_recover;
thread_local volatile bool t_armed = false;

void jump_back(int) {
  if (t_armed) {
    t_armed = false;
    siglongjmp(t_recover, 1);
  }
  abort();
}

TEST(Memory, MprotectReachesAThreadSpinningOnThePage) {
  MOAT_COVERS("mprotect", "munmap", "clone3", "clone");
  install(SIGSEGV, jump_back, SA_NODEFER);
  const long page = sysconf(_SC_PAGESIZE);
  auto* p =
      static_cast<volatile int*>(mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  *p = 1;
  std::atomic<bool> spinning{false};
  std::atomic<bool> faulted{false};
  std::atomic<bool> gave_up{false};
  std::thread spinner([&] {
    if (sigsetjmp(t_recover, 1) != 0) {
      faulted = true;
      return;
    }
    t_armed = true;
    spinning = true;
    // No syscall in the loop: only the mapping change can end it.
    for (uint64_t i = 0; !gave_up.load(std::memory_order_relaxed); ++i) {
      (void)*p;
    }
    t_armed = false;
  });
  ASSERT_TRUE(eventually([&] { return spinning.load(); }));
  usleep(20000);
  ASSERT_EQ(mprotect(const_cast<int*>(p), static_cast<size_t>(page), PROT_NONE), 0);
  const bool seen = eventually([&] { return faulted.load(); });
  gave_up = true;
  spinner.join();
  EXPECT_TRUE(seen);
  munmap(const_cast<int*>(p), static_cast<size_t>(page));
  signal(SIGSEGV, SIG_DFL);
}

}  // namespace
