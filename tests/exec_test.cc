// execve and execveat: the arguments and environment a new image gets, what
// survives an exec (descriptors without close-on-exec, ignored signals, the
// signal mask and pending signals, the pid, the working directory), "#!"
// scripts, exec chains, vfork then exec, and the errors an exec returns to
// its caller.
//
// Every case forks and execs in the child; the parent checks the exit status.
// The new image is this program again: main serves helper modes, chosen by
// argv[1] ("--moat-exec-...") or, where argv[1] is not ours to choose (a "#!"
// script without an argument, an empty argv), by MOAT_EXEC_HELPER=dump in the
// environment. The helpers use nothing of the test framework.

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::errno_text;
using moat::conformance::read_rest;
using moat::conformance::ScopedFd;
using moat::conformance::TempDir;
using moat::conformance::write_file;

// The descriptor a child's new image reports on (or reads from).
constexpr int kReportFd = 100;

constexpr char kHelperPrefix[] = "--moat-exec-";
constexpr char kDump[] = "--moat-exec-dump";
constexpr char kFds[] = "--moat-exec-fds";
constexpr char kSignals[] = "--moat-exec-signals";
constexpr char kChain[] = "--moat-exec-chain";
constexpr char kReadByte[] = "--moat-exec-read-byte";
constexpr char kExit[] = "--moat-exec-exit";

// Linux's MAX_ARG_STRLEN: the longest argument, with its NUL.
constexpr size_t kMaxArgStrlen = 32 * 4096;

// This program's absolute path.
std::string self_path() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string g_self;

// ---------------------------------------------------------------------------
// The helper modes, run in a freshly exec'd image.

// Writes what the image got to kReportFd as NUL-terminated records, each a
// key letter and a value: A argv[i], E envp[i], X AT_EXECFN, P pid, Q ppid,
// T tid, C cwd, U umask. Exits 0, or 122 when it cannot report.
int helper_dump(int argc, char** argv, char** envp) {
  std::string out;
  auto add = [&](char key, const std::string& value) {
    out += key;
    out += value;
    out += '\0';
  };
  for (int i = 0; i < argc; ++i) {
    add('A', argv[i]);
  }
  if (argv[argc] != nullptr) {
    add('!', "argv is not terminated");
  }
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    add('E', *e);
  }
  const auto* execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  add('X', execfn != nullptr ? execfn : "<none>");
  add('P', std::to_string(syscall(SYS_getpid)));
  add('Q', std::to_string(syscall(SYS_getppid)));
  add('T', std::to_string(syscall(SYS_gettid)));
  char cwd[PATH_MAX];
  add('C', getcwd(cwd, sizeof cwd) != nullptr ? cwd : "<error>");
  add('U', std::to_string(umask(0)));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = write(kReportFd, out.data() + done, out.size() - done);
    if (n <= 0) {
      return 122;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

// `--moat-exec-fds FD...`: bit i of the exit code is set when the i-th
// descriptor is open.
int helper_fds(int argc, char** argv) {
  int mask = 0;
  for (int i = 2; i < argc && i < 9; ++i) {
    if (fcntl(atoi(argv[i]), F_GETFD) != -1) {
      mask |= 1 << (i - 2);
    }
  }
  return mask;
}

// The kernel's struct sigaction, the same on x86-64 and arm64.
struct KernelSigaction {
  uintptr_t handler;
  unsigned long flags;
  uintptr_t restorer;
  uint64_t mask;
};

uint64_t sigbit(int sig) {
  return uint64_t{1} << (sig - 1);
}

// `--moat-exec-signals`: the exit code's bits say SIGUSR1 (caught before the
// exec) is SIG_DFL (1), SIGUSR2 (ignored before) is SIG_IGN (2), SIGHUP is
// still blocked (4) and pending (8), SIGUSR1 is not blocked (16), the
// alternate signal stack is disabled (32), and SIGUSR2's flags and mask were
// cleared (64). 127 is what an exec should leave.
int helper_signals() {
  int code = 0;
  KernelSigaction usr1{};
  KernelSigaction usr2{};
  if (syscall(SYS_rt_sigaction, SIGUSR1, nullptr, &usr1, 8) == 0 &&
      usr1.handler == reinterpret_cast<uintptr_t>(SIG_DFL)) {
    code |= 1;
  }
  if (syscall(SYS_rt_sigaction, SIGUSR2, nullptr, &usr2, 8) == 0 &&
      usr2.handler == reinterpret_cast<uintptr_t>(SIG_IGN)) {
    code |= 2;
  }
  uint64_t blocked = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &blocked, 8) == 0) {
    code |= (blocked & sigbit(SIGHUP)) != 0 ? 4 : 0;
    code |= (blocked & sigbit(SIGUSR1)) == 0 ? 16 : 0;
  }
  uint64_t pending = 0;
  if (syscall(SYS_rt_sigpending, &pending, 8) == 0 && (pending & sigbit(SIGHUP)) != 0) {
    code |= 8;
  }
  stack_t ss{};
  if (syscall(SYS_sigaltstack, nullptr, &ss) == 0 && (ss.ss_flags & SS_DISABLE) != 0) {
    code |= 32;
  }
  if (usr2.flags == 0 && usr2.mask == 0) {
    code |= 64;
  }
  return code;
}

