// Prints uname fields, the process ids and whether stdio are terminals, one
// "key=value" per line.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
  struct utsname u;
  if (uname(&u) != 0) {
    perror("uname");
    return 1;
  }
  printf("sysname=%s\n", u.sysname);
  printf("release=%s\n", u.release);
  printf("machine=%s\n", u.machine);
  printf("uid=%ld\n", (long)getuid());
  printf("euid=%ld\n", (long)geteuid());
  printf("gid=%ld\n", (long)getgid());
  printf("egid=%ld\n", (long)getegid());
  printf("pid=%ld\n", (long)getpid());
  printf("ppid=%ld\n", (long)getppid());
  printf("tid=%ld\n", (long)syscall(SYS_gettid));
  printf("isatty0=%d\n", isatty(0));
  printf("isatty1=%d\n", isatty(1));
  printf("isatty2=%d\n", isatty(2));
  return 0;
}
