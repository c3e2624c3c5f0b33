// For trace mode's golden tests: a few calls, then exit status 3.
#include <unistd.h>

int main(void) {
  write(1, "exiting with 3\n", 15);
  write(2, "an error\n", 9);
  getuid();
  return 3;
}