// `--moat-exec-chain N`: forks a child that execs this mode with N-1, waits
// for it and exits with its code; N == 0 exits 0. Failures: 200 fork, 201
// exec, 202 wait, 203 the child did not exit.
int helper_chain(int argc, char** argv, char** envp) {
  const long n = argc > 2 ? strtol(argv[2], nullptr, 10) : -1;
  if (n <= 0) {
    return n == 0 ? 0 : 204;
  }
  const std::string self = self_path();
  std::string next = std::to_string(n - 1);
  std::string mode = kChain;
  char* const child_argv[] = {const_cast<char*>(self.c_str()), mode.data(), next.data(), nullptr};
  const pid_t pid = fork();
  if (pid < 0) {
    return 200;
  }
  if (pid == 0) {
    syscall(SYS_execve, self.c_str(), child_argv, envp);
    _exit(201);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) != pid) {
    if (errno != EINTR) {
      return 202;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 203;
}

// `--moat-exec-read-byte`: exits with the first byte read from kReportFd;
// 98 when none comes within ten seconds (a watchdog thread ends the
// process), 99 on end of file or a failed read.
int helper_read_byte() {
  pthread_t watchdog;
  if (pthread_create(
          &watchdog, nullptr,
          [](void*) -> void* {
            timespec left{10, 0};
            while (nanosleep(&left, &left) != 0 && errno == EINTR) {
            }
            _exit(98);
          },
          nullptr) != 0) {
    return 97;
  }
  unsigned char byte = 0;
  ssize_t n;
  while ((n = read(kReportFd, &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1 ? byte : 99;
}

int run_helper(const char* mode, int argc, char** argv, char** envp) {
  if (strncmp(mode, kDump, sizeof kDump - 1) == 0) {
    return helper_dump(argc, argv, envp);
  }
  if (strcmp(mode, kFds) == 0) {
    return helper_fds(argc, argv);
  }
  if (strcmp(mode, kSignals) == 0) {
    return helper_signals();
  }
  if (strcmp(mode, kChain) == 0) {
    return helper_chain(argc, argv, envp);
  }
  if (strcmp(mode, kReadByte) == 0) {
    return helper_read_byte();
  }
  if (strcmp(mode, kExit) == 0 && argc > 2) {
    return atoi(argv[2]);
  }
  return 125;
}

// ---------------------------------------------------------------------------
// The test side.

// A NULL-terminated array of strings for argv or envp.
class Strings {
 public:
  Strings(std::initializer_list<std::string> strings) : m_strings(strings) { fill(); }
  Strings(const Strings&) = delete;
  Strings& operator=(const Strings&) = delete;
  char* const* get() const { return m_pointers.data(); }

 private:
  void fill() {
    for (std::string& s : m_strings) {
      m_pointers.push_back(s.data());
    }
    m_pointers.push_back(nullptr);
  }
  std::vector<std::string> m_strings;
  std::vector<char*> m_pointers;
};

// The child's exit status word, reaped.
int reap(pid_t pid) {
  int status = -1;
  const pid_t got = static_cast<pid_t>(MOAT_CALL(waitpid(pid, &status, 0)).value);
  EXPECT_EQ(got, pid) << strerror(errno);
  return status;
}

// What a child's exit status word says, for messages.
std::string describe_status(int status) {
  if (WIFEXITED(status)) {
    return "exit " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return std::string("killed by ") + strsignal(WTERMSIG(status));
  }
  return "status " + std::to_string(status);
}

// Forks; the child runs `exec` (which sets up and execs) and, should the
// exec return, exits with 120. Returns the exit code, or -1 with a failure
// when the child did not exit normally.
template <typename Exec>
int exit_code_of(Exec exec) {
  const pid_t pid = fork();
  if (pid == 0) {
    exec();
    _exit(120);
  }
  EXPECT_GT(pid, 0) << strerror(errno);
  if (pid <= 0) {
    return -1;
  }
  const int status = reap(pid);
  EXPECT_TRUE(WIFEXITED(status)) << describe_status(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What a --moat-exec-dump image reported.
struct Report {
  int status = -1;
  std::string failure;  // set when the exec or the report failed
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string execfn;
  long pid = -1;
  long ppid = -1;
  long tid = -1;
  std::string cwd;
  int umask = -1;
};

// Forks a child whose kReportFd is the write end of a pipe; the child runs
// `exec`, and the image it becomes reports with --moat-exec-dump.
template <typename Exec>
Report exec_and_report(Exec exec) {
  Report report;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    report.failure = std::string("pipe2: ") + strerror(errno);
    return report;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(fds[1], kReportFd) != kReportFd) {
      _exit(121);
    }
    exec();
    const std::string failed = "Fexec failed with " + errno_text(errno);
    (void)!write(kReportFd, failed.c_str(), failed.size() + 1);
    _exit(120);
  }
  close(fds[1]);
  const std::string raw = read_rest(fds[0]);
  close(fds[0]);
  if (pid < 0) {
    report.failure = std::string("fork: ") + strerror(errno);
    return report;
  }
  report.status = reap(pid);
  for (size_t at = 0; at < raw.size();) {
    size_t end = raw.find('\0', at);
    if (end == std::string::npos) {
      end = raw.size();
    }
    const std::string value = raw.substr(at + 1, end - at - 1);
    switch (raw[at]) {
      case 'A':
        report.argv.push_back(value);
        break;
      case 'E':
        report.envp.push_back(value);
        break;
      case 'X':
        report.execfn = value;
        break;
      case 'P':
        report.pid = atol(value.c_str());
        break;
      case 'Q':
        report.ppid = atol(value.c_str());
        break;
      case 'T':
        report.tid = atol(value.c_str());
        break;
      case 'C':
        report.cwd = value;
        break;
      case 'U':
        report.umask = atoi(value.c_str());
        break;
      default:
        report.failure += value;
        break;
    }
    at = end + 1;
  }
  if (report.status != 0 && report.failure.empty()) {
    report.failure = "the new image ended with " + describe_status(report.status);
  }
  return report;
}

#define ASSERT_REPORTED(report)         \
  ASSERT_TRUE((report).failure.empty()) \
      << (report).failure << " (" << describe_status((report).status) << ")"

// How an exec expected to fail came out.
struct ExecOutcome {
  bool returned = false;  // the call returned to the caller
  long value = 0;         // what it returned
  int error = 0;          // errno after it
  int status = -1;        // the child's exit status word
};

// Forks a child that runs `call` (an exec expected to fail) and sends back
// what it returned on a close-on-exec pipe: nothing comes when the exec
// replaced the child.
template <typename Call>
ExecOutcome exec_outcome(Call call) {
  ExecOutcome outcome;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return outcome;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    long result[2];
    result[0] = call();
    result[1] = errno;
    (void)!write(fds[1], result, sizeof result);
    _exit(120);
  }
  close(fds[1]);
  long result[2] = {};
  const ssize_t n = MOAT_CALL(read(fds[0], result, sizeof result)).value;
  close(fds[0]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return outcome;
  }
  outcome.returned = n == static_cast<ssize_t>(sizeof result);
  outcome.value = result[0];
  outcome.error = static_cast<int>(result[1]);
  outcome.status = reap(pid);
  return outcome;
}

::testing::AssertionResult exec_fails_with(const char* expr, const ExecOutcome& got, int want) {
  if (got.returned && got.value == -1 && got.error == want) {
    return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure() << expr;
  if (!got.returned) {
    return failure << " succeeded (the new image ended with " << describe_status(got.status)
                   << "), want " << errno_text(want);
  }
  if (got.value != -1) {
    return failure << " returned " << got.value << ", want " << errno_text(want);
  }
  return failure << " failed with " << errno_text(got.error) << ", want " << errno_text(want);
}

#define EXPECT_EXEC_FAILS_WITH(expr, err) \
  EXPECT_TRUE(exec_fails_with(#expr, exec_outcome([&] { return (expr); }), err))

// The (empty) environment the helpers are usually run with.
const Strings& no_env() {
  static const Strings env{};
  return env;
}

long do_execve(const std::string& path, const Strings& argv, const Strings& envp) {
  return syscall(SYS_execve, path.c_str(), argv.get(), envp.get());
}

std::vector<std::string> strings(std::initializer_list<std::string> list) {
  return list;
}

// The directory part and the name part of g_self.
std::string self_dir() {
  return g_self.substr(0, g_self.rfind('/'));
}
std::string self_name() {
  return g_self.substr(g_self.rfind('/') + 1);
}

// ---------------------------------------------------------------------------

TEST(Execve, ArgvAndEnvpArePassedExactly) {
  MOAT_COVERS("execve");
  const Strings argv{"a name of my own", kDump, "", "two  words", "", "tab\there", ""};
  const Strings envp{"A=1", "", "EMPTY=", "NO_EQUALS_SIGN", "A=2", "LAST=x"};
  const Report r = exec_and_report([&] { do_execve(g_self, argv, envp); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({"a name of my own", kDump, "", "two  words", "", "tab\there", ""}));
  EXPECT_EQ(r.envp, strings({"A=1", "", "EMPTY=", "NO_EQUALS_SIGN", "A=2", "LAST=x"}));
  // AT_EXECFN is the path as given.
  EXPECT_EQ(r.execfn, g_self);
}

TEST(Execve, AnEmptyOrNullEnvironment) {
  MOAT_COVERS("execve");
  const Strings argv{"x", kDump};
  Report r = exec_and_report([&] { do_execve(g_self, argv, no_env()); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({"x", kDump}));
  EXPECT_TRUE(r.envp.empty());
  // A NULL envp is an empty one.
  r = exec_and_report([&] { syscall(SYS_execve, g_self.c_str(), argv.get(), nullptr); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({"x", kDump}));
  EXPECT_TRUE(r.envp.empty());
}

// Since Linux 5.18 an empty argv (or a NULL one) gives the new image one
// empty argument, so that argv[0] is never NULL.
TEST(Execve, AnEmptyArgvGivesOneEmptyArgument) {
  MOAT_COVERS("execve");
  const Strings envp{"MOAT_EXEC_HELPER=dump"};
  const Strings empty{};
  Report r = exec_and_report([&] { do_execve(g_self, empty, envp); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({""}));
  EXPECT_EQ(r.envp, strings({"MOAT_EXEC_HELPER=dump"}));
  r = exec_and_report([&] { syscall(SYS_execve, g_self.c_str(), nullptr, envp.get()); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({""}));
}

TEST(Execve, TheLongestArgumentPassesAndALongerOneIsE2big) {
  MOAT_COVERS("execve");
  const std::string longest(kMaxArgStrlen - 1, 'a');
  const Strings argv{"x", kDump, longest};
  const Report r = exec_and_report([&] { do_execve(g_self, argv, no_env()); });
  ASSERT_REPORTED(r);
  ASSERT_EQ(r.argv.size(), 3u);
  EXPECT_EQ(r.argv[2].size(), longest.size());
  const Strings too_long{"x", kDump, longest + "a"};
  EXPECT_EXEC_FAILS_WITH(do_execve(g_self, too_long, no_env()), E2BIG);
  const Strings env_too_long{"X=" + longest};
  EXPECT_EXEC_FAILS_WITH(do_execve(g_self, argv, env_too_long), E2BIG);
}

TEST(Execve, ThePidParentAndWorkingDirectoryAreKept) {
  MOAT_COVERS("execve");
  TempDir dir;
  const Strings argv{"x", kDump};
  pid_t before = -1;
  // The child learns its pid before the exec; the parent compares it with
  // the fork's result and with what the new image reports.
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const Report r = exec_and_report([&] {
    const pid_t pid = static_cast<pid_t>(syscall(SYS_getpid));
    (void)!write(fds[1], &pid, sizeof pid);
    if (chdir(dir.path().c_str()) != 0) {
      _exit(123);
    }
    umask(027);
    do_execve(g_self, argv, no_env());
  });
  close(fds[1]);
  EXPECT_EQ(read(fds[0], &before, sizeof before), static_cast<ssize_t>(sizeof before));
  close(fds[0]);
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.pid, before);
  EXPECT_EQ(r.tid, before);
  EXPECT_EQ(r.ppid, getpid());
  EXPECT_EQ(r.cwd, dir.path());
  EXPECT_EQ(r.umask, 027);
}

// A thread other than the leader execs: the other threads end, and the
// process keeps its pid, which the new image's only thread has as its tid.
TEST(Execve, FromASecondThreadKeepsThePid) {
  MOAT_COVERS("execve");
  const Strings argv{"x", kDump};
  pid_t child = -1;
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const Report r = exec_and_report([&] {
    const pid_t pid = static_cast<pid_t>(syscall(SYS_getpid));
    (void)!write(fds[1], &pid, sizeof pid);
    pthread_t thread;
    if (pthread_create(
            &thread, nullptr,
            [](void* arg) -> void* {
              do_execve(g_self, *static_cast<const Strings*>(arg), no_env());
              _exit(124);
            },
            const_cast<Strings*>(&argv)) != 0) {
      _exit(125);
    }
    for (;;) {
      pause();  // ended by the exec
    }
  });
  close(fds[1]);
  EXPECT_EQ(read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  close(fds[0]);
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.pid, child);
  EXPECT_EQ(r.tid, child) << "the exec'ing thread takes the leader's id";
  EXPECT_EQ(r.ppid, getpid());
}

TEST(Execve, CloseOnExecDescriptorsAreClosedOthersKept) {
  MOAT_COVERS("execve");
  const ScopedFd plain(open("/dev/null", O_RDONLY));
  const ScopedFd cloexec(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const ScopedFd set_later(dup(plain.get()));
  ASSERT_EQ(fcntl(set_later.get(), F_SETFD, FD_CLOEXEC), 0);
  const ScopedFd dup_of_cloexec(dup3(cloexec.get(), 50, 0));  // dup3 without O_CLOEXEC
  const ScopedFd dupfd_cloexec(fcntl(plain.get(), F_DUPFD_CLOEXEC, 60));
  const ScopedFd cleared(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(fcntl(cleared.get(), F_SETFD, 0), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const ScopedFd pipe_read(pipe_fds[0]);
  const ScopedFd pipe_write(pipe_fds[1]);
  for (int fd : {plain.get(), cloexec.get(), set_later.get(), dup_of_cloexec.get(),
                 dupfd_cloexec.get(), cleared.get()}) {
    ASSERT_GE(fd, 0) << strerror(errno);
  }
  const Strings argv{"x",
                     kFds,
                     std::to_string(plain.get()),
                     std::to_string(cloexec.get()),
                     std::to_string(set_later.get()),
                     std::to_string(dup_of_cloexec.get()),
                     std::to_string(dupfd_cloexec.get()),
                     std::to_string(cleared.get()),
                     std::to_string(pipe_read.get())};
  const int code = exit_code_of([&] { do_execve(g_self, argv, no_env()); });
  EXPECT_EQ(code, 1 | 8 | 32) << "bit i set: the i-th descriptor was open after the exec "
                                 "(plain, O_CLOEXEC, FD_CLOEXEC, dup3, F_DUPFD_CLOEXEC, "
                                 "cleared FD_CLOEXEC, pipe2 O_CLOEXEC)";
}

TEST(Execve, CaughtSignalsResetIgnoredStayIgnoredMaskAndPendingKept) {
  MOAT_COVERS("execve");
  const Strings argv{"x", kSignals};
  const int code = exit_code_of([&] {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, nullptr);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGUSR2, &sa, nullptr);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    raise(SIGHUP);  // pending across the exec
    static char alt_stack[1 << 16];
    stack_t ss{};
    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof alt_stack;
    sigaltstack(&ss, nullptr);
    do_execve(g_self, argv, no_env());
  });
  EXPECT_EQ(code, 127) << "bits: 1 SIGUSR1 SIG_DFL, 2 SIGUSR2 SIG_IGN, 4 SIGHUP blocked, "
                          "8 SIGHUP pending, 16 SIGUSR1 unblocked, 32 no alternate stack, "
                          "64 SIGUSR2 flags and mask cleared";
}

// 100 deep; 25 on arm64, whose suite runs in an emulated machine (the
// arm64 test VM) where each exec takes about a second.
TEST(Execve, ForkExecWaitChainsOneHundredDeep) {
  MOAT_COVERS("execve", "clone", "wait4");
#ifdef __aarch64__
  const Strings argv{g_self, kChain, "25"};
#else
  const Strings argv{g_self, kChain, "100"};
#endif
  EXPECT_EQ(exit_code_of([&] { do_execve(g_self, argv, no_env()); }), 0)
      << "200 fork, 201 exec, 202 wait, 203 a child did not exit";
}

// The parent of a vfork resumes once the child has exec'd, while the child
// (now another image) still runs: it waits for a byte the parent sends.
TEST(Execve, AfterVforkTheParentResumesAtTheExec) {
#ifdef SYS_vfork
  MOAT_COVERS("execve", "vfork");  // x86-64's own syscall
#else
  MOAT_COVERS("execve", "clone");  // arm64's vfork is a clone
#endif
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const Strings argv{"x", kReadByte};
  volatile int value = 1;
  const pid_t pid = vfork();
  if (pid == 0) {
    value = 2;  // the parent's memory
    if (dup2(fds[0], kReportFd) != kReportFd) {
      _exit(121);
    }
    do_execve(g_self, argv, no_env());
    _exit(120);
  }
  ASSERT_GT(pid, 0) << strerror(errno);
  EXPECT_EQ(value, 2);
  int status = -1;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0)
      << "the child has ended: " << describe_status(status);
  const unsigned char byte = 42;
  EXPECT_EQ(write(fds[1], &byte, 1), 1);
  close(fds[0]);
  close(fds[1]);
  status = reap(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42)
      << describe_status(status) << " (98: the parent was held until the child ended)";
}

TEST(Execve, MissingFileAndBadComponentErrors) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "file", "x", 0755);
  const Strings argv{"x", kExit, "0"};
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("missing"), argv, no_env()), ENOENT);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("missing/x"), argv, no_env()), ENOENT);
  EXPECT_EXEC_FAILS_WITH(do_execve("", argv, no_env()), ENOENT);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("file/x"), argv, no_env()), ENOTDIR);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("file/"), argv, no_env()), ENOTDIR);
}

