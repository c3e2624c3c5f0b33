// Threads end to end, in the three builds (glibc's pthread_create uses
// clone3, musl's clone):
//   threads join N       N threads add up their shares under a mutex while
//                        another waits on a condition variable for all of
//                        it; prints the sum
//   threads exit_code    a thread calls exit(7) while others sleep in a
//                        condition variable, in nanosleep and in a busy loop
//   threads main_exits   main calls pthread_exit; the last thread prints
//   threads fault        a thread dereferences NULL while others run
//   threads term         SIGTERM (default action) while a thread spins
//   threads bomb         starts sleeping threads until it cannot; prints how
//                        many and the error
//   threads read_exit    a thread calls exit(5) while another blocks reading
//                        stdin (give it a stdin that stays open)
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static volatile long sum;
static long additions;        // under lock
static long total_additions;  // set before the threads start

static void* add_share(void* arg) {
  long n = (long)arg;
  for (long i = 0; i < 1000; ++i) {
    pthread_mutex_lock(&lock);
    sum += n;
    if (++additions % 64 == 0 || additions == total_additions) {
      pthread_cond_broadcast(&progress);
    }
    pthread_mutex_unlock(&lock);
  }
  return (void*)(n * 2);
}

static void* watch(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  while (additions < total_additions) {
    pthread_cond_wait(&progress, &lock);
  }
  long seen = additions;
  pthread_mutex_unlock(&lock);
  return (void*)seen;
}

static void* wait_forever(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    pthread_cond_wait(&never, &lock);
  }
  return NULL;
}

static void* sleep_long(void* arg) {
  (void)arg;
  struct timespec t = {1000, 0};
  nanosleep(&t, NULL);
  return NULL;
}

static void* spin(void* arg) {
  (void)arg;
  for (volatile unsigned long i = 0;; ++i) {
  }
  return NULL;
}

static void* exit_seven(void* arg) {
  (void)arg;
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
  exit(7);
}

static void* print_late(void* arg) {
  (void)arg;
  struct timespec t = {0, 50 * 1000 * 1000};
  nanosleep(&t, NULL);
  printf("last thread\n");
  fflush(stdout);
  return NULL;
}

static void* null_deref(void* arg) {
  (void)arg;
  struct timespec t = {0, 20 * 1000 * 1000};
  nanosleep(&t, NULL);
  return (void*)(long)*(volatile int*)0;
}

static void* read_stdin(void* arg) {
  (void)arg;
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return NULL;
}

static void* exit_five(void* arg) {
  (void)arg;
  struct timespec t = {0, 50 * 1000 * 1000};
  nanosleep(&t, NULL);
  exit(5);
}

static pthread_t start(void* (*fn)(void*), void* arg) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, arg) != 0) {
    perror("pthread_create");
    exit(100);
  }
  return t;
}

static void background(void) {
  start(wait_forever, NULL);
  start(sleep_long, NULL);
  start(spin, NULL);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "join";
  if (strcmp(mode, "join") == 0) {
    long n = argc > 2 ? atol(argv[2]) : 4;
    pthread_t threads[64];
    if (n < 1 || n > 64) {
      return 2;
    }
    total_additions = n * 1000;
    pthread_t watcher = start(watch, NULL);
    for (long i = 0; i < n; ++i) {
      threads[i] = start(add_share, (void*)(i + 1));
    }
    long returned = 0;
    for (long i = 0; i < n; ++i) {
      void* r;
      pthread_join(threads[i], &r);
      returned += (long)r;
    }
    void* seen;
    pthread_join(watcher, &seen);
    printf("sum %ld returned %ld watched %ld\n", sum, returned, (long)seen);
    return 0;
  }
  if (strcmp(mode, "exit_code") == 0) {
    background();
    start(exit_seven, NULL);
    pause();
    return 1;
  }
  if (strcmp(mode, "main_exits") == 0) {
    start(print_late, NULL);
    pthread_exit(NULL);
  }
  if (strcmp(mode, "fault") == 0) {
    background();
    start(null_deref, NULL);
    pause();
    return 1;
  }
  if (strcmp(mode, "bomb") == 0) {
    long started = 0;
    int err = 0;
    for (; started < 100000; ++started) {
      pthread_t t;
      err = pthread_create(&t, NULL, wait_forever, NULL);
      if (err != 0) {
        break;
      }
    }
    printf("started %ld then %s\n", started, err == EAGAIN ? "EAGAIN" : strerror(err));
    fflush(stdout);
    _exit(0);
  }
  if (strcmp(mode, "read_exit") == 0) {
    start(exit_five, NULL);
    read_stdin(NULL);
    return 1;
  }
  if (strcmp(mode, "term") == 0) {
    start(spin, NULL);
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    kill(getpid(), SIGTERM);
    pause();
    return 1;
  }
  return 2;
}
