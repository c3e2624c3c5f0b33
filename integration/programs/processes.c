// Processes end to end, in the three builds:
//   processes orphans   a child forks a grandchild and exits; the grandchild,
//                       now the first process's, is reaped by it: prints
//                       its parent after the orphaning and its status
//   processes leave     forks a child that sleeps for ever and exits 3: the
//                       end of the first process ends every other one
//   processes bomb      forks sleeping children until it cannot; prints how
//                       many and the error, then exits (which ends them)
//   processes zombies   forks children that exit at once and are never
//                       waited for, until it cannot; prints how many
//   processes chain N   each of N levels forks the next and waits for it;
//                       prints the depth the exit codes add up to
//   processes bench N   N times fork, _exit(0) in the child and waitpid;
//   processes execbench N  the same with an execve of this program (`noop`)
//                       in the child;
//                       prints the mean cost of one: "ns_per_call <float>"
//                       (the benchmarks)
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int orphans(void) {
  // No pipes yet: the grandchild reports by its exit status.
  pid_t child = fork();
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      sleep_ms(100);  // its parent is gone by now
      _exit(getppid() == 1 ? 42 : 43);
    }
    _exit(grandchild > 0 ? 0 : 1);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || status != 0) {
    printf("child: %#x\n", status);
    return 1;
  }
  pid_t reaped = wait(&status);
  if (reaped <= 0) {
    printf("wait: %s\n", strerror(errno));
    return 1;
  }
  printf("grandchild %s, exit %d\n", WEXITSTATUS(status) == 42 ? "adopted by 1" : "not adopted",
         WEXITSTATUS(status));
  return 0;
}

static int leave(void) {
  if (fork() == 0) {
    for (;;) {
      pause();
    }
  }
  return 3;
}

static int bomb(void) {
  int started = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) {
        pause();
      }
    }
    if (pid < 0) {
      printf("forked %d then %s\n", started, errno == EAGAIN ? "EAGAIN" : strerror(errno));
      fflush(stdout);
      return 0;
    }
    ++started;
  }
}

static int zombies(void) {
  int started = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      _exit(0);
    }
    if (pid < 0) {
      printf("forked %d then %s\n", started, errno == EAGAIN ? "EAGAIN" : strerror(errno));
      return 0;
    }
    ++started;
  }
}

static int chain(int depth) {
  if (depth == 0) {
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    return 200;
  }
  if (pid == 0) {
    _exit(chain(depth - 1));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    return 201;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) + 1 : 202;
}

// With `self`, the child execs this program (`self noop`) instead of
// exiting at once: fork + exec + exit + wait.
static int bench(long n, const char* self) {
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      if (self != NULL) {
        char* const args[] = {(char*)self, (char*)"noop", NULL};
        execv(self, args);
        _exit(127);
      }
      _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
      perror("fork/waitpid");
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  const double ns = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
  printf("ns_per_call %.1f\n", ns / (double)n);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "orphans") == 0) {
    return orphans();
  }
  if (argc >= 2 && strcmp(argv[1], "leave") == 0) {
    return leave();
  }
  if (argc >= 2 && strcmp(argv[1], "bomb") == 0) {
    return bomb();
  }
  if (argc >= 2 && strcmp(argv[1], "zombies") == 0) {
    return zombies();
  }
  if (argc >= 3 && strcmp(argv[1], "chain") == 0) {
    printf("depth %d\n", chain(atoi(argv[2])));
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "bench") == 0) {
    return bench(atol(argv[2]), NULL);
  }
  if (argc >= 3 && strcmp(argv[1], "execbench") == 0) {
    return bench(atol(argv[2]), argv[0]);
  }
  if (argc >= 2 && strcmp(argv[1], "noop") == 0) {
    return 0;
  }
  fprintf(stderr, "usage: processes orphans|leave|bomb|zombies|chain N|bench N|execbench N|noop\n");
  return 2;
}
