// What one process can check about how it was started: argv, the
// environment, the auxiliary vector. Its main also serves the runner's exit
// probes: `process_test --moat-exit=SYSCALL:CODE` ends the process at once
// with exit or exit_group, and the runner checks the exit status.

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/util/syscall_test_util.h"

extern char** environ;

namespace {

int g_argc;
char** g_argv;

TEST(Process, ArgvIsTerminatedAndNamesThisProgram) {
  ASSERT_GE(g_argc, 1);
  EXPECT_EQ(g_argv[g_argc], nullptr);
  std::string arg0 = g_argv[0];
  EXPECT_EQ(arg0.substr(arg0.rfind('/') + 1), "process_test");
}

TEST(Process, EnvironmentIsPassed) {
  ASSERT_NE(environ, nullptr);
  // The runner sets this variable for every run.
  const char* value = getenv("MOAT_CONFORMANCE");
  ASSERT_NE(value, nullptr);
  EXPECT_STREQ(value, "1");
}

TEST(Process, AuxiliaryVector) {
  EXPECT_EQ(getauxval(AT_PAGESZ), static_cast<unsigned long>(sysconf(_SC_PAGESIZE)));
  EXPECT_NE(getauxval(AT_PHDR), 0u);
  EXPECT_EQ(getauxval(AT_PHENT), sizeof(ElfW(Phdr)));
  EXPECT_NE(getauxval(AT_PHNUM), 0u);
  EXPECT_NE(getauxval(AT_ENTRY), 0u);
  EXPECT_EQ(getauxval(AT_UID), static_cast<unsigned long>(syscall(SYS_getuid)));
  EXPECT_EQ(getauxval(AT_EUID), static_cast<unsigned long>(syscall(SYS_geteuid)));
  EXPECT_EQ(getauxval(AT_GID), static_cast<unsigned long>(syscall(SYS_getgid)));
  EXPECT_EQ(getauxval(AT_EGID), static_cast<unsigned long>(syscall(SYS_getegid)));
  EXPECT_EQ(getauxval(AT_SECURE), 0u);
  auto* random = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM));
  ASSERT_NE(random, nullptr);
  static const unsigned char kZero[16] = {};
  EXPECT_NE(memcmp(random, kZero, sizeof kZero), 0);
  auto* execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  ASSERT_NE(execfn, nullptr);
  EXPECT_STREQ(execfn, g_argv[0]);
}

TEST(Process, StackIsAboveTheProgram) {
  int local = 0;
  EXPECT_GT(reinterpret_cast<unsigned long>(&local), getauxval(AT_PHDR));
  EXPECT_GT(reinterpret_cast<unsigned long>(g_argv), reinterpret_cast<unsigned long>(&local));
}

// `--moat-exit=exit:CODE` or `--moat-exit=exit_group:CODE`.
void run_exit_probe(const char* spec) {
  const char* colon = strchr(spec, ':');
  if (colon == nullptr) {
    _exit(100);
  }
  std::string call(spec, colon);
  long code = strtol(colon + 1, nullptr, 10);
  if (call == "exit") {
    syscall(SYS_exit, code);
  } else if (call == "exit_group") {
    syscall(SYS_exit_group, code);
  }
  _exit(101);
}

}  // namespace

// A process that has started no children (the test programs never fork).
TEST(Wait, NoChildrenIsEchildAfterTheArgumentChecks) {
  MOAT_COVERS("wait4", "waitid");
  int status = 0;
  EXPECT_FAILS_WITH(syscall(SYS_wait4, -1, &status, 0, nullptr), ECHILD);
  EXPECT_FAILS_WITH(syscall(SYS_wait4, -1, &status, WNOHANG, nullptr), ECHILD);
  EXPECT_FAILS_WITH(syscall(SYS_wait4, 12345, &status, 0, nullptr), ECHILD);
  EXPECT_FAILS_WITH(syscall(SYS_wait4, -1, &status, 0x10000000, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_wait4, INT_MIN, &status, 0, nullptr), ESRCH);
  siginfo_t info{};
  EXPECT_FAILS_WITH(syscall(SYS_waitid, P_ALL, 0, &info, WEXITED, nullptr), ECHILD);
  EXPECT_FAILS_WITH(syscall(SYS_waitid, P_PID, 12345, &info, WEXITED | WNOHANG, nullptr), ECHILD);
  EXPECT_FAILS_WITH(syscall(SYS_waitid, P_ALL, 0, &info, 0, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_waitid, 42, 0, &info, WEXITED, nullptr), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_waitid, P_ALL, 0, &info, WEXITED | 0x10000000, nullptr), EINVAL);
}

int main(int argc, char** argv) {
  static constexpr char kExitFlag[] = "--moat-exit=";
  if (argc == 2 && strncmp(argv[1], kExitFlag, sizeof kExitFlag - 1) == 0) {
    run_exit_probe(argv[1] + sizeof kExitFlag - 1);
  }
  g_argc = argc;
  g_argv = argv;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
