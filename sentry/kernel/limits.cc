#include "sentry/kernel/limits.h"

namespace moat::sentry {

Limits::Limits() {
  m_limits[RLIMIT_STACK] = {8ull << 20, kRlimInfinity};
  m_limits[RLIMIT_CORE] = {0, kRlimInfinity};
  m_limits[RLIMIT_NPROC] = {4096, 4096};
  m_limits[RLIMIT_NOFILE] = {1024, 524288};
  m_limits[RLIMIT_MEMLOCK] = {8ull << 20, 8ull << 20};
  m_limits[RLIMIT_SIGPENDING] = {4096, 4096};
  m_limits[RLIMIT_MSGQUEUE] = {819200, 819200};
  m_limits[RLIMIT_NICE] = {0, 0};
  m_limits[RLIMIT_RTPRIO] = {0, 0};
}

}  // namespace moat::sentry
