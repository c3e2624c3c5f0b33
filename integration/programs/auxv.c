/* Prints the auxiliary-vector entries a program can check. */
#include <stdio.h>
#include <sys/auxv.h>

int main(void) {
  const char* platform = (const char*)getauxval(AT_PLATFORM);
  printf("hwcap=%lu\n", getauxval(AT_HWCAP));
  printf("hwcap2=%lu\n", getauxval(AT_HWCAP2));
  printf("pagesz=%lu\n", getauxval(AT_PAGESZ));
  printf("clktck=%lu\n", getauxval(AT_CLKTCK));
  printf("platform=%s\n", platform != NULL ? platform : "(null)");
  printf("random=%d\n", getauxval(AT_RANDOM) != 0);
  printf("secure=%lu\n", getauxval(AT_SECURE));
  return 0;
}
