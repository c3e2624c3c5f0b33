// Expected strings are strace 6.1's output on Debian 12 (x86-64), from the C
// calls named beside them; `strace -o out ./prog`.

#include "sentry/strace/format.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "sentry/strace/format_test_util.h"

namespace moat::sentry::strace {
namespace {

using namespace std::string_literals;

constexpr uint64_t kBase = 0x7ffd0000;

// --- scalars -------------------------------------------------------------------

TEST(FormatScalars, Address) {
  EXPECT_EQ(format_address(0), "NULL");
  EXPECT_EQ(format_address(0x7ffd1234), "0x7ffd1234");
}

TEST(FormatScalars, FdIsTheLow32BitsSigned) {
  // openat(5, "rel", 0), openat(-1, ...), and 0xffffffff00000005 via syscall().
  EXPECT_EQ(format_fd(5), "5");
  EXPECT_EQ(format_fd(0xffffffffffffffff), "-1");
  EXPECT_EQ(format_fd(0xffffffff00000005), "5");
}

TEST(FormatScalars, Dirfd) {
  EXPECT_EQ(format_dirfd(static_cast<uint64_t>(-100)), "AT_FDCWD");
  EXPECT_EQ(format_dirfd(0xffffff9c), "AT_FDCWD");
  EXPECT_EQ(format_dirfd(3), "3");
}

TEST(FormatScalars, Mode) {
  // openat(..., O_WRONLY|O_CREAT, 0) and 04755; chmod(path, 06755).
  EXPECT_EQ(format_mode(0), "000");
  EXPECT_EQ(format_mode(0644), "0644");
  EXPECT_EQ(format_mode(04755), "04755");
  EXPECT_EQ(format_mode(06755), "06755");
  EXPECT_EQ(format_mode(07), "007");
}

TEST(FormatScalars, FileMode) {
  // stat("/tmp"), stat of a 06755 file, stat("/dev/null").
  EXPECT_EQ(format_file_mode(S_IFDIR | S_ISVTX | 0777), "S_IFDIR|S_ISVTX|0777");
  EXPECT_EQ(format_file_mode(S_IFREG | S_ISUID | S_ISGID | 0755), "S_IFREG|S_ISUID|S_ISGID|0755");
  EXPECT_EQ(format_file_mode(S_IFCHR | 0666), "S_IFCHR|0666");
  EXPECT_EQ(format_file_mode(S_IFREG), "S_IFREG|000");
  EXPECT_EQ(format_file_mode(0644), "0644");
  EXPECT_EQ(format_file_mode(04644), "S_ISUID|0644");
}

// --- quoting and buffers ---------------------------------------------------------

TEST(FormatStrings, QuoteEscapes) {
  // write(-1, "\1\0012\n\"\\\t\v\f\r\x7f\x80" "abc\0" "7\08", 20): octal in
  // three digits only when an octal digit follows.
  const std::string bytes = "\1\0012\n\"\\\t\v\f\r\x7f\x80"s + "abc\0"s + "7\0"s + "8\0"s;
  ASSERT_EQ(bytes.size(), 20u);
  EXPECT_EQ(quote(bytes, false), R"("\1\0012\n\"\\\t\v\f\r\177\200abc\0007\08\0")");
  // write(-1, "\377\1a", 3), write(-1, "\x1b[0m\x1b" "9", 6), write(-1, "a\0", 2).
  EXPECT_EQ(quote("\377\1a", false), R"("\377\1a")");
  EXPECT_EQ(quote("\x1b[0m\x1b"s + "9", false), R"("\33[0m\339")");
  EXPECT_EQ(quote("a\0"s, false), R"("a\0")");
  EXPECT_EQ(quote("", false), R"("")");
}

TEST(FormatStrings, QuoteTruncatedAndHex) {
  EXPECT_EQ(quote("abc", true), R"("abc"...)");
  // getrandom("\xcc\xa4\xbd\x47", 4, GRND_NONBLOCK).
  EXPECT_EQ(quote("\xcc\xa4\xbd\x47", false, true), R"("\xcc\xa4\xbd\x47")");
  EXPECT_EQ(quote("a\n", true, true), R"("\x61\x0a"...)");
}

TEST(FormatStrings, BufferTruncatesAtTheLimit) {
  FakeMemory mem;
  const std::string s32 = "0123456789abcdef0123456789abcdef";
  mem.put(kBase, s32 + "!");
  const FormatOptions opts;
  // write(-1, s32, 32) and write(-1, s32 "!", 33).
  EXPECT_EQ(format_buffer(mem, kBase, 32, opts), "\"" + s32 + "\"");
  EXPECT_EQ(format_buffer(mem, kBase, 33, opts), "\"" + s32 + "\"...");
  EXPECT_EQ(format_buffer(mem, kBase, 0, opts), R"("")");
  EXPECT_EQ(format_buffer(mem, kBase, 3, FormatOptions{.string_limit = 2}), R"("01"...)");
  // getrandom(buf, 40, 0): hex, cut at 32 bytes too.
  EXPECT_EQ(format_buffer(mem, kBase, 33, opts, true).size(), 2 + 32 * 4 + 3);
}

TEST(FormatStrings, BufferNulAndUnreadable) {
  FakeMemory mem;
  mem.put(kBase, "a\0"s);
  const FormatOptions opts;
  EXPECT_EQ(format_buffer(mem, kBase, 2, opts), R"("a\0")");
  // write(-1, NULL, 5), write(-1, (void*)0x10, 5).
  EXPECT_EQ(format_buffer(mem, 0, 5, opts), "NULL");
  EXPECT_EQ(format_buffer(mem, 0x10, 5, opts), "0x10");
  EXPECT_EQ(format_buffer(mem, kBase, 3, opts), "0x7ffd0000");
}

TEST(FormatStrings, CString) {
  FakeMemory mem;
  const std::string s32 = "0123456789abcdef0123456789abcdef";
  mem.put_string(kBase, s32);
  mem.put_string(kBase + 0x100, s32 + "!");
  mem.put_string(kBase + 0x200, "probe");
  const FormatOptions opts;
  // prctl(PR_SET_NAME, "probe").
  EXPECT_EQ(format_c_string(mem, kBase + 0x200, opts), R"("probe")");
  // A string of exactly the limit is whole; execve's argv element
  // "0123456789abcdef0123456789abcdef!" is cut.
  EXPECT_EQ(format_c_string(mem, kBase, opts), "\"" + s32 + "\"");
  EXPECT_EQ(format_c_string(mem, kBase + 0x100, opts), "\"" + s32 + "\"...");
  // strace -s 4: "/nonexist" prints as "/non"...
  mem.put_string(kBase + 0x300, "/nonexist");
  EXPECT_EQ(format_c_string(mem, kBase + 0x300, FormatOptions{.string_limit = 4}), R"("/non"...)");
  EXPECT_EQ(format_c_string(mem, 0, opts), "NULL");
  EXPECT_EQ(format_c_string(mem, 0x8, opts), "0x8");
}

TEST(FormatStrings, PathIgnoresTheStringLimit) {
  FakeMemory mem;
  // openat() of 4999, 4095 and 4096 'a's: 4095 bytes at most, then `...`.
  mem.put_string(kBase, std::string(4999, 'a'));
  mem.put_string(kBase + 0x10000, std::string(4095, 'a'));
  mem.put_string(kBase + 0x20000, std::string(4096, 'a'));
  EXPECT_EQ(format_path(mem, kBase), "\"" + std::string(4095, 'a') + "\"...");
  EXPECT_EQ(format_path(mem, kBase + 0x10000), "\"" + std::string(4095, 'a') + "\"");
  EXPECT_EQ(format_path(mem, kBase + 0x20000), "\"" + std::string(4095, 'a') + "\"...");
  mem.put_string(kBase + 0x30000, "/tmp/fmt-probe/x.txt");
  EXPECT_EQ(format_path(mem, kBase + 0x30000), R"("/tmp/fmt-probe/x.txt")");
}

TEST(FormatStrings, PathRunningIntoUnreadableMemoryIsAnAddress) {
  FakeMemory mem;
  // openat(AT_FDCWD, page_end - 10, ...) with ten 'b's and a PROT_NONE page
  // after them: strace shows the address, not the readable part.
  const uint64_t addr = kBase + 0x1000 - 10;
  mem.put(addr, std::string(10, 'b'));
  EXPECT_EQ(format_path(mem, addr), "0x7ffd0ff6");
  EXPECT_EQ(format_path(mem, kBase + 0x1000), "0x7ffd1000");
  EXPECT_EQ(format_path(mem, 0), "NULL");
}

// --- argv and envp ------------------------------------------------------------------

class FormatArgv : public ::testing::Test {
 protected:
  // A NULL-terminated array of pointers to `strings` at kBase.
  void put_argv(const std::vector<std::string>& strings, bool terminate = true) {
    uint64_t str = kBase + 0x1000;
    for (size_t i = 0; i < strings.size(); ++i) {
      mem.put_object(kBase + 8 * i, str);
      mem.put_string(str, strings[i]);
      str += strings[i].size() + 1;
    }
    if (terminate) {
      mem.put_object(kBase + 8 * strings.size(), uint64_t{0});
    }
  }

  FakeMemory mem;
  FormatOptions opts;
};

TEST_F(FormatArgv, Strings) {
  // execve("/nonexist", ["/nonexist", "x", "x"], ...).
  put_argv({"/nonexist", "x", "x"});
  EXPECT_EQ(format_string_array(mem, kBase, opts), R"(["/nonexist", "x", "x"])");
  EXPECT_EQ(format_env_array(mem, kBase), "0x7ffd0000 /* 3 vars */");
}

TEST_F(FormatArgv, Empty) {
  put_argv({});
  EXPECT_EQ(format_string_array(mem, kBase, opts), "[]");
  EXPECT_EQ(format_env_array(mem, kBase), "0x7ffd0000 /* 0 vars */");
  put_argv({"A=1"});
  EXPECT_EQ(format_env_array(mem, kBase), "0x7ffd0000 /* 1 var */");
}

TEST_F(FormatArgv, MoreThanTheLimit) {
  // execve() with 35 arguments: 32, then `...`.
  put_argv(std::vector<std::string>(35, "x"));
  std::string want = "[";
  for (int i = 0; i < 32; ++i) {
    want += "\"x\", ";
  }
  EXPECT_EQ(format_string_array(mem, kBase, opts), want + "...]");
}

TEST_F(FormatArgv, UnreadableElementAndArray) {
  // execve("/nonexist", ["/nonexist", "x", 0x8], ...).
  put_argv({"/nonexist", "x", "x"});
  mem.put_object(kBase + 16, uint64_t{8});
  EXPECT_EQ(format_string_array(mem, kBase, opts), R"(["/nonexist", "x", 0x8])");
  // execve("/nonexist", NULL, NULL) and (void*)8.
  EXPECT_EQ(format_string_array(mem, 0, opts), "NULL");
  EXPECT_EQ(format_string_array(mem, 8, opts), "0x8");
  EXPECT_EQ(format_env_array(mem, 0), "NULL");
  EXPECT_EQ(format_env_array(mem, 8), "0x8");
}

TEST_F(FormatArgv, Unterminated) {
  // execve(path, t, t) with t = {"p", "q"} ending at a PROT_NONE page.
  put_argv({"p", "q"}, false);
  EXPECT_EQ(format_string_array(mem, kBase, opts), R"(["p", "q", ... /* 0x7ffd0010 */])");
  EXPECT_EQ(format_env_array(mem, kBase), "0x7ffd0000 /* 2 vars, unterminated */");
}

// --- errno ------------------------------------------------------------------------

TEST(FormatErrno, NamesAndTexts) {
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_text(ENOENT), "No such file or directory");
  EXPECT_EQ(errno_name(EBADF), "EBADF");
  EXPECT_EQ(errno_text(EBADF), "Bad file descriptor");
  EXPECT_EQ(errno_text(ENAMETOOLONG), "File name too long");
  EXPECT_EQ(errno_text(EAGAIN), "Resource temporarily unavailable");
  EXPECT_EQ(errno_text(EPROTONOSUPPORT), "Protocol not supported");
  // Aliases print as strace's names.
  EXPECT_EQ(errno_name(EWOULDBLOCK), "EAGAIN");
  EXPECT_EQ(errno_name(EDEADLOCK), "EDEADLK");
  EXPECT_EQ(errno_name(ENOTSUP), "EOPNOTSUPP");
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(EHWPOISON), "EHWPOISON");
  EXPECT_EQ(errno_text(EHWPOISON), "Memory page has hardware error");
}

TEST(FormatErrno, TextsAreStrerrorsInTheCLocale) {
  for (int err = 1; err <= EHWPOISON; ++err) {
    if (!errno_name(err).empty()) {
      EXPECT_EQ(errno_text(err), std::strerror(err)) << err;
    }
  }
}

TEST(FormatErrno, KernelInternal) {
  // wait4() interrupted: `= ? ERESTARTSYS (To be restarted if SA_RESTART is set)`.
  EXPECT_EQ(errno_name(512), "ERESTARTSYS");
  EXPECT_EQ(errno_text(512), "To be restarted if SA_RESTART is set");
  EXPECT_EQ(errno_text(513), "To be restarted");
  EXPECT_EQ(errno_text(514), "To be restarted if no handler");
  EXPECT_EQ(errno_name(515), "ENOIOCTLCMD");
  EXPECT_EQ(errno_text(515), "Unknown error 515");
  EXPECT_EQ(errno_name(516), "ERESTART_RESTARTBLOCK");
  EXPECT_EQ(errno_text(516), "Interrupted by signal");
}

TEST(FormatErrno, Unknown) {
  EXPECT_EQ(errno_name(0), "");
  EXPECT_EQ(errno_name(41), "");
  EXPECT_EQ(errno_name(600), "");
  EXPECT_EQ(errno_text(600), "");
  EXPECT_EQ(errno_name(-1), "");
}

// --- signals -----------------------------------------------------------------------

TEST(FormatSignals, Names) {
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGSTKFLT), "SIGSTKFLT");
  EXPECT_EQ(signal_name(SIGIO), "SIGIO");
  EXPECT_EQ(signal_name(SIGSYS), "SIGSYS");
  // kill(pid, 32), 34, 40, 64 and 65.
  EXPECT_EQ(signal_name(32), "SIGRTMIN");
  EXPECT_EQ(signal_name(34), "SIGRT_2");
  EXPECT_EQ(signal_name(40), "SIGRT_8");
  EXPECT_EQ(signal_name(64), "SIGRT_32");
  EXPECT_EQ(format_signal(65), "65");
  EXPECT_EQ(format_signal(0), "0");
  EXPECT_EQ(format_signal(SIGCHLD), "SIGCHLD");
}

