// Golden tests of trace mode: each trace_* program (integration/programs) is
// run natively under Debian's `strace -f -o FILE` and under
// `moat trace -f -o FILE`, with the same stdin, environment and options. The
// two traces, normalised by trace_normalise.h (which masks only what must
// differ between two runs: pids, addresses, clocks, random bytes, the host
// name), must match line for line; so must the program's stdout, stderr and
// exit status. Each case also names lines its trace must contain, so that it
// cannot pass on two empty or truncated traces.
//
// On x86-64 "natively" means on the host. The arm64 build runs inside the
// arm64 test VM (integration/arm64vm), where the VM's kernel is the native
// reference and strace is Debian's arm64 strace that setup.sh puts there.
//
// The moat binary, the programs and strace are MOAT_BINARY, PROGRAMS_DIR and
// STRACE_BINARY, unless the environment variables MOAT_BINARY,
// MOAT_PROGRAMS_DIR or MOAT_STRACE name others.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "integration/trace_normalise.h"

namespace moat::integration {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kTimeout = 20s;

// What every program gets on stdin (a pipe filled before it starts, so that
// each read returns the same count in both runs) and as its environment.
const std::string kStdin = "line one\nline two\nthe rest of stdin\n";
const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"};

const std::vector<std::string> kVariants = {"glibc", "glibc-pie", "musl"};

std::string from_env(const char* name, const char* fallback) {
  const char* value = getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string moat_binary() {
  return from_env("MOAT_BINARY", MOAT_BINARY);
}
std::string programs_dir() {
  return from_env("MOAT_PROGRAMS_DIR", PROGRAMS_DIR);
}
std::string strace_binary() {
  return from_env("MOAT_STRACE", STRACE_BINARY);
}

// One traced run: the tracer's exit status and the files it left.
struct Outcome {
  int exit_code = -1;  // the exit status, or 128 + N when killed by signal N
  bool timed_out = false;
  std::string out;
  std::string err;
  std::string trace;
};

// (Through rdbuf, not istreambuf_iterator: with the latter, the arm64 cross
// gcc 12 reports a false -Wnull-dereference inside libstdc++ at -O2.)
std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string excerpt(const std::string& s, size_t limit = 2000) {
  if (s.size() <= limit) {
    return s;
  }
  return s.substr(0, limit) + "... (" + std::to_string(s.size()) + " bytes)";
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "\n  exit_code: " << o.exit_code << (o.timed_out ? " (timed out)" : "");
  return os << "\n  stdout: \"" << excerpt(o.out) << "\"\n  stderr: \"" << excerpt(o.err) << "\"";
}

// Runs argv (argv[0] a path) in `dir` with kEnv, kStdin on a pipe, and
// stdout and stderr into files; `trace_path` is what the tracer writes.
Outcome run_traced(const std::vector<std::string>& argv, const fs::path& dir,
                   const fs::path& trace_path) {
  Outcome outcome;
  const fs::path out_path = dir / "stdout";
  const fs::path err_path = dir / "stderr";

  int in_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return outcome;
  }
  // The pipe holds all of stdin before the program starts (kStdin is far
  // below a pipe's capacity), and its end of file follows.
  if (write(in_pipe[1], kStdin.data(), kStdin.size()) != static_cast<ssize_t>(kStdin.size())) {
    ADD_FAILURE() << "filling stdin: " << strerror(errno);
  }
  close(in_pipe[1]);
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    ADD_FAILURE() << "creating output files in " << dir << ": " << strerror(errno);
    return outcome;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t default_signals, mask;
  sigfillset(&default_signals);
  sigemptyset(&mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> c_argv;
  for (const auto& a : argv) {
    c_argv.push_back(const_cast<char*>(a.c_str()));
  }
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (const auto& e : kEnv) {
    c_env.push_back(const_cast<char*>(e.c_str()));
  }
  c_env.push_back(nullptr);

  pid_t pid = -1;
  const int spawn_error =
      posix_spawn(&pid, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_fd);
  close(err_fd);
  if (spawn_error != 0) {
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << strerror(spawn_error);
    return outcome;
  }

  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      break;
    }
    if (w < 0 && errno != EINTR) {
      ADD_FAILURE() << "waitpid: " << strerror(errno);
      return outcome;
    }
    if (std::chrono::steady_clock::now() > deadline && !outcome.timed_out) {
      outcome.timed_out = true;
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(2ms);
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.exit_code = 128 + WTERMSIG(status);
  }
  if (outcome.timed_out) {
    ADD_FAILURE() << argv[0] << " did not finish within " << kTimeout.count() << " s";
  }
  outcome.out = read_file(out_path);
  outcome.err = read_file(err_path);
  outcome.trace = read_file(trace_path);
  return outcome;
}

// moat's stderr without the line `moat run` adds, as documented, when a
// signal killed the program ("moat: program killed by SIGSEGV at 0x0"):
// that is moat's report, not the program's output, and strace has none.
std::string without_kill_report(const std::string& err) {
  static const std::regex kKillReport(
      "(^|\n)moat: program killed by SIG[A-Z0-9]+ at 0x[0-9a-f]+\n$");
  return std::regex_replace(err, kKillReport, "$1");
}

// A line-by-line diff of `native` and `moat` (longest common subsequence),
// with `-` for native-only and `+` for moat-only lines and up to two lines
// of context around each difference.
std::string line_diff(const std::vector<std::string>& native,
                      const std::vector<std::string>& moat) {
  const size_t n = native.size();
  const size_t m = moat.size();
  std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] =
          native[i] == moat[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Row {
    char tag;
    const std::string* text;
  };
  std::vector<Row> rows;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && native[i] == moat[j]) {
      rows.push_back({' ', &native[i++]});
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      rows.push_back({'+', &moat[j++]});
    } else {
      rows.push_back({'-', &native[i++]});
    }
  }
  std::ostringstream out;
  out << "--- native strace\n+++ moat trace\n";
  constexpr size_t kContext = 2;
  size_t last_printed = 0;
  bool printed_any = false;
  for (size_t k = 0; k < rows.size(); ++k) {
    const bool near_change = std::any_of(
        rows.begin() + static_cast<std::ptrdiff_t>(k > kContext ? k - kContext : 0),
        rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), k + kContext + 1)),
        [](const Row& r) { return r.tag != ' '; });
    if (!near_change) {
      continue;
    }
    if (printed_any && k > last_printed + 1) {
      out << "  ...\n";
    }
    out << rows[k].tag << ' ' << *rows[k].text << '\n';
    last_printed = k;
    printed_any = true;
  }
  return out.str();
}

