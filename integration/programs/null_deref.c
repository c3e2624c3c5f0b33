// Writes through a NULL pointer; the program must die by SIGSEGV at address 0.
int main(void) {
  // The pointer itself is volatile too, so the compiler cannot see that it is
  // NULL and replace the store with a trap instruction (which would raise SIGILL).
  volatile int* volatile p = 0;
  *p = 1;
  return 0;
}
