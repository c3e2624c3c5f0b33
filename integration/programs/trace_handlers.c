// For trace mode's golden tests: signal handling that survives. An
// alternate stack, a SIGUSR1 handler with a mask, the signal sent while
// blocked and delivered on unblocking (then rt_sigreturn), and a SIGSEGV
// handler on the alternate stack that recovers with siglongjmp.
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf jump;

static void on_usr1(int signo) {
  (void)signo;
  write(1, "handled\n", 8);
}

static void on_segv(int signo, siginfo_t* info, void* context) {
  (void)signo;
  (void)info;
  (void)context;
  siglongjmp(jump, 1);
}

int main(void) {
  static char alternate[65536];
  stack_t ss;
  memset(&ss, 0, sizeof(ss));
  ss.ss_sp = alternate;
  ss.ss_size = sizeof(alternate);
  sigaltstack(&ss, NULL);
  stack_t old;
  sigaltstack(NULL, &old);

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  kill(getpid(), SIGUSR1);
  sigset_t pending;
  sigpending(&pending);
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  struct sigaction segv;
  memset(&segv, 0, sizeof(segv));
  segv.sa_sigaction = on_segv;
  segv.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &segv, NULL);
  if (sigsetjmp(jump, 1) == 0) {
    volatile int* volatile p = (int*)8;
    *p = 1;
  }
  write(1, "recovered\n", 10);
  return 0;
}
