// For trace mode's golden tests: reads and writes stdio in every way moat
// supports, with deliberate failures. stdin must be a pipe holding exactly
// "line one\nline two\nthe rest of stdin\n" (the test fills it before the
// program starts, so every read returns the same count natively and in moat).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
  char line[16];
  ssize_t n = read(0, line, 9);  // "line one\n"
  if (n > 0) {
    write(1, line, (size_t)n);
  }

  char a[5], b[4];
  struct iovec in[2] = {{a, sizeof a}, {b, sizeof b}};  // "line two\n"
  n = readv(0, in, 2);
  struct iovec out[3] = {{"readv: ", 7}, {a, sizeof a}, {b, sizeof b}};
  if (n == 9) {
    writev(1, out, 3);
  }

  struct stat st;
  fstat(0, &st);
  syscall(SYS_newfstatat, 1, "", &st, AT_EMPTY_PATH);

  // Pipes are not terminals.
  struct termios tio;
  ioctl(0, TCGETS, &tio);
  struct winsize ws;
  ioctl(1, TIOCGWINSZ, &ws);

  // Closed descriptors.
  write(99, "x", 1);
  read(99, line, sizeof line);
  syscall(SYS_fstat, 99, &st);  // musl's fstat() would go on to fcntl
  writev(99, out, 3);
  readv(99, in, 2);

  // Bad buffers: EFAULT, and nothing is consumed or written.
  syscall(SYS_write, 1, (void*)8, 4);
  syscall(SYS_read, 0, (void*)8, 4);

  // The rest of stdin, in one read.
  char rest[64];
  n = read(0, rest, sizeof rest);
  if (n > 0) {
    write(1, rest, (size_t)n);
  }
  n = read(0, rest, sizeof rest);  // end of file: 0
  return n == 0 ? 0 : 1;
}
