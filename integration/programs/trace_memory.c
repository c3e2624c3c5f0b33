// For trace mode's golden tests: anonymous mappings and the program break,
// with the misuses Linux answers with EINVAL or ENOMEM. Prints nothing that
// depends on the layout.
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char* p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return 1;
  }
  memset(p, 'x', 3 * 4096);
  mprotect(p + 4096, 4096, PROT_READ);
  mprotect(p, 3 * 4096, PROT_NONE);
  munmap(p + 4096, 4096);
  // The middle page is gone: mprotect over the hole fails.
  mprotect(p, 3 * 4096, PROT_READ);
  munmap(p, 3 * 4096);

  // Misuses.
  mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);  // EINVAL: length 0
  mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);  // EINVAL: neither private nor shared
  mmap((void*)0x1001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
       0);                                   // EINVAL: unaligned
  munmap((void*)0x1001, 4096);               // EINVAL: unaligned
  munmap(NULL, 0);                           // EINVAL: length 0
  mprotect((void*)0x1001, 4096, PROT_READ);  // EINVAL: unaligned

  // The program break: grow, touch, shrink, and a query.
  uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
  uintptr_t grown = (uintptr_t)syscall(SYS_brk, start + 5 * 4096);
  if (grown == start + 5 * 4096) {
    memset((void*)start, 'y', 5 * 4096);
  }
  syscall(SYS_brk, start + 4096);
  syscall(SYS_brk, 0);

  // A large mapping, written at both ends.
  size_t big = 64 << 20;
  char* q =
      mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (q != MAP_FAILED) {
    q[0] = 1;
    q[big - 1] = 1;
    munmap(q, big);
  }

  write(1, "memory ok\n", 10);
  return 0;
}