TEST(Execve, NotExecutableIsEacces) {
  MOAT_COVERS("execve");
  TempDir dir;
  // Even root needs an execute bit.
  write_file(dir.fd(), "plain", std::string("#!") + g_self + " " + kDump + "\n", 0644);
  const Strings argv{"x", kExit, "0"};
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("plain"), argv, no_env()), EACCES);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path(), argv, no_env()), EACCES);
  EXPECT_EXEC_FAILS_WITH(do_execve("/tmp", argv, no_env()), EACCES);
  EXPECT_EXEC_FAILS_WITH(do_execve("/dev/null", argv, no_env()), EACCES);
}

TEST(Execve, UnknownFormatIsEnoexec) {
  MOAT_COVERS("execve");
  TempDir dir;
  std::string junk(4096, '\0');
  uint32_t state = 12345;
  for (char& c : junk) {
    state = state * 1103515245 + 12345;
    c = static_cast<char>(state >> 24);
  }
  junk[0] = 'J';  // neither "#!" nor "\177ELF"
  write_file(dir.fd(), "junk", junk, 0755);
  write_file(dir.fd(), "empty", "", 0755);
  write_file(dir.fd(), "short", "\177EL", 0755);
  const Strings argv{"x", kExit, "0"};
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("junk"), argv, no_env()), ENOEXEC);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("empty"), argv, no_env()), ENOEXEC);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("short"), argv, no_env()), ENOEXEC);
}

