// Processes: fork and vfork (copy-on-write and shared memory), wait4 and
// waitid with every status encoding, SIGCHLD, zombies, kill to processes and
// groups, process groups and sessions, and fork chains.
//
// A child reports only through its exit status and MAP_SHARED memory, and
// ends with _exit: nothing of the test framework runs in it.

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/util/syscall_test_util.h"

namespace {

// The child's exit status word, reaped.
int reap(pid_t pid) {
  int status = -1;
  const pid_t got = static_cast<pid_t>(MOAT_CALL(waitpid(pid, &status, 0)).value);
  EXPECT_EQ(got, pid) << strerror(errno);
  return status;
}

// Runs `body` in a child, which exits with what it returns.
template <typename Body>
pid_t spawn(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    _exit(body());
  }
  EXPECT_GT(pid, 0) << strerror(errno);
  return pid;
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Memory both sides of a fork see.
template <typename T>
T* shared_memory() {
  void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  EXPECT_NE(p, MAP_FAILED);
  return new (p) T();
}

TEST(Fork, ChildGetsZeroAndItsOwnPidParentGetsThePid) {
  MOAT_COVERS("clone", "wait4", "getppid", "getpid");
  struct Seen {
    std::atomic<int> pid{0};
    std::atomic<int> ppid{0};
  };
  Seen* seen = shared_memory<Seen>();
  const pid_t parent = getpid();
  const pid_t pid = spawn([&] {
    seen->pid = static_cast<int>(syscall(SYS_getpid));
    seen->ppid = static_cast<int>(syscall(SYS_getppid));
    return 7;
  });
  const int status = reap(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_EQ(seen->pid.load(), pid);
  EXPECT_NE(pid, parent);
  EXPECT_EQ(seen->ppid.load(), parent);
  munmap(seen, sizeof(Seen));
}

#ifdef SYS_fork
// x86-64's own fork and getpgrp syscalls (arm64 has only clone and getpgid).
TEST(Fork, TheForkSyscall) {
  MOAT_COVERS("fork", "getpgrp");
  const long pid = syscall(SYS_fork);
  if (pid == 0) {
    _exit(syscall(SYS_getpgrp) == getpgid(0) ? 31 : 32);
  }
  ASSERT_GT(pid, 0) << strerror(errno);
  const int status = reap(static_cast<pid_t>(pid));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 31);
  EXPECT_EQ(syscall(SYS_getpgrp), getpgid(0));
}
#endif

TEST(Fork, PrivateMemoryIsCopiedOnWrite) {
  MOAT_COVERS("clone");
  constexpr size_t kSize = 1 << 20;
  auto* data = static_cast<unsigned char*>(
      mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(data, MAP_FAILED);
  for (size_t i = 0; i < kSize; ++i) {
    data[i] = static_cast<unsigned char>(i * 7);
  }
  static int global = 5;
  int on_stack = 6;
  const pid_t pid = spawn([&] {
    // The child sees everything as it was, then changes its own copy.
    for (size_t i = 0; i < kSize; ++i) {
      if (data[i] != static_cast<unsigned char>(i * 7)) {
        return 1;
      }
    }
    if (global != 5 || on_stack != 6) {
      return 2;
    }
    memset(data, 0xee, kSize);
    global = 50;
    on_stack = 60;
    return data[kSize - 1] == 0xee && global == 50 ? 0 : 3;
  });
  // The parent writes too while the child runs: neither sees the other's.
  data[0] = 0x11;
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 0);
  EXPECT_EQ(data[0], 0x11);
  for (size_t i = 1; i < kSize; ++i) {
    ASSERT_EQ(data[i], static_cast<unsigned char>(i * 7)) << i;
  }
  EXPECT_EQ(global, 5);
  EXPECT_EQ(on_stack, 6);
  munmap(data, kSize);
}

TEST(Fork, SharedAnonymousMemoryIsShared) {
  MOAT_COVERS("clone", "mmap");
  constexpr size_t kPages = 4;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* data = static_cast<char*>(
      mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(data, MAP_FAILED);
  data[0] = 'p';  // touched before the fork; the other pages are not
  const pid_t pid = spawn([&] {
    if (data[0] != 'p') {
      return 1;
    }
    for (size_t i = 0; i < kPages; ++i) {
      data[i * page] = static_cast<char>('a' + i);
    }
    return 0;
  });
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 0);
  for (size_t i = 0; i < kPages; ++i) {
    EXPECT_EQ(data[i * page], static_cast<char>('a' + i)) << i;
  }
  munmap(data, kPages * page);
}

TEST(Fork, MprotectInTheChildKeepsTheParentsPages) {
  MOAT_COVERS("clone", "mprotect");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* data = static_cast<char*>(
      mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(data, MAP_FAILED);
  data[0] = 'p';
  const pid_t pid = spawn([&] {
    if (mprotect(data, page, PROT_READ) != 0 || mprotect(data, page, PROT_READ | PROT_WRITE) != 0) {
      return 1;
    }
    data[0] = 'c';
    return data[0] == 'c' ? 0 : 2;
  });
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 0);
  EXPECT_EQ(data[0], 'p');
  munmap(data, page);
}

long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

TEST(Fork, SharedFutexWakesAcrossProcesses) {
  MOAT_COVERS("futex");
  auto* word = shared_memory<std::atomic<uint32_t>>();
  const pid_t pid = spawn([&] {
    sleep_ms(50);
    word->store(1);
    return futex(word, FUTEX_WAKE, 1, nullptr) == 1 ? 0 : 1;
  });
  // The parent sleeps on its own mapping of the page the child wakes on.
  const timespec timeout{10, 0};
  while (word->load() == 0) {
    const long r = futex(word, FUTEX_WAIT, 0, &timeout);
    ASSERT_TRUE(r == 0 || errno == EAGAIN || errno == EINTR) << strerror(errno);
  }
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 0);
  munmap(word, sizeof(*word));
}

