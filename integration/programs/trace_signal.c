// For trace mode's golden tests: says so, then dies from SIGSEGV writing
// through a NULL pointer.
#include <unistd.h>

int main(void) {
  write(1, "about to fault\n", 15);
  // The pointer itself is volatile too, so the compiler cannot see that it is
  // NULL and replace the store with a trap instruction (which would raise SIGILL).
  volatile int* volatile p = 0;
  *p = 1;
  return 0;
}