TEST(Execve, BadPointersAreEfault) {
  MOAT_COVERS("execve");
  const Strings argv{"x", kExit, "0"};
  auto* bad = reinterpret_cast<char* const*>(8);
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execve, reinterpret_cast<const char*>(8), argv.get(), no_env().get()), EFAULT);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execve, g_self.c_str(), bad, no_env().get()), EFAULT);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execve, g_self.c_str(), argv.get(), bad), EFAULT);
  // A bad string inside argv or envp.
  char* const bad_arg[] = {const_cast<char*>("x"), reinterpret_cast<char*>(8), nullptr};
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execve, g_self.c_str(), bad_arg, no_env().get()), EFAULT);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execve, g_self.c_str(), argv.get(), bad_arg), EFAULT);
}

TEST(Execve, ScriptRunsItsInterpreterWithTheScriptPath) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "script", "#!" + g_self + " " + kDump + "\nnot read\n", 0755);
  const std::string script = dir.path("script");
  const Strings argv{"dropped", "a", "", "b c"};
  const Strings envp{"K=V"};
  const Report r = exec_and_report([&] { do_execve(script, argv, envp); });
  ASSERT_REPORTED(r);
  // The interpreter, its argument, the script as named, then argv[1..].
  EXPECT_EQ(r.argv, strings({g_self, kDump, script, "a", "", "b c"}));
  EXPECT_EQ(r.envp, strings({"K=V"}));
  // AT_EXECFN stays the script's name.
  EXPECT_EQ(r.execfn, script);
}