TEST(Wait, StatusEncodings) {
  MOAT_COVERS("wait4", "kill", "exit_group");
  int status = reap(spawn([] { return 0; }));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(status, 0);
  status = reap(spawn([] { return 0x1ff; }));  // only the low byte survives
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0xff);

  status = reap(spawn([] {
    kill(getpid(), SIGKILL);
    return 1;
  }));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(status, SIGKILL);

  status = reap(spawn([] {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    return 1;
  }));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);

  // A signal from the parent ends a child blocked in a sleep.
  const pid_t pid = spawn([] {
    pause();
    return 1;
  });
  ASSERT_SUCCEEDS(kill(pid, SIGUSR1));
  status = reap(pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
}

TEST(Wait, WnohangSeesALiveChildThenItsEnd) {
  MOAT_COVERS("wait4");
  const pid_t pid = spawn([] {
    sleep_ms(100);
    return 3;
  });
  int status = -1;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
  EXPECT_EQ(status, -1);  // untouched
  status = reap(pid);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  // Reaped: gone for good.
  EXPECT_FAILS_WITH(waitpid(pid, &status, WNOHANG), ECHILD);
  EXPECT_FAILS_WITH(kill(pid, 0), ESRCH);
}

TEST(Wait, AnyChildAndOnlyChildren) {
  MOAT_COVERS("wait4");
  const pid_t a = spawn([] { return 1; });
  const pid_t b = spawn([] {
    sleep_ms(50);
    return 2;
  });
  int status = 0;
  std::vector<pid_t> got;
  for (int i = 0; i < 2; ++i) {
    const pid_t pid = static_cast<pid_t>(MOAT_CALL(wait4(-1, &status, 0, nullptr)).value);
    ASSERT_GT(pid, 0) << strerror(errno);
    EXPECT_EQ(WEXITSTATUS(status), pid == a ? 1 : 2);
    got.push_back(pid);
  }
  EXPECT_NE(got[0], got[1]);
  EXPECT_TRUE((got[0] == a || got[0] == b) && (got[1] == a || got[1] == b));
  EXPECT_FAILS_WITH(wait4(-1, &status, 0, nullptr), ECHILD);
  // Neither the caller nor its parent is its child.
  EXPECT_FAILS_WITH(wait4(getpid(), &status, WNOHANG, nullptr), ECHILD);
  EXPECT_FAILS_WITH(wait4(getppid(), &status, WNOHANG, nullptr), ECHILD);
}

TEST(Wait, ZombieStaysUntilReapedAndKillStillFindsIt) {
  MOAT_COVERS("waitid", "kill");
  const pid_t pid = spawn([] { return 9; });
  siginfo_t info{};
  ASSERT_SUCCEEDS(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT));
  EXPECT_EQ(info.si_signo, SIGCHLD);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 9);
  EXPECT_EQ(info.si_uid, getuid());
  // WNOWAIT left it a zombie: signals reach "it", and it is reported again.
  EXPECT_SUCCEEDS(kill(pid, 0));
  EXPECT_SUCCEEDS(kill(pid, SIGKILL));
  memset(&info, 0xff, sizeof(info));
  ASSERT_SUCCEEDS(waitid(P_ALL, 0, &info, WEXITED));
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 9);
  EXPECT_FAILS_WITH(kill(pid, 0), ESRCH);
}

