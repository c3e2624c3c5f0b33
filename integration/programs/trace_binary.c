// For trace mode's golden tests: writes bytes strace must escape (every byte
// value, escapes next to digits, NULs) and buffers longer than strace's -s.
#include <unistd.h>

// The literal without its terminating NUL.
#define WRITE_LITERAL(s) write(1, s, sizeof(s) - 1)

int main(void) {
  unsigned char all[256];
  for (int i = 0; i < 256; i++) {
    all[i] = (unsigned char)i;
  }
  write(1, all, sizeof all);
  // Every byte value at the start of the buffer, 32 at a time, so that the
  // default -s 32 shows each escape once.
  for (int i = 0; i < 256; i += 32) {
    write(1, all + i, 32);
  }
  WRITE_LITERAL("tab\there\nquote\" backslash\\ cr\r vt\v ff\f bell\a esc\033");
  // A NUL or \1 before a digit needs all three octal digits.
  WRITE_LITERAL(
      "\0001\0012\0a\377"
      "9\1779\0");
  WRITE_LITERAL("exactly thirty-two bytes long!!\n");
  WRITE_LITERAL("thirty-three bytes long, just so\n");
  static char big[8192];
  for (unsigned i = 0; i < sizeof big; i++) {
    big[i] = (char)('a' + i % 26);
  }
  big[sizeof big - 1] = '\n';
  write(1, big, sizeof big);
  write(1, "", 0);
  return 0;
}