TEST(Execve, ScriptArgumentIsTheRestOfTheLineAsOneWord) {
  MOAT_COVERS("execve");
  TempDir dir;
  // Blanks after "#!" and at the end of the line are dropped; those inside
  // the argument are kept, and it stays one argument.
  write_file(dir.fd(), "script", "#! \t" + g_self + " \t" + kDump + " with  two\tblanks \t\n",
             0755);
  const Strings argv{"dropped", "a"};
  const Report r = exec_and_report([&] {
    if (chdir(dir.path().c_str()) != 0) {
      _exit(123);
    }
    do_execve("./script", argv, no_env());
  });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({g_self, std::string(kDump) + " with  two\tblanks", "./script", "a"}));
}

TEST(Execve, ScriptWithoutAnArgument) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "script", "#!" + g_self + "\n", 0755);
  const std::string script = dir.path("script");
  const Strings argv{"dropped", "--moat-exec-not-a-mode", "b"};
  const Strings envp{"MOAT_EXEC_HELPER=dump"};
  const Report r = exec_and_report([&] { do_execve(script, argv, envp); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({g_self, script, "--moat-exec-not-a-mode", "b"}));
}

// A script's interpreter may itself be a script.
TEST(Execve, ScriptWhoseInterpreterIsAScript) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "inner", "#!" + g_self + " " + kDump + "\n", 0755);
  write_file(dir.fd(), "outer", "#!" + dir.path("inner") + "\n", 0755);
  const Strings argv{"dropped", "a"};
  const Report r = exec_and_report([&] { do_execve(dir.path("outer"), argv, no_env()); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({g_self, kDump, dir.path("inner"), dir.path("outer"), "a"}));
}

