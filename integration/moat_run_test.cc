// End-to-end tests of `moat run`: each test runs the built moat binary on a
// small static guest program (integration/programs/*.c) and checks its exit
// status, stdout and stderr.
//
// Programs that behave normally are also run natively with the same
// expectations, so that a wrong test shows up as a failure of the native run.
// The moat binary is the one built by this tree (MOAT_BINARY), unless the
// MOAT_BINARY environment variable names another one.

#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

extern char** environ;

namespace moat::integration {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kTimeout = 20s;

// The outcome of one child process.
struct RunResult {
  int exit_code = -1;  // The exit status, or 128 + N when killed by signal N.
  bool signaled = false;
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

std::string excerpt(const std::string& s, size_t limit = 2000) {
  if (s.size() <= limit) {
    return s;
  }
  return s.substr(0, limit) + "... (" + std::to_string(s.size()) + " bytes)";
}

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  os << "\n  exit_code: " << r.exit_code;
  if (r.signaled) {
    os << " (killed by signal " << r.signal << ": " << strsignal(r.signal) << ")";
  }
  if (r.timed_out) {
    os << " (timed out)";
  }
  return os << "\n  stdout: \"" << excerpt(r.out) << "\"\n  stderr: \"" << excerpt(r.err) << "\"";
}

struct RunOptions {
  std::string stdin_data;
  std::chrono::seconds timeout = kTimeout;
  // The child's environment; nullopt passes this process's environment.
  std::optional<std::vector<std::string>> env;
};

RunOptions with_env(std::vector<std::string> env) {
  RunOptions options;
  options.env = std::move(env);
  return options;
}

RunOptions with_stdin(std::string data) {
  RunOptions options;
  options.stdin_data = std::move(data);
  return options;
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Runs argv[0] (a path, not searched in PATH) with the given arguments,
// environment and stdin, capturing stdout and stderr. The child is killed with
// SIGKILL once options.timeout has passed; that is recorded as a test failure.
RunResult run_command(const std::vector<std::string>& argv, const RunOptions& options = {}) {
  RunResult result;

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return result;
  }

  // dup2 onto 0, 1 and 2 clears O_CLOEXEC there; every other pipe end closes
  // on exec.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);

  // This process ignores SIGPIPE (see below); the child must not inherit that.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t default_signals, mask;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
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
  char** envp = environ;
  if (options.env) {
    for (const auto& e : *options.env) {
      c_env.push_back(const_cast<char*>(e.c_str()));
    }
    c_env.push_back(nullptr);
    envp = c_env.data();
  }

  pid_t pid = -1;
  int spawn_error = posix_spawn(&pid, c_argv[0], &actions, &attr, c_argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawn_error != 0) {
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << strerror(spawn_error);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return result;
  }

  // A child that exits without reading all of its stdin makes our write fail
  // with EPIPE instead of killing the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);

  int in_fd = in_pipe[1], out_fd = out_pipe[0], err_fd = err_pipe[0];
  set_nonblocking(in_fd);
  set_nonblocking(out_fd);
  set_nonblocking(err_fd);
  size_t in_pos = 0;
  if (options.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return std::max<long>(0, static_cast<long>(left.count()));
  };

  // Poll all three pipes together so that neither side blocks the other.
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    long wait_ms = remaining_ms();
    if (wait_ms == 0) {
      result.timed_out = true;
      break;
    }
    int n = poll(fds, 3, static_cast<int>(std::min<long>(wait_ms, 1000)));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      ADD_FAILURE() << "poll: " << strerror(errno);
      break;
    }
    if (in_fd >= 0 && fds[0].revents != 0) {
      ssize_t w =
          write(in_fd, options.stdin_data.data() + in_pos, options.stdin_data.size() - in_pos);
      if (w > 0) {
        in_pos += static_cast<size_t>(w);
      }
      if (in_pos == options.stdin_data.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) {
        close(in_fd);
        in_fd = -1;
      }
    }
    auto drain = [](int& fd, short revents, std::string& sink) {
      if (fd < 0 || revents == 0) {
        return;
      }
      char buf[65536];
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(fd);
        fd = -1;
      }
    };
    drain(out_fd, fds[1].revents, result.out);
    drain(err_fd, fds[2].revents, result.err);
    // Once the child has closed its output, stdin nobody reads would block
    // the loop forever: stop feeding it.
    if (out_fd < 0 && err_fd < 0 && in_fd >= 0) {
      close(in_fd);
      in_fd = -1;
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) {
      close(fd);
    }
  }

  // The pipes are closed; wait for the exit, still bounded by the deadline.
  if (result.timed_out) {
    kill(pid, SIGKILL);
  }
  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (w == pid) {
      break;
    }
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      ADD_FAILURE() << "waitpid: " << strerror(errno);
      return result;
    }
    if (remaining_ms() == 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
    } else {
      std::this_thread::sleep_for(2ms);
    }
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  }
  if (result.timed_out) {
    ADD_FAILURE() << argv[0] << " did not finish within " << options.timeout.count() << " s";
  }
  return result;
}