struct GoldenCase {
  std::string name;  // the test's name, before the variant
  std::string program;
  std::vector<std::string> trace_options;  // besides -f -o FILE
  NormaliseOptions normalise;
  size_t string_limit = 32;  // strace's -s, when trace_options change it
  bool shows_execve = true;  // false when trace_options filter execve out
  int exit_code = 0;
  std::optional<std::string> stdout_text;  // when given, the program's exact stdout
  std::string stderr_text;
  // Normalised lines (without the `<pid> `/`<ts> ` leader) the trace must
  // contain, and lines it must not.
  std::vector<std::string> present;
  std::vector<std::string> absent;
};

void PrintTo(const GoldenCase& c, std::ostream* os) {
  *os << c.name;
}

const std::string kFilesOut = "line one\nreadv: line two\nthe rest of stdin\n";

// The cases: each program with strace's defaults, and a few of strace's
// options (timestamps and durations, -s, -z, -Z, -e trace=).
std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  auto add = [&](std::string name, std::string program) -> GoldenCase& {
    GoldenCase& c = cases.emplace_back();
    c.name = std::move(name);
    c.program = std::move(program);
    return c;
  };

  GoldenCase& files = add("files", "trace_files");
  files.stdout_text = kFilesOut;
  files.present = {
      R"(read(0, "line one\n", 9) = 9)",
      R"(readv(0, [{iov_base="line ", iov_len=5}, {iov_base="two\n", iov_len=4}], 2) = 9)",
      R"(ioctl(0, TCGETS, <addr>) = -1 ENOTTY (Inappropriate ioctl for device))",
      R"(write(99, "x", 1) = -1 EBADF (Bad file descriptor))",
      R"(read(99, <addr>, 16) = -1 EBADF (Bad file descriptor))",
      R"(write(1, 0x8, 4) = -1 EFAULT (Bad address))",
      R"(read(0, 0x8, 4) = -1 EFAULT (Bad address))",
      R"(read(0, "the rest of stdin\n", 64) = 18)",
      R"(read(0, "", 64) = 0)",
      "+++ exited with 0 +++"};

  GoldenCase& memory = add("memory", "trace_memory");
  memory.stdout_text = "memory ok\n";
  memory.present = {
      "mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = <addr>",
      "mprotect(<addr>, 12288, PROT_READ) = -1 ENOMEM (Cannot allocate memory)",
      "mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EINVAL (Invalid argument)",
      "munmap(0x1001, 4096) = -1 EINVAL (Invalid argument)",
      "brk(NULL) = <addr>",
      "+++ exited with 0 +++"};

  GoldenCase& signal = add("signal", "trace_signal");
  signal.exit_code = 128 + SIGSEGV;
  signal.stdout_text = "about to fault\n";
  signal.present = {R"(write(1, "about to fault\n", 15) = 15)",
                    "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
                    "+++ killed by SIGSEGV +++"};

  GoldenCase& handlers = add("handlers", "trace_handlers");
  handlers.stdout_text = "handled\nrecovered\n";
  handlers.present = {"sigaltstack({ss_sp=<addr>, ss_flags=0, ss_size=65536}, NULL) = 0",
                      "sigaltstack(NULL, {ss_sp=<addr>, ss_flags=0, ss_size=65536}) = 0",
                      "rt_sigprocmask(SIG_BLOCK, [USR1], NULL, 8) = 0",
                      "rt_sigpending([USR1], 8) = 0",
                      "kill(<pid>, SIGUSR1) = 0",
                      R"(write(1, "handled\n", 8) = 8)",
                      "rt_sigreturn({mask=[]}) = 0",
                      "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x8} ---",
                      R"(write(1, "recovered\n", 10) = 10)",
                      "+++ exited with 0 +++"};

  GoldenCase& exit = add("exit", "trace_exit");
  exit.exit_code = 3;
  exit.stdout_text = "exiting with 3\n";
  exit.stderr_text = "an error\n";
  exit.present = {R"(write(2, "an error\n", 9) = 9)", "exit_group(3) = ?", "+++ exited with 3 +++"};

  GoldenCase& timed = add("exit_timed", "trace_exit");
  timed.trace_options = {"-tt", "-T"};
  timed.normalise = {.pid_prefix = true, .timestamps = true, .durations = true};
  timed.exit_code = 3;
  timed.stdout_text = "exiting with 3\n";
  timed.stderr_text = "an error\n";
  timed.present = {R"(write(2, "an error\n", 9) = 9 <dur>)", "exit_group(3) = ?",
                   "+++ exited with 3 +++"};

  GoldenCase& binary = add("binary", "trace_binary");
  binary.present = {
      R"(write(1, "\0\1\2\3\4\5\6\7\10\t\n\v\f\r\16\17\20\21\22\23\24\25\26\27\30\31\32\33\34\35\36\37"..., 256) = 256)",
      R"(write(1, "\200\201\202\203\204\205\206\207\210\211\212\213\214\215\216\217\220\221\222\223\224\225\226\227\230\231\232\233\234\235\236\237", 32) = 32)",
      R"(write(1, "\0001\0012\0a\3779\1779\0", 11) = 11)",
      R"(write(1, "exactly thirty-two bytes long!!\n", 32) = 32)",
      R"(write(1, "thirty-three bytes long, just so"..., 33) = 33)",
      R"(write(1, "abcdefghijklmnopqrstuvwxyzabcdef"..., 8192) = 8192)",
      R"(write(1, "", 0) = 0)"};

  GoldenCase& binary_s300 = add("binary_s300", "trace_binary");
  binary_s300.trace_options = {"-s", "300"};
  binary_s300.string_limit = 300;
  binary_s300.present = {
      R"(write(1, "thirty-three bytes long, just so\n", 33) = 33)",
      R"(write(1, "tab\there\nquote\" backslash\\ cr\r vt\v ff\f bell\7 esc\33", 49) = 49)"};

  GoldenCase& misc = add("misc", "trace_misc");
  misc.stdout_text = "misc ok\n";
  misc.present = {
      R"(uname({sysname="Linux", nodename="<host>", ...}) = 0)",
      R"(getrandom("<random>", 16, 0) = 16)",
      "getrandom(0x8, 4, 0) = -1 EFAULT (Bad address)",
      "clock_gettime(CLOCK_MONOTONIC, {tv_sec=<time>, tv_nsec=<time>}) = 0",
      "clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0",
      "clock_gettime(0x3e8 /* CLOCK_??? */, <addr>) = -1 EINVAL (Invalid argument)",
      "getpid() = <pid>",
      "getppid() = <pid>",
      "getrlimit(0x3e8 /* RLIMIT_??? */, <addr>) = -1 EINVAL (Invalid argument)",
      R"(readlinkat(AT_FDCWD, "/proc/self/exe", "/", 4) = 4)",
      "sched_yield() = 0",
      "syscall_0x3e8(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)"};