// Linux rewrites the program for at most five nested scripts; the sixth
// level is ELOOP.
TEST(Execve, ScriptsNestFiveDeepThenEloop) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "s1", "#!" + g_self + " " + kDump + "\n", 0755);
  std::vector<std::string> want_argv = {g_self, kDump, dir.path("s1")};
  for (int i = 2; i <= 6; ++i) {
    write_file(dir.fd(), "s" + std::to_string(i),
               "#!" + dir.path("s" + std::to_string(i - 1)) + "\n", 0755);
  }
  for (int i = 2; i <= 5; ++i) {
    want_argv.push_back(dir.path("s" + std::to_string(i)));
  }
  want_argv.push_back("a");
  const Strings argv{"dropped", "a"};
  const Report r = exec_and_report([&] { do_execve(dir.path("s5"), argv, no_env()); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, want_argv);
  EXPECT_EQ(r.execfn, dir.path("s5"));  // AT_EXECFN: the program as named
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("s6"), argv, no_env()), ELOOP);
}

TEST(Execve, ScriptInterpreterErrors) {
  MOAT_COVERS("execve");
  TempDir dir;
  write_file(dir.fd(), "missing", "#!" + dir.path("nowhere") + " " + kDump + "\n", 0755);
  write_file(dir.fd(), "to_dir", "#!" + dir.path() + "\n", 0755);
  write_file(dir.fd(), "not_executable", "#!" + g_self + " " + kDump + "\n", 0644);
  write_file(dir.fd(), "to_plain", "#!" + dir.path("not_executable") + "\n", 0755);
  write_file(dir.fd(), "empty_interpreter", "#!\n", 0755);
  const Strings argv{"x"};
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("missing"), argv, no_env()), ENOENT);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("to_dir"), argv, no_env()), EACCES);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("to_plain"), argv, no_env()), EACCES);
  EXPECT_EXEC_FAILS_WITH(do_execve(dir.path("empty_interpreter"), argv, no_env()), ENOEXEC);
}