std::string moat_binary() {
  const char* env = getenv("MOAT_BINARY");
  return env != nullptr && *env != '\0' ? env : MOAT_BINARY;
}

// Where the guest programs are: PROGRAMS_DIR, unless MOAT_PROGRAMS_DIR names
// another folder (the arm64 test VM sees the tree at another path).
std::string programs_dir() {
  const char* env = getenv("MOAT_PROGRAMS_DIR");
  return env != nullptr && *env != '\0' ? env : PROGRAMS_DIR;
}

std::string program_path(std::string_view name, std::string_view variant) {
  return programs_dir() + "/" + std::string(name) + "." + std::string(variant);
}

// Fails the test when moat cannot run here: these tests are labelled `kvm`
// and only run where /dev/kvm is usable, so its absence is an error, never a
// silent skip.
void check_moat_usable() {
  ASSERT_EQ(access("/dev/kvm", R_OK | W_OK), 0) << "/dev/kvm is not usable: " << strerror(errno);
  ASSERT_EQ(access(moat_binary().c_str(), X_OK), 0)
      << "moat binary " << moat_binary() << ": " << strerror(errno);
}

// `moat run -- PROGRAM ARGS...`.
RunResult run_in_moat(const std::string& program, const std::vector<std::string>& args = {},
                      const RunOptions& options = {}) {
  std::vector<std::string> argv = {moat_binary(), "run", "--", program};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// stderr must be exactly one line "moat: ...\n" that contains at least one of
// the key words (compared without regard to case).
testing::AssertionResult is_moat_error_line(const std::string& err,
                                            const std::vector<std::string_view>& key_words) {
  if (!err.starts_with("moat: ")) {
    return testing::AssertionFailure()
           << "stderr does not start with \"moat: \": \"" << err << "\"";
  }
  if (!err.ends_with("\n") || std::count(err.begin(), err.end(), '\n') != 1) {
    return testing::AssertionFailure() << "stderr is not exactly one line: \"" << err << "\"";
  }
  std::string lower = to_lower(err);
  for (std::string_view word : key_words) {
    if (lower.find(to_lower(std::string(word))) != std::string::npos) {
      return testing::AssertionSuccess();
    }
  }
  std::string words;
  for (std::string_view word : key_words) {
    words += " \"" + std::string(word) + "\"";
  }
  return testing::AssertionFailure() << "stderr \"" << err << "\" contains none of" << words;
}

// How a guest program is run: directly on the host or inside moat.
enum class Runner { kNative, kMoat };

const std::vector<std::string> kVariants = {"glibc", "glibc-pie", "musl"};

void PrintTo(Runner runner, std::ostream* os) {
  *os << (runner == Runner::kMoat ? "moat" : "native");
}

std::string param_name(Runner runner, std::string_view variant) {
  std::string name = runner == Runner::kMoat ? "moat_" : "native_";
  for (char c : variant) {
    name += c == '-' ? '_' : c;
  }
  return name;
}

// Base fixture for the well-behaved programs, parameterized over the runner
// and the libc variant.
class ProgramTest : public testing::TestWithParam<std::tuple<Runner, std::string>> {
 protected:
  void SetUp() override {
    if (runner() == Runner::kMoat) {
      check_moat_usable();
    }
  }

  Runner runner() const { return std::get<0>(GetParam()); }
  const std::string& variant() const { return std::get<1>(GetParam()); }
  std::string program(std::string_view name) const { return program_path(name, variant()); }

  RunResult run(std::string_view name, const std::vector<std::string>& args = {},
                const RunOptions& options = {}) const {
    if (runner() == Runner::kMoat) {
      return run_in_moat(program(name), args, options);
    }
    std::vector<std::string> argv = {program(name)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, options);
  }
};

std::string program_test_name(const testing::TestParamInfo<ProgramTest::ParamType>& info) {
  return param_name(std::get<0>(info.param), std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(All, ProgramTest,
                         testing::Combine(testing::Values(Runner::kNative, Runner::kMoat),
                                          testing::ValuesIn(kVariants)),
                         program_test_name);

TEST_P(ProgramTest, HelloPrintsGreeting) {
  RunResult r = run("hello");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(r.signaled) << r;
  EXPECT_EQ(r.out, "hello, world\n") << r;
  EXPECT_EQ(r.err, "") << r;
}

TEST_P(ProgramTest, ExitCodeDefaultsTo42) {
  RunResult r = run("exit_code");
  EXPECT_EQ(r.exit_code, 42) << r;
  EXPECT_FALSE(r.signaled) << r;
}

TEST_P(ProgramTest, ExitCodesPassThrough) {
  for (int code : {42, 0, 255, 7, 1, 128}) {
    SCOPED_TRACE("exit code " + std::to_string(code));
    RunResult r = run("exit_code", {std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r;
    EXPECT_FALSE(r.signaled) << r;
  }
}

// Compares a program's output with the expected text; on a mismatch it shows
// the first differing line, not both texts in full (they can be 100 KiB).
testing::AssertionResult same_output(const std::string& actual, const std::string& expected) {
  if (actual == expected) {
    return testing::AssertionSuccess();
  }
  size_t diff = 0;
  while (diff < actual.size() && diff < expected.size() && actual[diff] == expected[diff]) {
    diff++;
  }
  size_t line_start = diff == 0 ? 0 : actual.rfind('\n', diff - 1) + 1;
  auto line_at = [&](const std::string& text) {
    return excerpt(text.substr(line_start, text.find('\n', line_start) - line_start), 300);
  };
  return testing::AssertionFailure()
         << "output differs at byte " << diff << " (" << actual.size() << " bytes, expected "
         << expected.size() << ")\n  line:     \"" << line_at(actual) << "\"\n  expected: \""
         << line_at(expected) << "\"";
}

std::string args_env_output(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env) {
  std::string expected = "argc=" + std::to_string(argv.size()) + "\n";
  for (size_t i = 0; i < argv.size(); i++) {
    expected += "argv[" + std::to_string(i) + "]=" + argv[i] + "\n";
  }
  for (const auto& e : env) {
    expected += "env=" + e + "\n";
  }
  return expected;
}

TEST_P(ProgramTest, ArgumentsArriveIntact) {
  std::string long_arg(100 * 1024, 'x');
  for (size_t i = 0; i < long_arg.size(); i += 97) {
    long_arg[i] = static_cast<char>('a' + i % 26);
  }
  const std::vector<std::string> args = {
      "plain",  "",    "with spaces  and\ttab", "héllo wörld ✓ 日本語", "-x", "--flag", "--",
      long_arg, "last"};
  const std::vector<std::string> env = {"FOO=bar"};
  RunResult r = run("args_env", args, with_env(env));
  std::vector<std::string> argv = {program("args_env")};
  argv.insert(argv.end(), args.begin(), args.end());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(same_output(r.out, args_env_output(argv, env))) << r;
}

TEST_P(ProgramTest, EnvironmentIsPassedExactly) {
  const std::vector<std::string> env = {"FOO=bar", "EMPTY=", "PATH=/usr/bin:/bin"};
  RunResult r = run("args_env", {}, with_env(env));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(same_output(r.out, args_env_output({program("args_env")}, env))) << r;
}

TEST_P(ProgramTest, EmptyEnvironment) {
  RunResult r = run("args_env", {"a"}, with_env({}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(same_output(r.out, args_env_output({program("args_env"), "a"}, {}))) << r;
}

TEST_P(ProgramTest, CatCopiesOneMebibyteOfStdin) {
  std::string data(1 << 20, '\0');
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : data) {
    c = static_cast<char>(byte(rng));
  }
  RunResult r = run("cat_stdin", {}, with_stdin(data));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data) << "stdout differs from stdin";
}

TEST_P(ProgramTest, CatWithEmptyStdin) {
  RunResult r = run("cat_stdin");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "") << r;
}

TEST_P(ProgramTest, NullDereferenceIsSigsegv) {
  RunResult r = run("null_deref");
  EXPECT_EQ(r.exit_code, 128 + SIGSEGV) << r;
  EXPECT_EQ(r.out, "") << r;
  if (runner() == Runner::kMoat) {
    // moat itself exits with 139; it is not killed.
    EXPECT_FALSE(r.signaled) << r;
    EXPECT_EQ(r.err, "moat: program killed by SIGSEGV at 0x0\n") << r;
  } else {
    EXPECT_TRUE(r.signaled) << r;
  }
}

TEST_P(ProgramTest, ThreadsJoinWithTheirResults) {
  RunResult r = run("threads", {"join", "8"});
  EXPECT_EQ(r.exit_code, 0) << r;
  // Shares 1..8, 1000 times each; each thread returns twice its share; the
  // watcher saw all 8000 additions through the condition variable.
  EXPECT_EQ(r.out, "sum 36000 returned 72 watched 8000\n") << r;
}

TEST_P(ProgramTest, ThreadExitEndsEveryThread) {
  // The others sleep in a condition variable, in nanosleep and in a loop.
  RunResult r = run("threads", {"exit_code"});
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_FALSE(r.signaled) << r;
}

TEST_P(ProgramTest, ProcessLivesOnAfterMainThreadExits) {
  RunResult r = run("threads", {"main_exits"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "last thread\n") << r;
}

TEST_P(ProgramTest, FaultInAThreadKillsTheProcess) {
  RunResult r = run("threads", {"fault"});
  EXPECT_EQ(r.exit_code, 128 + SIGSEGV) << r;
  if (runner() == Runner::kMoat) {
    EXPECT_EQ(r.err, "moat: program killed by SIGSEGV at 0x0\n") << r;
  }
}

TEST_P(ProgramTest, TermSignalKillsASpinningProcess) {
  RunResult r = run("threads", {"term"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r;
}

TEST_P(ProgramTest, MallocBig) {
  RunResult r = run("malloc_big");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "ok\n") << r;
}

// The auxiliary vector: AT_HWCAP/AT_HWCAP2 under moat offer only what the
// CPU really has (a subset of what the host kernel reports), and the other
// entries have Linux's values.
TEST(AuxvTest, HwcapIsASubsetOfTheHostsAndTheRestIsLinuxs) {
  check_moat_usable();
  auto parse = [](const std::string& out) {
    std::map<std::string, std::string> values;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq != std::string::npos) {
        values[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
    return values;
  };
  for (const std::string& variant : kVariants) {
    const std::string program = program_path("auxv", variant);
    RunResult native = run_command({program});
    RunResult moat = run_in_moat(program);
    ASSERT_EQ(native.exit_code, 0) << native;
    ASSERT_EQ(moat.exit_code, 0) << moat;
    auto n = parse(native.out);
    auto m = parse(moat.out);
    EXPECT_NE(std::stoull(m["hwcap"]), 0u) << variant << ": no AT_HWCAP";
    for (const char* key : {"hwcap", "hwcap2"}) {
      uint64_t host = std::stoull(n[key]);
      uint64_t guest = std::stoull(m[key]);
      EXPECT_EQ(guest & ~host, 0u)
          << variant << ": " << key << " offers bits the host lacks: " << std::hex
          << (guest & ~host);
    }
    EXPECT_EQ(m["platform"], n["platform"]) << variant;
    EXPECT_EQ(m["pagesz"], "4096") << variant;
    EXPECT_EQ(m["clktck"], "100") << variant;
    EXPECT_EQ(m["random"], "1") << variant;
    EXPECT_EQ(m["secure"], "0") << variant;
  }
}

TEST_P(ProgramTest, UnameAndIds) {
  RunResult r = run("uname_ids");
  EXPECT_EQ(r.exit_code, 0) << r;
  std::string out = "\n" + r.out;
  EXPECT_NE(out.find("\nsysname=Linux\n"), std::string::npos) << r;
  EXPECT_NE(out.find("\nmachine=" GUEST_MACHINE "\n"), std::string::npos) << r;
  EXPECT_NE(out.find("\nrelease="), std::string::npos) << r;
  // A single-threaded process: its only thread's id is the process id.
  auto value = [&](std::string_view key) -> std::string {
    std::string needle = "\n" + std::string(key) + "=";
    size_t pos = out.find(needle);
    if (pos == std::string::npos) {
      return "";
    }
    pos += needle.size();
    return out.substr(pos, out.find('\n', pos) - pos);
  };
  EXPECT_NE(value("pid"), "") << r;
  EXPECT_EQ(value("pid"), value("tid")) << r;
  // stdio are pipes here, not terminals.
  EXPECT_EQ(value("isatty0"), "0") << r;
  EXPECT_EQ(value("isatty1"), "0") << r;
}

TEST_P(ProgramTest, GetppidLoopReportsCost) {
  RunResult r = run("getppid_loop", {"1000"});
  EXPECT_EQ(r.exit_code, 0) << r;
  ASSERT_TRUE(r.out.starts_with("ns_per_call ")) << r;
  char* end = nullptr;
  const char* number = r.out.c_str() + std::strlen("ns_per_call ");
  double ns = std::strtod(number, &end);
  EXPECT_NE(end, number) << r;
  EXPECT_STREQ(end, "\n") << r;
  EXPECT_GT(ns, 0.0) << r;
}

// Tests of the `moat run` command line itself.
class MoatCliTest : public testing::Test {
 protected:
  void SetUp() override { check_moat_usable(); }
};

TEST_F(MoatCliTest, ProgramWithoutDoubleDash) {
  RunResult r = run_command({moat_binary(), "run", program_path("hello", "glibc")});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hello, world\n") << r;
}

TEST_F(MoatCliTest, ProgramIsSearchedInPath) {
  RunResult r = run_command({moat_binary(), "run", "--", "hello.musl"},
                            with_env({"PATH=/nonexistent-moat-dir:" + programs_dir()}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hello, world\n") << r;
}

TEST_F(MoatCliTest, PidsLimitStopsAThreadBombWithEagain) {
  for (const char* variant : {"glibc", "musl"}) {
    SCOPED_TRACE(variant);
    RunResult r = run_command({moat_binary(), "run", "--pids-limit", "10", "--",
                               program_path("threads", variant), "bomb"});
    EXPECT_EQ(r.exit_code, 0) << r;
    // The main thread counts: nine more start.
    EXPECT_EQ(r.out, "started 9 then EAGAIN\n") << r;
  }
}

TEST_F(MoatCliTest, OrphansGoToTheFirstProcessWhichReapsThem) {
  for (const char* variant : {"glibc", "glibc-pie", "musl"}) {
    SCOPED_TRACE(variant);
    RunResult r =
        run_command({moat_binary(), "run", "--", program_path("processes", variant), "orphans"});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, "grandchild adopted by 1, exit 42\n") << r;
  }
}

TEST_F(MoatCliTest, TheEndOfTheFirstProcessEndsEveryOther) {
  // The child sleeps for ever; moat ends with the first process's code
  // instead of waiting for it.
  RunResult r =
      run_command({moat_binary(), "run", "--", program_path("processes", "glibc"), "leave"});
  EXPECT_EQ(r.exit_code, 3) << r;
}

TEST_F(MoatCliTest, PidsLimitStopsAForkBombWithEagain) {
  for (const char* variant : {"glibc", "musl"}) {
    SCOPED_TRACE(variant);
    RunResult r = run_command({moat_binary(), "run", "--pids-limit", "12", "--",
                               program_path("processes", variant), "bomb"});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, "forked 11 then EAGAIN\n") << r;
  }
}

TEST_F(MoatCliTest, ZombiesCountTowardsThePidsLimit) {
  // Children that exit at once but are never waited for stay zombies, and
  // hold their pids, as in Linux's pids cgroup.
  RunResult r = run_command({moat_binary(), "run", "--pids-limit", "20", "--",
                             program_path("processes", "musl"), "zombies"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "forked 19 then EAGAIN\n") << r;
}

TEST_F(MoatCliTest, ForkChains) {
  // Each level holds a vCPU; in the emulated arm64 test VM a hundred new
  // vCPUs take longer than a test's limit (the conformance suite's
  // Fork.ChainsOneHundredDeep runs 100 deep there, with more time).
#if defined(__x86_64__)
  const std::string depth = "100";
#else
  const std::string depth = "25";
#endif
  RunResult r =
      run_command({moat_binary(), "run", "--", program_path("processes", "musl"), "chain", depth});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "depth " + depth + "\n") << r;
}

// A thousand vCPUs take minutes in the emulated arm64 test VM: x86-64 only.
#if defined(__x86_64__)
TEST_F(MoatCliTest, ThreadBombWithoutALimitEndsCleanly) {
  // moat's own bound (one vCPU per thread, as many as KVM gives) answers
  // EAGAIN, not a crash.
  RunResult r = run_command({moat_binary(), "run", "--", program_path("threads", "musl"), "bomb"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("then EAGAIN"), std::string::npos) << r;
}
#endif

// Programs that moat must refuse (126, not executable or not a valid ELF
// program for this machine) or not find (127), with one clear line on stderr
// and without crashing.
class BadProgramTest : public testing::Test {
 protected:
  void SetUp() override {
    check_moat_usable();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    // Not under /tmp: the sandbox has a tmpfs of its own there.
    // MOAT_TEST_TMPDIR names another place (the arm64 test VM has no /var/tmp).
    const char* base = getenv("MOAT_TEST_TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/var/tmp") + "/moat_run_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << strerror(errno);
    m_dir = pattern;
    std::string hello = program_path("hello", "glibc");
    std::error_code ec;
    auto size = fs::file_size(hello, ec);
    ASSERT_FALSE(ec) << hello << ": " << ec.message();
    m_hello.resize(size);
    std::ifstream in(hello, std::ios::binary);
    ASSERT_TRUE(in.read(m_hello.data(), static_cast<std::streamsize>(size)))
        << "cannot read " << hello;
    ASSERT_GT(m_hello.size(), sizeof(Elf64_Ehdr));
  }

  void TearDown() override {
    if (!m_dir.empty()) {
      std::error_code ec;
      fs::remove_all(m_dir, ec);
    }
  }

  // Writes a file into the temporary directory and returns its path.
  std::string write_file(const std::string& name, const std::string& bytes, mode_t mode = 0755) {
    fs::path path = m_dir / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    EXPECT_TRUE(out) << "cannot write " << path;
    EXPECT_EQ(chmod(path.c_str(), mode), 0) << strerror(errno);
    return path.string();
  }

  // Expects moat to exit by itself with `code` and one "moat: " line.
  static void expect_refused(const RunResult& r, int code,
                             const std::vector<std::string_view>& key_words) {
    EXPECT_FALSE(r.signaled) << "moat crashed" << r;
    EXPECT_EQ(r.exit_code, code) << r;
    EXPECT_EQ(r.out, "") << r;
    EXPECT_TRUE(is_moat_error_line(r.err, key_words)) << r;
  }

  fs::path m_dir;
  std::string m_hello;
};

template <typename T>
void poke(std::string& bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof value, bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

template <typename T>
T peek(const std::string& bytes, size_t offset) {
  T value{};
  if (offset + sizeof value <= bytes.size()) {
    std::memcpy(&value, bytes.data() + offset, sizeof value);
  }
  return value;
}

// Words that a message about a malformed or non-ELF file would contain.
const std::vector<std::string_view> kElfWords = {"ELF", "exec format", "malformed", "truncated",
                                                 "invalid"};

TEST_F(BadProgramTest, TextFile) {
  expect_refused(run_in_moat(write_file("text", "hello\n")), 126, kElfWords);
}

// A "#!" script runs with its interpreter (the sandbox's /bin/sh, dynamically
// linked), as execve runs it.
TEST_F(BadProgramTest, ShellScriptRunsWithItsInterpreter) {
  RunResult r = run_in_moat(write_file("script", "#!/bin/sh\necho \"hi $0 $1\"\n"), {"arg"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi " + (m_dir / "script").string() + " arg\n");
}

TEST_F(BadProgramTest, ScriptWithAMissingInterpreter) {
  RunResult r = run_in_moat(write_file("script", "#!/nonexistent/interpreter\n"));
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
}

TEST_F(BadProgramTest, EmptyFile) {
  expect_refused(run_in_moat(write_file("empty", "")), 126, kElfWords);
}

TEST_F(BadProgramTest, TruncatedElf) {
  for (size_t size : {size_t{16}, size_t{63}, size_t{100}, m_hello.size() / 2}) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    std::string path = write_file("truncated_" + std::to_string(size), m_hello.substr(0, size));
    expect_refused(run_in_moat(path), 126, kElfWords);
  }
}

TEST_F(BadProgramTest, ProgramHeaderOffsetOutOfFile) {
  std::string bytes = m_hello;
  poke<uint64_t>(bytes, offsetof(Elf64_Ehdr, e_phoff), 0xffffffffffff);
  expect_refused(run_in_moat(write_file("phoff", bytes)), 126, kElfWords);
}

// A program for the other architecture (OTHER_EM, named OTHER_MACHINE_NAME
// in the message): x86-64 for an arm64 moat and the reverse.
TEST_F(BadProgramTest, WrongMachine) {
  std::string bytes = m_hello;
  poke<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_machine), OTHER_EM);
  expect_refused(run_in_moat(write_file("other-machine", bytes)), 126, {OTHER_MACHINE_NAME});
}

TEST_F(BadProgramTest, Elf32Class) {
  std::string bytes = m_hello;
  bytes[EI_CLASS] = ELFCLASS32;
  expect_refused(run_in_moat(write_file("class32", bytes)), 126,
                 {"32-bit", "32 bit", "ELFCLASS32"});
}

TEST_F(BadProgramTest, ProgramHeadersAllOnes) {
  std::string bytes = m_hello;
  auto phoff = peek<uint64_t>(bytes, offsetof(Elf64_Ehdr, e_phoff));
  auto phentsize = peek<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_phentsize));
  auto phnum = peek<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_phnum));
  size_t table_size = size_t{phentsize} * phnum;
  ASSERT_GT(table_size, 0u);
  ASSERT_LE(phoff + table_size, bytes.size());
  std::fill_n(bytes.begin() + static_cast<ptrdiff_t>(phoff), table_size, '\xff');
  expect_refused(run_in_moat(write_file("phdrs_ff", bytes)), 126, kElfWords);
}

// Linux refuses these with ENOEXEC as well.
TEST_F(BadProgramTest, RelocatableObject) {
  std::string bytes = m_hello;
  poke<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_type), ET_REL);
  expect_refused(run_in_moat(write_file("et_rel", bytes)), 126, kElfWords);
}

TEST_F(BadProgramTest, NoProgramHeaders) {
  std::string bytes = m_hello;
  poke<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_phnum), 0);
  expect_refused(run_in_moat(write_file("phnum0", bytes)), 126, kElfWords);
}

