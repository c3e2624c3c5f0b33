#pragma once

#include <cstdint>

namespace moat::sentry {

// How a process ended.
struct ExitStatus {
  bool signaled = false;
  int code = 0;        // exit code (0..255), or the signal number if signaled
  bool fault = false;  // killed by a synchronous fault; fault_address is meaningful
  uint64_t fault_address = 0;

  static ExitStatus exited(int code) { return ExitStatus{false, code & 0xff, false, 0}; }
  static ExitStatus killed(int signo) { return ExitStatus{true, signo, false, 0}; }

  // The wait(2) status word.
  int wait_status() const { return signaled ? (code & 0x7f) : ((code & 0xff) << 8); }
};

}  // namespace moat::sentry