TEST(Execveat, EmptyPathRunsTheFileOfTheDescriptor) {
  MOAT_COVERS("execveat");
  const Strings argv{"x", kDump, "y"};
  for (const int flags : {O_PATH, O_PATH | O_CLOEXEC, O_RDONLY | O_CLOEXEC}) {
    const ScopedFd fd(open(g_self.c_str(), flags));
    ASSERT_GE(fd.get(), 0) << strerror(errno);
    const Report r = exec_and_report(
        [&] { syscall(SYS_execveat, fd.get(), "", argv.get(), no_env().get(), AT_EMPTY_PATH); });
    ASSERT_REPORTED(r) << " flags " << flags;
    EXPECT_EQ(r.argv, strings({"x", kDump, "y"}));
    EXPECT_EQ(r.execfn, "/dev/fd/" + std::to_string(fd.get()));
  }
}

TEST(Execveat, RelativeToADirectoryDescriptor) {
  MOAT_COVERS("execveat");
  const ScopedFd dir(open(self_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(dir.get(), 0) << strerror(errno);
  const Strings argv{"x", kDump};
  Report r = exec_and_report([&] {
    syscall(SYS_execveat, dir.get(), self_name().c_str(), argv.get(), no_env().get(), 0);
  });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({"x", kDump}));
  EXPECT_EQ(r.execfn, "/dev/fd/" + std::to_string(dir.get()) + "/" + self_name());
  // An absolute path ignores the descriptor, even a bad one.
  r = exec_and_report(
      [&] { syscall(SYS_execveat, 999, g_self.c_str(), argv.get(), no_env().get(), 0); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.execfn, g_self);
  // AT_FDCWD: relative to the working directory.
  r = exec_and_report([&] {
    if (chdir(self_dir().c_str()) != 0) {
      _exit(123);
    }
    syscall(SYS_execveat, AT_FDCWD, self_name().c_str(), argv.get(), no_env().get(), 0);
  });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.execfn, self_name());
}

TEST(Execveat, FollowsSymlinksUnlessAtSymlinkNofollow) {
  MOAT_COVERS("execveat");
  TempDir dir;
  ASSERT_EQ(symlinkat(g_self.c_str(), dir.fd(), "link"), 0) << strerror(errno);
  const Strings argv{"x", kDump};
  const Report r = exec_and_report(
      [&] { syscall(SYS_execveat, dir.fd(), "link", argv.get(), no_env().get(), 0); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({"x", kDump}));
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, dir.fd(), "link", argv.get(), no_env().get(), AT_SYMLINK_NOFOLLOW),
      ELOOP);
  // Only the last component: a link to the directory on the way is followed.
  ASSERT_EQ(symlinkat(self_dir().c_str(), dir.fd(), "dirlink"), 0) << strerror(errno);
  const std::string through = "dirlink/" + self_name();
  const Strings exit7{"x", kExit, "7"};
  EXPECT_EQ(exit_code_of([&] {
              syscall(SYS_execveat, dir.fd(), through.c_str(), exit7.get(), no_env().get(),
                      AT_SYMLINK_NOFOLLOW);
            }),
            7);
}