TEST_F(BadProgramTest, WrongProgramHeaderEntrySize) {
  std::string bytes = m_hello;
  poke<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_phentsize), 0);
  expect_refused(run_in_moat(write_file("phentsize0", bytes)), 126, kElfWords);
}

TEST_F(BadProgramTest, Directory) {
  fs::create_directory(m_dir / "dir");
  expect_refused(run_in_moat((m_dir / "dir").string()), 126, {"Is a directory"});
}

TEST_F(BadProgramTest, NoExecutePermission) {
  expect_refused(run_in_moat(write_file("noexec", m_hello, 0644)), 126, {"Permission denied"});
}

TEST_F(BadProgramTest, NonexistentPath) {
  expect_refused(run_in_moat((m_dir / "does-not-exist").string()), 127,
                 {"No such file", "not found"});
}

TEST_F(BadProgramTest, NameNotInPath) {
  fs::create_directory(m_dir / "empty-bin");
  RunResult r = run_command({moat_binary(), "run", "--", "moat-no-such-program"},
                            with_env({"PATH=" + (m_dir / "empty-bin").string()}));
  expect_refused(r, 127, {"No such file", "not found"});
}

// Dynamically linked Debian programs (dash, coreutils, busybox) from the
// root filesystem integration/rootfs/build.sh makes (scripts/test.sh builds
// it; MOAT_ROOTFS overrides the path, as in the arm64 test VM).
class RootfsTest : public testing::Test {
 protected:
  void SetUp() override {
    check_moat_usable();
    if (HasFatalFailure()) {
      return;
    }
    ASSERT_EQ(access((rootfs() + "/bin/dash").c_str(), X_OK), 0)
        << rootfs() << " has no /bin/dash: build it with integration/rootfs/build.sh";
  }

