#include "sentry/strace/tracer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <regex>
#include <string>

#include "arch_abi.h"
#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry::strace {
namespace {

// Guest memory: a few byte ranges at fixed addresses; the rest unreadable.
class FakeMemory final : public GuestReader {
 public:
  void put(uint64_t addr, std::string bytes) { m_ranges[addr] = std::move(bytes); }

  bool read(uint64_t addr, void* dst, size_t len) const override {
    for (const auto& [base, bytes] : m_ranges) {
      if (addr >= base && addr + len <= base + bytes.size()) {
        std::memcpy(dst, bytes.data() + (addr - base), len);
        return true;
      }
    }
    return false;
  }

  std::optional<std::string> read_string(uint64_t addr, size_t max_len,
                                         bool* terminated) const override {
    for (const auto& [base, bytes] : m_ranges) {
      if (addr >= base && addr < base + bytes.size()) {
        std::string rest = bytes.substr(addr - base);
        size_t nul = rest.find('\0');
        *terminated = nul != std::string::npos && nul <= max_len;
        return rest.substr(0, std::min(nul, max_len));
      }
    }
    return std::nullopt;
  }

 private:
  std::map<uint64_t, std::string> m_ranges;
};

const SyscallInfo* row(std::string_view name) {
  for (const auto& info : syscall_table()) {
    if (info.name == name) {
      return &info;
    }
  }
  ADD_FAILURE() << "no syscall " << name;
  return nullptr;
}

uint64_t number_of(const SyscallInfo* info) {
  return static_cast<uint64_t>(arch::syscall_number(info->amd64, info->arm64));
}

uint64_t err(int e) {
  return static_cast<uint64_t>(-static_cast<int64_t>(e));
}

// A Tracer writing into a memfd, and what it wrote.
class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override { m_fd = memfd_create("trace", 0); }
  void TearDown() override { close(m_fd); }

  Tracer& make(TraceOptions options = {}, bool to_file = true) {
    m_tracer = std::make_unique<Tracer>(std::move(options), m_fd, to_file);
    m_tracer->task_started(1);
    return *m_tracer;
  }

  void reset() {
    ASSERT_EQ(ftruncate(m_fd, 0), 0);
    ASSERT_EQ(lseek(m_fd, 0, SEEK_SET), 0);
  }

  std::string output() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(m_fd, buf, sizeof(buf), at)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      at += n;
    }
    return out;
  }

  // One whole call: entry then exit with `ret`.
  void call(int tid, std::string_view name, SyscallArgs args, uint64_t ret) {
    const SyscallInfo* info = row(name);
    CallState state;
    m_tracer->syscall_entry(tid, state, number_of(info), info, args, m_memory);
    m_tracer->syscall_exit(tid, state, ret, m_memory);
  }

  int m_fd = -1;
  std::unique_ptr<Tracer> m_tracer;
  FakeMemory m_memory;
};

TEST_F(TracerTest, LinesUpTheResultAtColumnForty) {
  make();
  call(1, "getpid", {}, 42);
  call(1, "brk", {0}, 0x35f4f000);
  EXPECT_EQ(output(),
            "getpid()                                = 42\n"
            "brk(NULL)                               = 0x35f4f000\n");
}

TEST_F(TracerTest, ErrorsAsStrace) {
  make();
  m_memory.put(0x1000, "hi");
  call(1, "write", {99, 0x1000, 2}, err(EBADF));
  EXPECT_EQ(output(),
            "write(99, \"hi\", 2)                      = -1 EBADF (Bad file descriptor)\n");
}

TEST_F(TracerTest, OutputArgumentsArePrintedAtExitAndAddressesOnError) {
  make();
  m_memory.put(0x2000, "abcdef");
  call(1, "read", {0, 0x2000, 10}, 3);
  call(1, "read", {0, 0x2000, 10}, err(EFAULT));
  EXPECT_EQ(output(),
            "read(0, \"abc\", 10)                      = 3\n"
            "read(0, 0x2000, 10)                     = -1 EFAULT (Bad address)\n");
}

TEST_F(TracerTest, PidPrefixWithFollowForksToAFile) {
  TraceOptions options;
  options.follow_forks = true;
  make(options);
  call(1, "getppid", {}, 0);
  EXPECT_EQ(output(), "1     getppid()                         = 0\n");
}

TEST_F(TracerTest, PidPrefixOnStderrOnlyOnceTwoTasksLive) {
  Tracer& tracer = make({}, /*to_file=*/false);
  call(1, "getpid", {}, 1);
  tracer.task_started(2);
  call(2, "gettid", {}, 2);
  tracer.task_ended(2);
  call(1, "getpid", {}, 1);
  EXPECT_EQ(output(),
            "getpid()                                = 1\n"
            "[pid     2] gettid()                    = 2\n"
            "getpid()                                = 1\n");
}

