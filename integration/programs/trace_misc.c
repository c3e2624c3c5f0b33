// For trace mode's golden tests: the remaining syscalls moat supports, called
// directly (libc would answer clocks from the vDSO, which strace cannot see),
// and a syscall number Linux does not have.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct utsname u;
  syscall(SYS_uname, &u);

  char random[16];
  syscall(SYS_getrandom, random, sizeof random, 0);
  syscall(SYS_getrandom, random, 5, 1 /* GRND_NONBLOCK */);
  syscall(SYS_getrandom, (void*)8, 4, 0);  // EFAULT

  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
  syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts);
  syscall(SYS_clock_gettime, 1000, &ts);  // EINVAL: no such clock
  struct timeval tv;
  syscall(SYS_gettimeofday, &tv, NULL);
#ifdef SYS_time
  time_t t;
  syscall(SYS_time, &t);
  syscall(SYS_time, NULL);
#endif

  syscall(SYS_getuid);
  syscall(SYS_geteuid);
  syscall(SYS_getgid);
  syscall(SYS_getegid);
  uid_t r, e, s;
  syscall(SYS_getresuid, &r, &e, &s);
  gid_t gr, ge, gs;
  syscall(SYS_getresgid, &gr, &ge, &gs);
  syscall(SYS_getpid);
  syscall(SYS_gettid);
  syscall(SYS_getppid);

  struct rlimit rl;
  syscall(SYS_getrlimit, RLIMIT_CORE, &rl);
  syscall(SYS_setrlimit, RLIMIT_CORE, &rl);
  syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl);
  syscall(SYS_getrlimit, 1000, &rl);  // EINVAL: no such resource

  char exe[256];
#ifdef SYS_readlink
  syscall(SYS_readlink, "/proc/self/exe", exe, sizeof exe);
#endif
  syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, 4);  // truncated

  syscall(SYS_sched_yield);
  syscall(1000, 1, 2, 3, 4, 5, 6);  // ENOSYS: Linux has no syscall 1000

  write(1, "misc ok\n", 8);
  return 0;
}