  static std::string rootfs() {
    const char* env = getenv("MOAT_ROOTFS");
    return env != nullptr && *env != '\0' ? env : ROOTFS_DIR;
  }

  // `moat run --rootfs ROOTFS -- ARGV...` with a clean environment.
  static RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {}) {
    std::vector<std::string> command = {moat_binary(), "run", "--rootfs",           rootfs(),
                                        "--clear-env", "-e",  "PATH=/usr/bin:/bin", "--"};
    command.insert(command.end(), argv.begin(), argv.end());
    return run_command(command, options);
  }

  // A shell script exercising pipes, subshells, command substitution,
  // background jobs and wait, redirections to /tmp and /dev/null.
  static constexpr const char* kShellScript =
      "set -e\n"
      "echo one two three | tr ' ' '\\n' | sort -r | head -n 1\n"
      "(exit 3) || echo subshell $?\n"
      "x=$(echo inner; echo more | wc -w); echo \"subst [$x]\"\n"
      "sleep 0.1 & pid=$!; wait $pid; echo waited $?\n"
      "(echo a; echo b) > /tmp/f; cat /tmp/f | wc -l\n"
      "echo gone > /dev/null; echo done\n";
  static constexpr const char* kShellOutput =
      "two\nsubshell 3\nsubst [inner\n1]\nwaited 0\n2\ndone\n";
};