TEST_F(TracerTest, InterleavedCallsAreUnfinishedThenResumed) {
  Tracer& tracer = make({}, false);
  tracer.task_started(2);
  m_memory.put(0x3000, "ok");
  const SyscallInfo* read = row("read");
  CallState blocked;
  tracer.syscall_entry(1, blocked, number_of(read), read, {0, 0x3000, 2}, m_memory);
  call(2, "getpid", {}, 1);
  tracer.syscall_exit(1, blocked, 2, m_memory);
  EXPECT_EQ(output(),
            "[pid     1] read(0,  <unfinished ...>\n"
            "[pid     2] getpid()                    = 1\n"
            "[pid     1] <... read resumed>\"ok\", 2)  = 2\n");
}

TEST_F(TracerTest, CallsThatNeverReturnEndWithQuestionMark) {
  Tracer& tracer = make();
  const SyscallInfo* exit_group = row("exit_group");
  CallState state;
  tracer.syscall_entry(1, state, number_of(exit_group), exit_group, {3}, m_memory);
  tracer.syscall_no_return(1, state);
  tracer.process_exited(1, false, 3);
  EXPECT_EQ(output(),
            "exit_group(3)                           = ?\n"
            "+++ exited with 3 +++\n");
}

TEST_F(TracerTest, FaultSignalAndDeath) {
  Tracer& tracer = make();
  tracer.signal_delivered(1, SIGSEGV, SEGV_MAPERR, 0);
  tracer.process_exited(1, true, SIGSEGV);
  EXPECT_EQ(output(),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---\n"
            "+++ killed by SIGSEGV +++\n");
}

TEST_F(TracerTest, CloneNamesItsArgumentsAsStrace) {
  make();
  // glibc's fork, then a thread-like clone with every exit argument.
  const uint64_t fork_flags = CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD;
  SyscallArgs args{fork_flags, 0, 0, 0, 0, 0};
  args[static_cast<size_t>(arch::kCloneChildTidArg)] = 0x7f00;
  call(1, "clone", args, 2);
  const std::string tid("\x07\x00\x00\x00", 4);
  m_memory.put(0x5000, tid);
  const uint64_t thread_flags = CLONE_VM | CLONE_PARENT_SETTID | CLONE_SETTLS;
  SyscallArgs thread_args{thread_flags, 0x8000, 0x5000, 0, 0, 0};
  thread_args[static_cast<size_t>(arch::kCloneTlsArg)] = 0x9000;
  call(1, "clone", thread_args, 7);
  call(1, "clone", {SIGCHLD, 0, 0, 0, 0, 0}, 8);
  EXPECT_EQ(output(),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
            "child_tidptr=0x7f00) = 2\n"
            "clone(child_stack=0x8000, flags=CLONE_VM|CLONE_SETTLS|CLONE_PARENT_SETTID, "
            "parent_tid=[7], tls=0x9000) = 7\n"
            "clone(child_stack=NULL, flags=SIGCHLD)  = 8\n");
}

TEST_F(TracerTest, SigchldShowsTheChildsStatus) {
  Tracer& tracer = make();
  tracer.signal_delivered(1, SIGCHLD, CLD_EXITED, 2, 3, 1000);
  tracer.signal_delivered(1, SIGCHLD, CLD_KILLED, 3, SIGKILL, 0);
  EXPECT_EQ(output(),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, si_uid=1000, "
            "si_status=3, si_utime=0, si_stime=0} ---\n"
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=3, si_uid=0, "
            "si_status=SIGKILL, si_utime=0, si_stime=0} ---\n");
}

TEST_F(TracerTest, OpenShowsTheModeOnlyWhenItMayCreate) {
  make();
  m_memory.put(0x4000, std::string("/etc/hosts\0", 11));
  call(1, "openat", {static_cast<uint64_t>(AT_FDCWD), 0x4000, O_RDONLY | O_CLOEXEC, 0777}, 3);
  call(1, "openat", {static_cast<uint64_t>(AT_FDCWD), 0x4000, O_WRONLY | O_CREAT | O_TRUNC, 0644},
       err(EACCES));
  EXPECT_EQ(output(),
            "openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY|O_CLOEXEC) = 3\n"
            "openat(AT_FDCWD, \"/etc/hosts\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 EACCES "
            "(Permission denied)\n");
}

TEST_F(TracerTest, UnknownNumbersPrintSixRawArguments) {
  Tracer& tracer = make();
  CallState state;
  tracer.syscall_entry(1, state, 1000, nullptr, {1, 2, 3, 0, 0, 0x10}, m_memory);
  tracer.syscall_exit(1, state, err(ENOSYS), m_memory);
  EXPECT_EQ(output(),
            "syscall_0x3e8(0x1, 0x2, 0x3, 0, 0, 0x10) = -1 ENOSYS (Function not implemented)\n");
}