#ifdef SYS_time
  // trace_misc calls time(2) only where the architecture has it (arm64 has
  // not).
  misc.present.push_back("time([<time>]) = <time>");
#endif

  GoldenCase& failed = add("files_failed_only", "trace_files");
  failed.trace_options = {"-Z"};
  failed.shows_execve = false;
  failed.stdout_text = kFilesOut;
  failed.present = {R"(write(99, "x", 1) = -1 EBADF (Bad file descriptor))",
                    R"(read(0, 0x8, 4) = -1 EFAULT (Bad address))", "+++ exited with 0 +++"};
  failed.absent = {R"(read(0, "line one\n", 9) = 9)"};

  GoldenCase& successful = add("files_successful_only", "trace_files");
  successful.trace_options = {"-z"};
  successful.stdout_text = kFilesOut;
  successful.present = {R"(read(0, "line one\n", 9) = 9)", "+++ exited with 0 +++"};
  successful.absent = {R"(write(99, "x", 1) = -1 EBADF (Bad file descriptor))"};

  GoldenCase& filtered = add("files_read_write", "trace_files");
  filtered.trace_options = {"-e", "trace=read,write"};
  filtered.shows_execve = false;
  filtered.stdout_text = kFilesOut;
  filtered.present = {R"(read(0, "line one\n", 9) = 9)",
                      R"(write(99, "x", 1) = -1 EBADF (Bad file descriptor))",
                      "+++ exited with 0 +++"};
  filtered.absent = {
      R"(readv(0, [{iov_base="line ", iov_len=5}, {iov_base="two\n", iov_len=4}], 2) = 9)"};
  return cases;
}

