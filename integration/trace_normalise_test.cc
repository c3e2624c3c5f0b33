// Tests of the golden tests' trace normaliser: each rule masks what it must,
// and nothing else, in particular no differing argument or result.

#include "integration/trace_normalise.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moat::integration {
namespace {

// strace's alignment: `text`, padded with spaces to column 40, then `= result`.
std::string aligned(const std::string& text, const std::string& result) {
  const size_t pad = text.size() < 40 ? 40 - text.size() : 1;
  return text + std::string(pad, ' ') + "= " + result;
}

// Two lines that must still differ once normalised.
void expect_differ(const std::string& a, const std::string& b,
                   const NormaliseOptions& options = {}) {
  EXPECT_NE(normalise_line(a, options), normalise_line(b, options)) << a << "\n" << b;
}

void expect_same(const std::string& a, const std::string& b, const NormaliseOptions& options = {}) {
  EXPECT_EQ(normalise_line(a, options), normalise_line(b, options)) << a << "\n" << b;
}

TEST(TraceNormaliseTest, PidPrefixAndAlignment) {
  EXPECT_EQ(normalise_line(aligned("25121 brk(NULL)", "0x80e8000")), "<pid> brk(NULL) = <addr>");
  EXPECT_EQ(normalise_line(aligned("1     read(0, \"line one\\n\", 9)", "9")),
            "<pid> read(0, \"line one\\n\", 9) = 9");
  // Seven-digit pids shift the column; the padding follows.
  expect_same(aligned("1234567 getuid()", "0"), aligned("1     getuid()", "0"));
  expect_same("25121 arch_prctl(ARCH_SET_FS, 0x80e8380) = 0",
              "1     arch_prctl(ARCH_SET_FS, 0x555555559380) = 0");
}

TEST(TraceNormaliseTest, WrongAlignmentStillDiffers) {
  EXPECT_EQ(normalise_line("25121 getuid() = 0"), "<pid> getuid() <misaligned: 1 spaces> = 0");
  expect_differ(aligned("25121 getuid()", "0"), "25121 getuid() = 0");
  expect_differ(aligned("25121 getuid()", "0"), "25121 getuid()                   = 0");
  expect_differ("25121 arch_prctl(ARCH_SET_FS, 0x80e8380) = 0",
                "25121 arch_prctl(ARCH_SET_FS, 0x80e8380)  = 0");
}

TEST(TraceNormaliseTest, WithoutPidPrefixOptionALeadingNumberStays) {
  const NormaliseOptions no_prefix{.pid_prefix = false};
  expect_differ(aligned("25121 getuid()", "0"), aligned("25122 getuid()", "0"), no_prefix);
  EXPECT_EQ(normalise_line(aligned("getuid()", "0"), no_prefix), "getuid() = 0");
}

TEST(TraceNormaliseTest, DifferingArgumentsStillDiffer) {
  expect_differ(aligned("1 write(1, \"a\", 1)", "1"), aligned("1 write(2, \"a\", 1)", "1"));
  expect_differ(aligned("1 write(1, \"a\", 1)", "1"), aligned("1 write(1, \"b\", 1)", "1"));
  expect_differ(aligned("1 write(1, \"a\"..., 1)", "1"), aligned("1 write(1, \"a\", 1)", "1"));
  expect_differ("1 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 3",
                "1 openat(AT_FDCWD, \"/etc/passwd\", O_WRONLY) = 3");
  expect_differ("1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
                "1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000");
  expect_differ("1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
                "1 mmap(NULL, 4096, PROT_READ, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000");
  // A hex value that is not a pointer is compared, however long.
  expect_differ("1 rseq(0x80e8ca0, 0x20, 0, 0x53053053) = 0",
                "1 rseq(0x80e8ca0, 0x20, 0, 0x53053054) = 0");
  expect_differ(
      "1 ioctl(1, 0x12345678, 0x7ffe146ae470) = -1 ENOTTY (Inappropriate ioctl for device)",
      "1 ioctl(1, 0x12345679, 0x7ffe146ae470) = -1 ENOTTY (Inappropriate ioctl for device)");
  // Short addresses are the programs' own bad pointers: compared.
  expect_differ("1 write(1, 0x8, 4) = -1 EFAULT (Bad address)",
                "1 write(1, 0x9, 4) = -1 EFAULT (Bad address)");
  // An address where the other trace printed the contents.
  expect_differ("1 fstat(1, 0x7ffe146ae470) = 0", "1 fstat(1, {st_mode=S_IFIFO|0600, ...}) = 0");
  expect_differ("1 readv(0, [{iov_base=0x7ffe146ae403, iov_len=5}], 1) = 5",
                "1 readv(0, [{iov_base=\"line \", iov_len=5}], 1) = 5");
  expect_differ("1 readv(0, [{iov_base=0x7ffe146ae403, iov_len=5}], 1) = 5",
                "1 readv(0, [{iov_base=0x7ffe146ae403, iov_len=4}], 1) = 5");
  // An unknown syscall's arguments are raw registers: all compared.
  expect_differ(
      "1 syscall_0x3e8(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)",
      "1 syscall_0x3e8(0x1, 0x2, 0x3, 0x4, 0x5, 0x7) = -1 ENOSYS (Function not implemented)");
  // execve's path, arguments and environment count.
  expect_differ("1 execve(\"/a\", [\"/a\"], 0x7ffdd0a92a48 /* 2 vars */) = 0",
                "1 execve(\"/a\", [\"/a\"], 0x7ffdd0a92a48 /* 3 vars */) = 0");
  expect_differ("1 execve(\"/a\", [\"/a\"], 0x7ffdd0a92a48 /* 2 vars */) = 0",
                "1 execve(\"/a\", [\"/a\", \"x\"], 0x7ffdd0a92a48 /* 2 vars */) = 0");
}

TEST(TraceNormaliseTest, DifferingResultsStillDiffer) {
  expect_differ(aligned("1 read(0, \"abc\", 3)", "3"), aligned("1 read(0, \"abc\", 3)", "4"));
  expect_differ("1 write(99, \"x\", 1) = -1 EBADF (Bad file descriptor)",
                "1 write(99, \"x\", 1) = -1 EFAULT (Bad address)");
  expect_differ(aligned("1 getuid()", "1000"), aligned("1 getuid()", "1001"));
  expect_differ(aligned("1 brk(NULL)", "0x80e8000"),
                aligned("1 brk(NULL)", "-1 ENOMEM (Cannot allocate memory)"));
  expect_differ(aligned("1 exit_group(0)", "?"), aligned("1 exit_group(0)", "0"));
  expect_differ(aligned("1 time(NULL)", "1795800155 (2026-11-27T17:22:35+0000)"),
                aligned("1 time(NULL)", "-1 EFAULT (Bad address)"));
}

TEST(TraceNormaliseTest, PidArgumentsSendersAndStackPointers) {
  EXPECT_EQ(normalise_line(aligned("kill(25137, SIGUSR1)", "0")), "kill(<pid>, SIGUSR1) = 0");
  EXPECT_EQ(normalise_line(aligned("tgkill(25137, 25138, SIGUSR1)", "0")),
            "tgkill(<pid>, <pid>, SIGUSR1) = 0");
  // Not a pid: 0 and negative process groups stay.
  EXPECT_EQ(normalise_line(aligned("kill(0, SIGUSR1)", "0")), "kill(0, SIGUSR1) = 0");
  EXPECT_EQ(normalise_line(aligned("kill(-25137, SIGUSR1)", "0")), "kill(-25137, SIGUSR1) = 0");
  EXPECT_EQ(normalise_line("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=25137, "
                           "si_uid=0} ---"),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=<pid>, si_uid=0} ---");
  EXPECT_EQ(normalise_line(aligned("sigaltstack({ss_sp=0x55d1c0a4e2e0, ss_flags=0, "
                                   "ss_size=65536}, NULL)",
                                   "0")),
            "sigaltstack({ss_sp=<addr>, ss_flags=0, ss_size=65536}, NULL) = 0");
  EXPECT_EQ(normalise_line(aligned("rt_sigaction(SIGUSR1, {sa_handler=0x55a0ebff2830, "
                                   "sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7fb5a8d0aaa0}, "
                                   "NULL, 8)",
                                   "0")),
            "rt_sigaction(SIGUSR1, {sa_handler=<addr>, sa_mask=[], sa_flags=SA_RESTORER, "
            "sa_restorer=<addr>}, NULL, 8) = 0");
  expect_differ(aligned("rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, "
                        "NULL, 8)",
                        "0"),
                aligned("rt_sigaction(SIGUSR1, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, "
                        "NULL, 8)",
                        "0"));
  expect_differ(aligned("kill(25137, SIGUSR1)", "0"), aligned("kill(25137, SIGUSR2)", "0"));
  expect_differ("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=1, si_uid=0} ---",
                "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1, si_uid=0} ---");
}

TEST(TraceNormaliseTest, SignalAndExitLinesAreExact) {
  EXPECT_EQ(normalise_line("25137 +++ killed by SIGSEGV +++"), "<pid> +++ killed by SIGSEGV +++");
  expect_differ("25137 +++ exited with 3 +++", "25137 +++ exited with 4 +++");
  expect_differ("25137 +++ killed by SIGSEGV +++", "25137 +++ killed by SIGSEGV (core dumped) +++");
  expect_differ("25137 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
                "25137 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=NULL} ---");
  expect_differ(
      "25137 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
      "25137 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x7f0000000000} ---");
}

TEST(TraceNormaliseTest, PointerArgumentsAndResults) {
  EXPECT_EQ(normalise_line("25121 execve(\"/p\", [\"/p\"], 0x7ffdd0a92a48 /* 2 vars */) = 0"),
            "<pid> execve(\"/p\", [\"/p\"], <addr> /* 2 vars */) = 0");
  EXPECT_EQ(normalise_line("1 mprotect(0x7f5623ea3000, 4096, PROT_READ) = 0"),
            "<pid> mprotect(<addr>, 4096, PROT_READ) = 0");
  EXPECT_EQ(normalise_line(aligned("1 rseq(0x80e8ca0, 0x20, 0, 0x53053053)", "0")),
            "<pid> rseq(<addr>, 0x20, 0, 0x53053053) = 0");
  EXPECT_EQ(normalise_line(aligned("1 ioctl(0, TCGETS, 0x7ffe146ae470)",
                                   "-1 ENOTTY (Inappropriate ioctl for device)")),
            "<pid> ioctl(0, TCGETS, <addr>) = -1 ENOTTY (Inappropriate ioctl for device)");
  EXPECT_EQ(normalise_line("1 readv(99, [{iov_base=0x7ffe146ae403, iov_len=5}, {iov_base=\"ab\", "
                           "iov_len=2}], 2) = -1 EBADF (Bad file descriptor)"),
            "<pid> readv(99, [{iov_base=<addr>, iov_len=5}, {iov_base=\"ab\", iov_len=2}], 2) = "
            "-1 EBADF (Bad file descriptor)");
  EXPECT_EQ(normalise_line("1 mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
                           "-1, 0) = 0x7f5623ea2000"),
            "<pid> mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
            "<addr>");
  // Not a pointer position: a string that looks like an address is compared.
  EXPECT_EQ(normalise_line(aligned("1 write(1, \"0x7ffe146ae470\", 14)", "14")),
            "<pid> write(1, \"0x7ffe146ae470\", 14) = 14");
  EXPECT_EQ(normalise_line(aligned("1 munmap(0x1001, 4096)", "-1 EINVAL (Invalid argument)")),
            "<pid> munmap(0x1001, 4096) = -1 EINVAL (Invalid argument)");
  // A call not in the table: no pointer masking at all.
  EXPECT_EQ(normalise_line(aligned("1 frobnicate(0x7ffe146ae470)", "0")),
            "<pid> frobnicate(0x7ffe146ae470) = 0");
  // A non-address result of an address-returning call.
  EXPECT_EQ(normalise_line("1 mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 "
                           "EINVAL (Invalid argument)"),
            "<pid> mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EINVAL "
            "(Invalid argument)");
}

TEST(TraceNormaliseTest, PidResults) {
  EXPECT_EQ(normalise_line(aligned("1 getpid()", "25161")), "<pid> getpid() = <pid>");
  expect_same(aligned("25161 getppid()", "25156"), aligned("1     getppid()", "0"));
  expect_same(aligned("25121 set_tid_address(0x80e8650)", "25121"),
              aligned("1     set_tid_address(0x4d2650)", "1"));
  // Only the pid calls' results.
  expect_differ(aligned("1 getuid()", "25161"), aligned("1 getuid()", "1"));
}

TEST(TraceNormaliseTest, ClockReadings) {
  expect_same("1 clock_gettime(CLOCK_MONOTONIC, {tv_sec=10530, tv_nsec=975199475}) = 0",
              "1 clock_gettime(CLOCK_MONOTONIC, {tv_sec=3, tv_nsec=5}) = 0");
  expect_differ("1 clock_gettime(CLOCK_MONOTONIC, {tv_sec=10530, tv_nsec=975199475}) = 0",
                "1 clock_gettime(CLOCK_REALTIME, {tv_sec=10530, tv_nsec=975199475}) = 0");
  expect_same("1 gettimeofday({tv_sec=1795800155, tv_usec=266897}, NULL) = 0",
              "1 gettimeofday({tv_sec=1, tv_usec=2}, NULL) = 0");
  EXPECT_EQ(normalise_line("1 time([1795800155 /* 2026-11-27T17:22:35+0000 */]) = 1795800155 "
                           "(2026-11-27T17:22:35+0000)"),
            "<pid> time([<time>]) = <time>");
  // A resolution is a constant.
  expect_differ("1 clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0",
                "1 clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1000}) = 0");
}

TEST(TraceNormaliseTest, RandomBytesAndHostName) {
  EXPECT_EQ(normalise_line("1 getrandom(\"\\xce\\x4b\\x5d\\x7c\\xe3\\x43\\x7a\\xc4\", 8, "
                           "GRND_NONBLOCK) = 8"),
            "<pid> getrandom(\"<random>\", 8, GRND_NONBLOCK) = 8");
  expect_differ("1 getrandom(\"\\xce\", 1, GRND_NONBLOCK) = 1", "1 getrandom(\"\\xce\", 1, 0) = 1");
  expect_differ("1 getrandom(\"\\xce\"..., 64, 0) = 64", "1 getrandom(\"\\xce\", 64, 0) = 64");
  expect_differ("1 getrandom(0x8, 4, 0) = -1 EFAULT (Bad address)",
                "1 getrandom(\"\\xce\\x4b\\x5d\\x7c\", 4, 0) = 4");
  expect_same("1 uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0",
              "1 uname({sysname=\"Linux\", nodename=\"moat\", ...}) = 0");
  expect_differ("1 uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0",
                "1 uname({sysname=\"Linux\", nodename=\"vm\"}) = 0");
  // Only uname's nodename.
  expect_differ("1 write(1, \"nodename=\\\"vm\\\"\", 13) = 13",
                "1 write(1, \"nodename=\\\"xx\\\"\", 13) = 13");
}

TEST(TraceNormaliseTest, TimestampsAndDurations) {
  const NormaliseOptions timed{.pid_prefix = true, .timestamps = true, .durations = true};
  EXPECT_EQ(normalise_line("25282 17:23:07.216722 arch_prctl(ARCH_SET_FS, 0x404138) = 0 <0.000012>",
                           timed),
            "<pid> <ts> arch_prctl(ARCH_SET_FS, <addr>) = 0 <dur>");
  expect_same(aligned("25282 1795800187.222299 getuid()", "0 <0.000010>"),
              aligned("1     1795800188.000001 getuid()", "0 <0.000001>"), timed);
  expect_same(aligned("17:23:07 getuid()", "0 <0.000010>"),
              aligned("17:24:01 getuid()", "0 <0.000001>"),
              {.pid_prefix = false, .timestamps = true, .durations = true});
  EXPECT_EQ(normalise_line("25282 1795800187.222406 +++ exited with 3 +++", timed),
            "<pid> <ts> +++ exited with 3 +++");
  // A line without a duration where -T gives none (a call that never returns)
  // must not match one with a duration.
  expect_differ(aligned("1 17:23:07 exit_group(3)", "?"),
                aligned("1 17:23:07 exit_group(3)", "? <0.000001>"), timed);
  // Without the options, those parts are compared.
  expect_differ(aligned("1 17:23:07 getuid()", "0"), aligned("1 17:23:08 getuid()", "0"));
  expect_differ(aligned("1 getuid()", "0 <0.000010>"), aligned("1 getuid()", "0 <0.000011>"));
}

TEST(TraceNormaliseTest, WholeTrace) {
  const std::string trace = "25145 execve(\"/p\", [\"/p\"], 0x7ffc030a21f8 /* 2 vars */) = 0\n" +
                            aligned("25145 brk(NULL)", "0x19d3f000") + "\n" +
                            aligned("25145 write(1, \"exiting with 3\\n\", 15)", "15") + "\n" +
                            aligned("25145 exit_group(3)", "?") + "\n" +
                            "25145 +++ exited with 3 +++\n";
  const std::vector<std::string> expected = {
      "<pid> execve(\"/p\", [\"/p\"], <addr> /* 2 vars */) = 0",
      "<pid> brk(NULL) = <addr>",
      "<pid> write(1, \"exiting with 3\\n\", 15) = 15",
      "<pid> exit_group(3) = ?",
      "<pid> +++ exited with 3 +++",
  };
  EXPECT_EQ(normalise_trace(trace), expected);
  EXPECT_EQ(normalise_trace(""), std::vector<std::string>{});
  // A last line without its newline is kept.
  EXPECT_EQ(normalise_trace("1 +++ exited with 0 +++"),
            std::vector<std::string>{"<pid> +++ exited with 0 +++"});
}

TEST(TraceNormaliseTest, StringsWithParenthesesAndCommas) {
  EXPECT_EQ(normalise_line(aligned("1 write(1, \"f(x) = 1, [y\", 12)", "12")),
            "<pid> write(1, \"f(x) = 1, [y\", 12) = 12");
  expect_differ("1 write(1, \"f(x) = 1, [y\", 12) = 12", "1 write(1, \"f(x) = 1, [y\", 12) = 11");
}

}  // namespace
}  // namespace moat::integration