TEST(Wait, WaitidReportsAKilledChildAndWnohangZeroesInfo) {
  MOAT_COVERS("waitid");
  const pid_t pid = spawn([] {
    pause();
    return 1;
  });
  siginfo_t info;
  memset(&info, 0xff, sizeof(info));
  ASSERT_SUCCEEDS(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG));
  EXPECT_EQ(info.si_signo, 0);
  EXPECT_EQ(info.si_pid, 0);
  ASSERT_SUCCEEDS(kill(pid, SIGTERM));
  ASSERT_SUCCEEDS(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED));
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGTERM);
  EXPECT_EQ(info.si_pid, pid);
}

std::atomic<int> g_sigchld_pid{0};
std::atomic<int> g_sigchld_status{0};
std::atomic<int> g_sigchld_code{0};

TEST(Wait, ParentIsSentSigchldWithTheChildsStatus) {
  MOAT_COVERS("wait4", "rt_sigtimedwait");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigset_t old;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
  const pid_t pid = spawn([] { return 12; });
  siginfo_t info{};
  timespec timeout{10, 0};
  ASSERT_EQ(MOAT_CALL(sigtimedwait(&set, &info, &timeout)).value, SIGCHLD) << strerror(errno);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 12);
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 12);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  // A handler runs with the same siginfo.
  struct sigaction sa {};
  sa.sa_flags = SA_SIGINFO;
  sa.sa_sigaction = [](int, siginfo_t* si, void*) {
    g_sigchld_pid = si->si_pid;
    g_sigchld_status = si->si_status;
    g_sigchld_code = si->si_code;
  };
  struct sigaction old_sa {};
  ASSERT_EQ(sigaction(SIGCHLD, &sa, &old_sa), 0);
  const pid_t killed = spawn([] {
    pause();
    return 1;
  });
  kill(killed, SIGKILL);
  reap(killed);
  for (int i = 0; i < 1000 && g_sigchld_pid.load() != killed; ++i) {
    sleep_ms(1);
  }
  EXPECT_EQ(g_sigchld_pid.load(), killed);
  EXPECT_EQ(g_sigchld_code.load(), CLD_KILLED);
  EXPECT_EQ(g_sigchld_status.load(), SIGKILL);
  sigaction(SIGCHLD, &old_sa, nullptr);
}

TEST(Wait, IgnoringSigchldLeavesNoZombies) {
  MOAT_COVERS("wait4", "rt_sigaction");
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGCHLD, &sa, &old), 0);
  const pid_t pid = spawn([] {
    sleep_ms(20);
    return 4;
  });
  // wait4 blocks until the child is gone, then has no child to report.
  int status = 0;
  EXPECT_FAILS_WITH(wait4(pid, &status, 0, nullptr), ECHILD);
  EXPECT_FAILS_WITH(kill(pid, 0), ESRCH);
  sigaction(SIGCHLD, &old, nullptr);
}

TEST(Wait, InterruptedByASignalGivesEintr) {
  MOAT_COVERS("wait4");
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);  // no SA_RESTART
  const pid_t pid = spawn([] {
    pause();
    return 0;
  });
  const pthread_t self = pthread_self();
  std::atomic<bool> done{false};
  pthread_t poker;
  struct Arg {
    pthread_t target;
    std::atomic<bool>* done;
  } arg{self, &done};
  ASSERT_EQ(pthread_create(
                &poker, nullptr,
                [](void* p) -> void* {
                  auto* a = static_cast<Arg*>(p);
                  while (!a->done->load()) {
                    pthread_kill(a->target, SIGALRM);
                    sleep_ms(20);
                  }
                  return nullptr;
                },
                &arg),
            0);
  int status = 0;
  const long r = wait4(pid, &status, 0, nullptr);
  const int err = errno;
  done = true;
  pthread_join(poker, nullptr);
  EXPECT_EQ(r, -1);
  EXPECT_EQ(err, EINTR);
  kill(pid, SIGKILL);
  reap(pid);
  sigaction(SIGALRM, &old, nullptr);
}

TEST(Vfork, ParentWaitsForTheChildWhichSharesMemory) {
#ifdef SYS_vfork
  MOAT_COVERS("vfork", "clone");  // x86-64's own syscall
#else
  MOAT_COVERS("clone");  // arm64's vfork is a clone
#endif
  volatile int value = 1;
  const pid_t pid = vfork();
  if (pid == 0) {
    // The parent's memory: the write is the parent's too.
    value = 2;
    sleep_ms(30);  // the parent is still held
    value = 3;
    _exit(5);
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(value, 3);
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 5);
}