// An expected line with readlinkat's `"/proc/self/exe", "/", 4` stands for
// the first 4 bytes of the program's (absolute) path; this puts them in.
std::string expand(const std::string& line, const std::string& program) {
  const std::string marker = R"("/proc/self/exe", "/", 4)";
  if (line.find(marker) == std::string::npos) {
    return line;
  }
  std::string out = line;
  out.replace(out.find(marker), marker.size(),
              R"("/proc/self/exe", ")" + program.substr(0, 4) + R"(", 4)");
  return out;
}

class TraceGoldenTest : public testing::TestWithParam<std::tuple<GoldenCase, std::string>> {
 protected:
  static void SetUpTestSuite() {
    // No core dumps, or Linux's strace would print "(core dumped)".
    rlimit core{};
    getrlimit(RLIMIT_CORE, &core);
    core.rlim_cur = 0;
    setrlimit(RLIMIT_CORE, &core);
  }

  void SetUp() override {
    ASSERT_EQ(access("/dev/kvm", R_OK | W_OK), 0) << "/dev/kvm is not usable: " << strerror(errno);
    ASSERT_EQ(access(moat_binary().c_str(), X_OK), 0)
        << "moat binary " << moat_binary() << ": " << strerror(errno);
    ASSERT_EQ(access(strace_binary().c_str(), X_OK), 0)
        << strace_binary() << ": " << strerror(errno) << " (install Debian's strace)";
    std::string dir_template = testing::TempDir() + "moat-trace-golden-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << strerror(errno);
    m_dir = dir_template;
    fs::create_directory(m_dir / "native");
    fs::create_directory(m_dir / "moat");
  }

  void TearDown() override {
    if (!m_dir.empty() && !HasFailure()) {
      fs::remove_all(m_dir);
    }
  }

  const GoldenCase& golden() const { return std::get<0>(GetParam()); }
  std::string program() const {
    return fs::absolute(programs_dir() + "/" + golden().program + "." + std::get<1>(GetParam()))
        .lexically_normal();
  }

  // Lines of `trace` prefixed as normalised.
  std::string leader() const {
    return std::string("<pid> ") + (golden().normalise.timestamps ? "<ts> " : "");
  }

  fs::path m_dir;
};

std::string lines_text(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line + "\n";
  }
  return out;
}