TEST_F(RootfsTest, LsListsTheRoot) {
  RunResult r = run({"/bin/ls", "-la", "/"});
  EXPECT_EQ(r.exit_code, 0) << r;
  for (const char* name : {" bin", " etc", " usr", " tmp", " dev"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name << " missing from\n" << r.out;
  }
}

TEST_F(RootfsTest, DashRunsAScriptWithPipesSubshellsAndJobs) {
  RunResult r = run({"/bin/dash", "-c", kShellScript});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, kShellOutput) << r;
}

TEST_F(RootfsTest, BusyboxShRunsTheSameScript) {
  RunResult r = run({"/bin/busybox", "sh", "-c", kShellScript});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, kShellOutput) << r;
}

TEST_F(RootfsTest, SortAndSha256sumOfAFile) {
  RunResult r = run({"/bin/dash", "-c",
                     "printf 'pear\\napple\\nfig\\n' > /tmp/fruit; sort /tmp/fruit; "
                     "sha256sum /tmp/fruit"});
  EXPECT_EQ(r.exit_code, 0) << r;
  // sha256 of "pear\napple\nfig\n".
  EXPECT_EQ(r.out,
            "apple\nfig\npear\n"
            "d7b8370b133ffebfa89e67453a41c3c1bf366d9a0f2cf9263caafc41359dc9a6  /tmp/fruit\n")
      << r;
}

