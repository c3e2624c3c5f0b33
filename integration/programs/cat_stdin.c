// Copies stdin to stdout with read(2) and write(2) until end of file.
#include <errno.h>
#include <unistd.h>

static int write_all(const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, buf, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(void) {
  static char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) {
      return 0;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 1;
    }
    if (write_all(buf, (size_t)n) != 0) {
      return 1;
    }
  }
}