TEST_P(TraceGoldenTest, MatchesStrace) {
  const GoldenCase& c = golden();
  const std::string prog = program();
  ASSERT_EQ(access(prog.c_str(), X_OK), 0) << prog << ": " << strerror(errno);

  const fs::path native_trace = m_dir / "native" / "trace.txt";
  std::vector<std::string> native_argv = {strace_binary(), "-f", "-o", native_trace};
  native_argv.insert(native_argv.end(), c.trace_options.begin(), c.trace_options.end());
  native_argv.push_back(prog);

  const fs::path moat_trace = m_dir / "moat" / "trace.txt";
  std::vector<std::string> moat_argv = {moat_binary(), "trace", "--clear-env", "--log-level",
                                        "error"};
  for (const auto& e : kEnv) {
    moat_argv.insert(moat_argv.end(), {"--env", e});
  }
  moat_argv.insert(moat_argv.end(), {"-f", "-o", moat_trace});
  moat_argv.insert(moat_argv.end(), c.trace_options.begin(), c.trace_options.end());
  moat_argv.insert(moat_argv.end(), {"--", prog});

  const Outcome native = run_traced(native_argv, m_dir / "native", native_trace);
  const Outcome moat = run_traced(moat_argv, m_dir / "moat", moat_trace);

  // The program behaved as intended natively, and the same in moat.
  EXPECT_EQ(native.exit_code, c.exit_code) << "native:" << native;
  EXPECT_EQ(moat.exit_code, native.exit_code) << "moat:" << moat << "\nnative:" << native;
  if (c.stdout_text) {
    EXPECT_EQ(native.out, *c.stdout_text) << "native:" << native;
  }
  EXPECT_TRUE(moat.out == native.out) << "stdout differs\nmoat:" << moat << "\nnative:" << native;
  EXPECT_EQ(native.err, c.stderr_text) << "native:" << native;
  EXPECT_EQ(without_kill_report(moat.err), native.err) << "moat:" << moat;

  const auto native_lines = normalise_trace(native.trace, c.normalise);
  const auto moat_lines = normalise_trace(moat.trace, c.normalise);

  // Not vacuous: the native trace starts with the program's execve (unless
  // the options filter it out) and has every expected line; the normaliser's
  // alignment rule holds for strace's own lines.
  ASSERT_FALSE(native_lines.empty()) << "empty native trace";
  if (c.shows_execve) {
    // strace shows the path in full and argv[0] cut at -s bytes.
    const std::string argv0 =
        prog.size() > c.string_limit ? prog.substr(0, c.string_limit) + "\"..." : prog + "\"";
    const std::string execve_line = leader() + "execve(\"" + prog + "\", [\"" + argv0 +
                                    "], <addr> /* " + std::to_string(kEnv.size()) +
                                    " vars */) = 0" + (c.normalise.durations ? " <dur>" : "");
    EXPECT_EQ(native_lines.front(), execve_line);
  }
  for (const auto& line : native_lines) {
    EXPECT_EQ(line.find("<misaligned"), std::string::npos) << "strace's own line: " << line;
  }
  const std::pair<const std::vector<std::string>*, const char*> sides[] = {
      {&native_lines, "native"}, {&moat_lines, "moat"}};
  for (const auto& [lines, who] : sides) {
    auto has = [&](const std::string& line) {
      return std::find(lines->begin(), lines->end(), line) != lines->end();
    };
    for (const auto& expected : c.present) {
      const std::string line = leader() + expand(expected, prog);
      EXPECT_TRUE(has(line)) << who << " trace lacks the line\n  " << line << "\nin\n"
                             << lines_text(*lines);
    }
    for (const auto& unexpected : c.absent) {
      const std::string line = leader() + unexpected;
      EXPECT_FALSE(has(line)) << who << " trace has the line\n  " << line;
    }
  }

  EXPECT_TRUE(native_lines == moat_lines)
      << "normalised traces differ (traces kept in " << m_dir << ")\n"
      << line_diff(native_lines, moat_lines);
}

std::string golden_name(const testing::TestParamInfo<TraceGoldenTest::ParamType>& info) {
  std::string name = std::get<0>(info.param).name + "_";
  for (char c : std::get<1>(info.param)) {
    name += c == '-' ? '_' : c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(All, TraceGoldenTest,
                         testing::Combine(testing::ValuesIn(golden_cases()),
                                          testing::ValuesIn(kVariants)),
                         golden_name);

}  // namespace
}  // namespace moat::integration