TEST(Execveat, Errors) {
  MOAT_COVERS("execveat");
  TempDir dir;
  write_file(dir.fd(), "file", "x", 0644);
  const ScopedFd file(open(dir.path("file").c_str(), O_RDONLY | O_CLOEXEC));
  const ScopedFd self(open(g_self.c_str(), O_PATH | O_CLOEXEC));
  const Strings argv{"x", kExit, "0"};
  const char* name = "name";
  // Flags other than AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW.
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, AT_FDCWD, g_self.c_str(), argv.get(), no_env().get(), 1), EINVAL);
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, AT_FDCWD, g_self.c_str(), argv.get(), no_env().get(), AT_REMOVEDIR),
      EINVAL);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, self.get(), "", argv.get(), no_env().get(),
                                 AT_EMPTY_PATH | AT_SYMLINK_FOLLOW),
                         EINVAL);
  // An empty path needs AT_EMPTY_PATH.
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, self.get(), "", argv.get(), no_env().get(), 0),
                         ENOENT);
  // A relative name needs a directory.
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, file.get(), name, argv.get(), no_env().get(), 0),
                         ENOTDIR);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, 999, name, argv.get(), no_env().get(), 0), EBADF);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, 999, "", argv.get(), no_env().get(), AT_EMPTY_PATH),
                         EBADF);
  EXPECT_EXEC_FAILS_WITH(syscall(SYS_execveat, dir.fd(), name, argv.get(), no_env().get(), 0),
                         ENOENT);
  // The file of the descriptor must be executable.
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, file.get(), "", argv.get(), no_env().get(), AT_EMPTY_PATH), EACCES);
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, dir.fd(), "", argv.get(), no_env().get(), AT_EMPTY_PATH), EACCES);
}

// A script run through a descriptor is handed to its interpreter as
// /dev/fd/N, which a close-on-exec descriptor would no longer name.
TEST(Execveat, ScriptThroughADescriptor) {
  MOAT_COVERS("execveat");
  TempDir dir;
  write_file(dir.fd(), "script", "#!" + g_self + " " + kDump + "\n", 0755);
  const Strings argv{"dropped", "a"};
  const ScopedFd kept(open(dir.path("script").c_str(), O_RDONLY));
  ASSERT_GE(kept.get(), 0) << strerror(errno);
  const Report r = exec_and_report(
      [&] { syscall(SYS_execveat, kept.get(), "", argv.get(), no_env().get(), AT_EMPTY_PATH); });
  ASSERT_REPORTED(r);
  EXPECT_EQ(r.argv, strings({g_self, kDump, "/dev/fd/" + std::to_string(kept.get()), "a"}));
  const ScopedFd cloexec(open(dir.path("script").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_GE(cloexec.get(), 0) << strerror(errno);
  EXPECT_EXEC_FAILS_WITH(
      syscall(SYS_execveat, cloexec.get(), "", argv.get(), no_env().get(), AT_EMPTY_PATH), ENOENT);
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  if (argc >= 2 && strncmp(argv[1], kHelperPrefix, sizeof kHelperPrefix - 1) == 0) {
    return run_helper(argv[1], argc, argv, envp);
  }
  const char* helper = getenv("MOAT_EXEC_HELPER");
  if (helper != nullptr && strcmp(helper, "dump") == 0) {
    return helper_dump(argc, argv, envp);
  }
  g_self = self_path();
  if (g_self.empty()) {
    fprintf(stderr, "readlink /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
