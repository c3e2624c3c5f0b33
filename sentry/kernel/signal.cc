#include "sentry/kernel/signal.h"

#include <algorithm>

namespace moat::sentry {

SignalInfo SignalInfo::from_process(int signo, int code, int pid, uint32_t uid) {
  SignalInfo info;
  info.signo = signo;
  info.code = code;
  info.fields.kill.pid = pid;
  info.fields.kill.uid = uid;
  return info;
}

SignalInfo SignalInfo::from_fault(int signo, int code, uint64_t addr) {
  SignalInfo info;
  info.signo = signo;
  info.code = code;
  info.fields.fault.addr = addr;
  return info;
}

DefaultAction default_action(int signo) {
  // signal(7)'s table.
  switch (signo) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return DefaultAction::kIgnore;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return DefaultAction::kStop;
    case SIGCONT:
      return DefaultAction::kContinue;
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
      return DefaultAction::kCoreDump;
    default:
      return DefaultAction::kTerminate;  // the rest, real-time signals included
  }
}

bool is_ignored(int signo, const SignalAction& action) {
  if (action.handler == kSigIgn) {
    return true;
  }
  return action.handler == kSigDfl && default_action(signo) == DefaultAction::kIgnore;
}

SignalAction SignalHandlers::get(int signo) const {
  std::lock_guard guard(m_lock);
  return m_actions[signo - 1];
}

void SignalHandlers::set(int signo, const SignalAction& action) {
  std::lock_guard guard(m_lock);
  m_actions[signo - 1] = action;
}

std::shared_ptr<SignalHandlers> SignalHandlers::copy() const {
  auto out = std::make_shared<SignalHandlers>();
  std::lock_guard guard(m_lock);
  out->m_actions = m_actions;
  return out;
}

void SignalHandlers::reset_for_exec() {
  std::lock_guard guard(m_lock);
  for (SignalAction& action : m_actions) {
    if (action.handler != kSigIgn) {
      action = SignalAction{};
    }
    action.flags = 0;
    action.restorer = 0;
    action.mask = 0;
  }
}

void PendingSignals::add(const SignalInfo& info) {
  const SigSet bit = sig_bit(info.signo);
  if (info.signo < kSigRtMin && (m_set & bit) != 0) {
    return;  // a standard signal is pending once
  }
  m_queue.push_back(info);
  m_set |= bit;
}

std::optional<SignalInfo> PendingSignals::take(SigSet blocked) {
  const SigSet ready = m_set & ~blocked;
  if (ready == 0) {
    return std::nullopt;
  }
  // Synchronous faults first (Linux's SYNCHRONOUS_MASK), then the lowest
  // number.
  constexpr SigSet kSynchronous = sig_bit(SIGSEGV) | sig_bit(SIGBUS) | sig_bit(SIGILL) |
                                  sig_bit(SIGTRAP) | sig_bit(SIGFPE) | sig_bit(SIGSYS);
  const SigSet pick = (ready & kSynchronous) != 0 ? ready & kSynchronous : ready;
  const int signo = __builtin_ctzll(pick) + 1;
  auto it = std::find_if(m_queue.begin(), m_queue.end(),
                         [&](const SignalInfo& i) { return i.signo == signo; });
  SignalInfo info = *it;
  m_queue.erase(it);
  if (std::none_of(m_queue.begin(), m_queue.end(),
                   [&](const SignalInfo& i) { return i.signo == signo; })) {
    m_set &= ~sig_bit(signo);
  }
  return info;
}

void PendingSignals::discard(int signo) {
  std::erase_if(m_queue, [&](const SignalInfo& i) { return i.signo == signo; });
  m_set &= ~sig_bit(signo);
}

bool SignalStack::on(uint64_t sp) const {
  if ((m_flags & kSsAutodisarm) != 0) {
    return false;
  }
  return sp > m_sp && sp - m_sp <= m_size;
}

int SignalStack::flags_at(uint64_t sp) const {
  if (m_size == 0) {
    return SS_DISABLE;
  }
  return on(sp) ? SS_ONSTACK : 0;
}

StackT SignalStack::describe(uint64_t sp) const {
  StackT out{};
  out.sp = m_sp;
  out.size = m_size;
  out.flags = flags_at(sp) | static_cast<int32_t>(m_flags & kSsAutodisarm);
  return out;
}

Result<void> SignalStack::change(const StackT& ss, uint64_t sp, uint64_t min_size) {
  if (on(sp)) {
    return Errno::kEPERM;
  }
  const uint32_t flags = static_cast<uint32_t>(ss.flags);
  const uint32_t mode = flags & ~kSsAutodisarm;
  if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0) {
    return Errno::kEINVAL;
  }
  if (mode == SS_DISABLE) {
    m_sp = 0;
    m_size = 0;
  } else {
    if (ss.size < min_size) {
      return Errno::kENOMEM;
    }
    m_sp = ss.sp;
    m_size = ss.size;
  }
  m_flags = flags;
  return {};
}

uint64_t SignalStack::frame_top(uint64_t sp, uint64_t sa_flags) {
  if ((sa_flags & SA_ONSTACK) == 0 || flags_at(sp) != 0) {
    return sp;
  }
  const uint64_t top = m_sp + m_size;
  if ((m_flags & kSsAutodisarm) != 0) {
    m_sp = 0;
    m_size = 0;
    m_flags = 0;
  }
  return top;
}

}  // namespace moat::sentry