TEST_F(TracerTest, SuccessfulOnlyAndFailedOnly) {
  TraceOptions successful;
  successful.result_filter = ResultFilter::kSuccessful;
  make(successful);
  call(1, "getpid", {}, 1);
  call(1, "close", {99}, err(EBADF));
  EXPECT_EQ(output(), "getpid()                                = 1\n");

  reset();
  TraceOptions failed;
  failed.result_filter = ResultFilter::kFailed;
  make(failed);
  call(1, "getpid", {}, 1);
  call(1, "close", {99}, err(EBADF));
  EXPECT_EQ(output(), "close(99)                               = -1 EBADF (Bad file descriptor)\n");
}

TEST_F(TracerTest, DurationsAndTimestampShapes) {
  TraceOptions options;
  options.durations = true;
  options.timestamps = Timestamps::kMicros;
  make(options);
  call(1, "getpid", {}, 1);
  EXPECT_TRUE(std::regex_match(
      output(), std::regex(R"(\d\d:\d\d:\d\d\.\d{6} getpid\(\)\s+= 1 <\d+\.\d{6}>\n)")))
      << output();

  reset();
  options.timestamps = Timestamps::kEpochMicros;
  options.durations = false;
  make(options);
  call(1, "getpid", {}, 1);
  EXPECT_TRUE(std::regex_match(output(), std::regex(R"(\d{10}\.\d{6} getpid\(\) += 1\n)")))
      << output();
}

TEST_F(TracerTest, FilterSelectsByNameAndClass) {
  TraceOptions options;
  ASSERT_TRUE(apply_expression("trace=%memory,getpid", options));
  make(options);
  call(1, "getpid", {}, 1);
  call(1, "gettid", {}, 1);
  call(1, "munmap", {0x1000, 4096}, 0);
  EXPECT_EQ(output(),
            "getpid()                                = 1\n"
            "munmap(0x1000, 4096)                    = 0\n");
}

TEST_F(TracerTest, SummaryCountsCallsAndErrors) {
  TraceOptions options;
  options.summary = Summary::kOnly;
  Tracer& tracer = make(options);
  call(1, "getpid", {}, 1);
  call(1, "getpid", {}, 1);
  call(1, "close", {99}, err(EBADF));
  tracer.finish();
  const std::string out = output();
  EXPECT_NE(out.find("% time     seconds  usecs/call     calls    errors syscall\n"
                     "------ ----------- ----------- --------- --------- ----------------\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\n *\d+\.\d\d +\d+\.\d{6} +\d+ +2 +getpid\n)")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\n *\d+\.\d\d +\d+\.\d{6} +\d+ +1 +1 close\n)")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\n100\.00 +\d+\.\d{6} +\d+ +3 +1 total\n$)")))
      << out;
  EXPECT_EQ(out.find("getpid()"), std::string::npos) << "-c prints no trace lines";
}

TEST(TraceExpression, Classes) {
  TraceOptions options;
  ASSERT_TRUE(apply_expression("trace=%file", options));
  auto selected = [&](std::string_view name) {
    return options.traces(static_cast<size_t>(row(name) - syscall_table().data()));
  };
  EXPECT_TRUE(selected("openat"));
  EXPECT_TRUE(selected("newfstatat"));
  EXPECT_FALSE(selected("read"));

  TraceOptions desc;
  ASSERT_TRUE(apply_expression("trace=%desc", desc));
  options = desc;
  EXPECT_TRUE(selected("read"));
  EXPECT_TRUE(selected("openat"));
  EXPECT_TRUE(selected("pipe2"));
  EXPECT_FALSE(selected("connect")) << "strace counts socket calls as %network only";
  EXPECT_FALSE(selected("getpid"));

  TraceOptions negated;
  ASSERT_TRUE(apply_expression("trace=!write,read", negated));
  options = negated;
  EXPECT_FALSE(selected("write"));
  EXPECT_FALSE(selected("read"));
  EXPECT_TRUE(selected("getpid"));
  EXPECT_TRUE(negated.selected_unknown);

  TraceOptions regex;
  ASSERT_TRUE(apply_expression("trace=/^get.id$", regex));
  options = regex;
  EXPECT_TRUE(selected("getpid"));
  EXPECT_TRUE(selected("getuid"));
  EXPECT_FALSE(selected("getppid"));
}

TEST(TraceExpression, Errors) {
  TraceOptions options;
  auto bad = apply_expression("trace=no_such_call", options);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid system call 'no_such_call'");
  EXPECT_TRUE(apply_expression("trace=?no_such_call,write", options));
  EXPECT_FALSE(apply_expression("trace=%nonsense", options));
  EXPECT_FALSE(apply_expression("verbose=all", options));
  EXPECT_TRUE(apply_expression("status=failed", options));
  EXPECT_EQ(options.result_filter, ResultFilter::kFailed);
}

}  // namespace
}  // namespace moat::sentry::strace