TEST(Fork, ForkOfAThreadCopiesOnlyThatThread) {
  MOAT_COVERS("clone");
  struct Result {
    pid_t child = -1;
    int status = -1;
  } result;
  pthread_t thread;
  // The main thread sits in a join while the other forks: the child has
  // only the forking thread, and ends cleanly.
  ASSERT_EQ(pthread_create(
                &thread, nullptr,
                [](void* p) -> void* {
                  auto* r = static_cast<Result*>(p);
                  r->child = fork();
                  if (r->child == 0) {
                    _exit(syscall(SYS_gettid) == getpid() ? 21 : 22);
                  }
                  waitpid(r->child, &r->status, 0);
                  return nullptr;
                },
                &result),
            0);
  pthread_join(thread, nullptr);
  ASSERT_GT(result.child, 0);
  EXPECT_TRUE(WIFEXITED(result.status));
  EXPECT_EQ(WEXITSTATUS(result.status), 21);
}

// Each level forks the next and exits with its child's code plus one.
int chain(int depth) {
  if (depth == 0) {
    return 0;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    return 200;
  }
  if (pid == 0) {
    _exit(chain(depth - 1));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 201;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) + 1 : 202;
}

TEST(Fork, ChainsOneHundredDeep) {
  MOAT_COVERS("clone", "wait4");
  EXPECT_EQ(chain(100), 100);
}

TEST(ProcessGroups, SetpgidGetpgidAndKillOfAGroup) {
  MOAT_COVERS("setpgid", "getpgid", "getsid", "kill");
  const pid_t own_pgid = getpgid(0);
  ASSERT_GT(own_pgid, 0);
  EXPECT_EQ(getpgrp(), own_pgid);
  EXPECT_EQ(getpgid(getpid()), own_pgid);
  EXPECT_FAILS_WITH(getpgid(-1), ESRCH);
  EXPECT_FAILS_WITH(getpgid(INT_MAX), ESRCH);
  EXPECT_FAILS_WITH(setpgid(0, -1), EINVAL);
  EXPECT_FAILS_WITH(setpgid(INT_MAX, 0), ESRCH);

  // A child inherits the group; the parent moves it into one of its own,
  // and a second child joins that group.
  const pid_t a = spawn([] {
    pause();
    return 1;
  });
  EXPECT_EQ(getpgid(a), own_pgid);
  EXPECT_EQ(getsid(a), getsid(0));
  ASSERT_SUCCEEDS(setpgid(a, 0));
  EXPECT_EQ(getpgid(a), a);
  const pid_t b = spawn([] {
    pause();
    return 1;
  });
  ASSERT_SUCCEEDS(setpgid(b, a));
  EXPECT_EQ(getpgid(b), a);
  // Joining a group that does not exist.
  EXPECT_FAILS_WITH(setpgid(b, INT_MAX - 1), EPERM);

  // Both die by one kill to the group; the caller's own group is untouched.
  ASSERT_SUCCEEDS(kill(-a, SIGTERM));
  EXPECT_EQ(WTERMSIG(reap(a)), SIGTERM);
  EXPECT_EQ(WTERMSIG(reap(b)), SIGTERM);
  EXPECT_FAILS_WITH(kill(-a, 0), ESRCH);
  EXPECT_FAILS_WITH(kill(INT_MIN, 0), ESRCH);
  EXPECT_FAILS_WITH(kill(1, 65), EINVAL);
}

TEST(ProcessGroups, SetsidMakesANewSessionOnlyOutsideAGroupItLeads) {
  MOAT_COVERS("setsid", "getsid", "setpgid");
  struct Seen {
    std::atomic<int> sid{0};
    std::atomic<int> pgid{0};
    std::atomic<int> again{0};
    std::atomic<int> setpgid_errno{0};
  };
  Seen* seen = shared_memory<Seen>();
  const pid_t pid = spawn([&] {
    seen->sid = static_cast<int>(setsid());
    seen->pgid = static_cast<int>(getpgid(0));
    // Now it leads a session and a group: neither can change.
    seen->again = setsid() == -1 ? errno : 0;
    seen->setpgid_errno = setpgid(0, 0) == -1 ? errno : 0;
    return 0;
  });
  EXPECT_EQ(WEXITSTATUS(reap(pid)), 0);
  EXPECT_EQ(seen->sid.load(), pid);
  EXPECT_EQ(seen->pgid.load(), pid);
  EXPECT_EQ(seen->again.load(), EPERM);
  EXPECT_EQ(seen->setpgid_errno.load(), EPERM);
  munmap(seen, sizeof(Seen));
}

TEST(ProcessGroups, ParentCannotMoveAChildIntoAnotherSession) {
  MOAT_COVERS("setpgid");
  std::atomic<int>* ready = shared_memory<std::atomic<int>>();
  const pid_t pid = spawn([&] {
    setsid();
    ready->store(1);
    pause();
    return 0;
  });
  while (ready->load() == 0) {
    sleep_ms(1);
  }
  EXPECT_FAILS_WITH(setpgid(pid, pid), EPERM);
  EXPECT_EQ(getsid(pid), pid);
  kill(pid, SIGKILL);
  reap(pid);
}

}  // namespace
