// Two threads hand a token back and forth N times (argv[1], default 10000)
// with futex wait/wake and print the mean cost of one round trip (two
// hand-overs): "ns_per_call <float>". Used by the benchmarks.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// <linux/futex.h>'s values: musl's build has no kernel headers.
enum { kFutexWaitPrivate = 128, kFutexWakePrivate = 129 };

static _Atomic unsigned turn;  // 0: the main thread's, 1: the other's
static long rounds;

static void wait_while(unsigned value) {
  while (atomic_load(&turn) == value) {
    syscall(SYS_futex, &turn, kFutexWaitPrivate, value, NULL, NULL, 0);
  }
}

static void hand_to(unsigned value) {
  atomic_store(&turn, value);
  syscall(SYS_futex, &turn, kFutexWakePrivate, 1, NULL, NULL, 0);
}

static void* other(void* arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    wait_while(0);
    hand_to(0);
  }
  return NULL;
}

int main(int argc, char** argv) {
  rounds = argc > 1 ? atol(argv[1]) : 10000;
  if (rounds <= 0) {
    fprintf(stderr, "usage: futex_pingpong [ROUNDS > 0]\n");
    return 2;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, other, NULL) != 0) {
    return 1;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < rounds; i++) {
    hand_to(1);
    wait_while(1);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  pthread_join(t, NULL);
  double ns = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
  printf("ns_per_call %.2f\n", ns / (double)rounds);
  return 0;
}