constexpr uint64_t bit(int signo) {
  return uint64_t{1} << (signo - 1);
}

TEST(FormatSignals, Sigset) {
  // rt_sigprocmask(SIG_BLOCK, [INT TERM RT_8], NULL, 8).
  EXPECT_EQ(format_sigset(bit(SIGINT) | bit(SIGTERM) | bit(40)), "[INT TERM RT_8]");
  EXPECT_EQ(format_sigset(0), "[]");
  // sigfillset() as glibc passes it: all but its two internal signals.
  EXPECT_EQ(format_sigset(~(bit(32) | bit(33))), "~[RTMIN RT_1]");
  EXPECT_EQ(format_sigset(~(bit(SIGUSR1) | bit(32) | bit(33))), "~[USR1 RTMIN RT_1]");
  EXPECT_EQ(format_sigset(~uint64_t{0}), "~[]");
}

TEST(FormatSignals, SigsetInvertsAtTwoThirds) {
  // Signals 1..42 set (42 of 64): inverted. 1..41: listed.
  EXPECT_EQ(format_sigset((uint64_t{1} << 42) - 1),
            "~[RT_11 RT_12 RT_13 RT_14 RT_15 RT_16 RT_17 RT_18 RT_19 RT_20 RT_21 RT_22 RT_23 "
            "RT_24 RT_25 RT_26 RT_27 RT_28 RT_29 RT_30 RT_31 RT_32]");
  EXPECT_EQ(format_sigset((uint64_t{1} << 41) - 1),
            "[HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD "
            "CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RT_1 RT_2 "
            "RT_3 RT_4 RT_5 RT_6 RT_7 RT_8 RT_9]");
}

}  // namespace
}  // namespace moat::sentry::strace