// fork + execve + wait4, nested: each level is a new dash that runs the next
// one and passes its exit status up. 25 levels under the arm64 test VM's
// emulation, where each takes about a second (100 pass there in about 100 s).
TEST_F(RootfsTest, ForkExecWaitChains) {
  const bool emulated = std::string_view(GUEST_MACHINE) != "x86_64";
  const int depth = emulated ? 25 : 100;
  RunOptions options;
  options.timeout = emulated ? std::chrono::seconds(120) : kTimeout;
  RunResult r = run({"/bin/dash", "-c",
                     "cat > /tmp/chain <<'EOF'\n"
                     "if [ \"$1\" -gt 0 ]; then /bin/dash /tmp/chain $(($1 - 1)); exit $?; fi\n"
                     "echo bottom; exit 7\n"
                     "EOF\n"
                     "/bin/dash /tmp/chain " +
                         std::to_string(depth) + "; echo status $?"},
                    options);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "bottom\nstatus 7\n") << r;
}

TEST_F(RootfsTest, MissingProgramInTheRoot) {
  RunResult r = run({"/bin/no-such-program"});
  EXPECT_EQ(r.exit_code, 127) << r;
}

// The sandbox's /tmp is a tmpfs laid over the root's own /tmp: a program
// that lives under the host's /tmp still runs (the file tests cover what
// the guest writes there).
TEST(LayeredTmpTest, ProgramUnderTheHostsTmpRuns) {
  check_moat_usable();
  if (HasFatalFailure()) {
    return;
  }
  std::string dir = "/tmp/moat_layered.XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr) << strerror(errno);
  const std::string copy = dir + "/hello";
  std::error_code ec;
  fs::copy_file(program_path("hello", "glibc"), copy, ec);
  ASSERT_FALSE(ec) << ec.message();
  RunResult r = run_command({moat_binary(), "run", "--", copy});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hello, world\n") << r;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace moat::integration
