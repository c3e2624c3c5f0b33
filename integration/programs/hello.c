// Prints a greeting: the smallest useful guest program.
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
