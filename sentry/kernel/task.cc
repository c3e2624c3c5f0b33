#include "sentry/kernel/task.h"

#include <csignal>

#include "arch_abi.h"
#include "base/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry {

Task::Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
           std::shared_ptr<MemoryManager> mm, std::shared_ptr<FdTable> fds,
           std::unique_ptr<platform::Vcpu> vcpu)
    : m_kernel(kernel),
      m_tid(tid),
      m_group(std::move(group)),
      m_mm(std::move(mm)),
      m_fds(std::move(fds)),
      m_vcpu(std::move(vcpu)) {}

bool Task::should_stop() const {
  return m_exited || m_group->exiting();
}

Result<void, Error> Task::run() {
  deliver_signals();
  while (!should_stop()) {
    auto trap = TRY(m_vcpu->run());
    switch (trap.kind) {
      case platform::Trap::Kind::kSyscall:
        dispatch_syscall(*this);
        break;
      case platform::Trap::Kind::kPageFault:
        handle_page_fault(trap);
        break;
      case platform::Trap::Kind::kException: {
        log::sentry().debug("tid {}: exception {:#x} at {:#x}", m_tid, trap.vector, trap.address);
        FaultSignal signal = arch::exception_signal(trap, regs());
        signal.trap_no = trap.vector;  // for the frame: trapno and err, or the ESR
        signal.error_code = trap.error_code;
        force_fault_signal(signal);
        break;
      }
      case platform::Trap::Kind::kInterrupted:
        break;
    }
    deliver_signals();
  }
  return {};
}

void Task::handle_page_fault(const platform::Trap& trap) {
  bool mapped = false;
  auto result = m_mm->handle_fault(trap.address, trap.access, &mapped);
  if (result) {
    return;
  }
  if (result.error() == Errno::kENOMEM) {
    // Linux's OOM killer would pick a victim; in a sandbox it is the guest.
    log::sentry().warn("out of guest memory handling a fault at {:#x}", trap.address);
    force_kill();
    return;
  }
  force_fault_signal(arch::page_fault_signal(trap, mapped));
}

void Task::force_fault_signal(const FaultSignal& signal) {
  log::sentry().debug("tid {}: signal {} code {} address {:#x}; {}", m_tid, signal.signo,
                      signal.code, signal.address, arch::format_registers(regs()));
  SignalHandlers& handlers = m_group->signal_handlers();
  const SignalAction action = handlers.get(signal.signo);
  const bool blocked = (m_blocked & sig_bit(signal.signo)) != 0;
  if (blocked || action.handler == kSigIgn) {
    handlers.set(signal.signo, SignalAction{});
    m_blocked &= ~sig_bit(signal.signo);
  }
  m_last_fault = signal;
  send_signal(SignalInfo::from_fault(signal.signo, signal.code, signal.address));
}

void Task::force_kill() {
  exit_group(ExitStatus::killed(SIGKILL));
}

void Task::send_signal(const SignalInfo& info) {
  std::lock_guard guard(m_group->lock());
  m_pending.add(info);
}

SigSet Task::pending_signals() {
  std::lock_guard guard(m_group->lock());
  return m_pending.set() | m_group->shared_pending().set();
}

void Task::discard_pending_signal(int signo) {
  std::lock_guard guard(m_group->lock());
  m_pending.discard(signo);
  m_group->shared_pending().discard(signo);
}

std::optional<SignalInfo> Task::take_signal() {
  std::lock_guard guard(m_group->lock());
  for (SigSet posted = m_kernel.take_host_signals(); posted != 0; posted &= posted - 1) {
    // From outside the sandbox: Linux reports si_pid 0 for a sender in
    // another pid namespace.
    const int signo = __builtin_ctzll(posted) + 1;
    m_group->shared_pending().add(SignalInfo::from_process(signo, SI_USER, 0, 0));
  }
  if (auto info = m_pending.take(m_blocked)) {
    return info;
  }
  return m_group->shared_pending().take(m_blocked);
}

void Task::deliver_signals() {
  while (!should_stop()) {
    const std::optional<SignalInfo> info = take_signal();
    if (!info) {
      return;
    }
    deliver(*info);
  }
}

void Task::deliver(const SignalInfo& info) {
  const int signo = info.signo;
  if (strace::Tracer* tracer = m_kernel.tracer()) {
    const bool fault = info.code > 0 && is_fault_signal(signo);
    tracer->signal_delivered(
        m_tid, signo, info.code,
        fault ? info.fields.fault.addr : static_cast<uint64_t>(info.fields.kill.pid),
        fault ? 0 : static_cast<int>(info.fields.kill.uid));
  }
  SignalHandlers& handlers = m_group->signal_handlers();
  const SignalAction action = handlers.get(signo);
  if (action.handler == kSigIgn) {
    return;
  }
  if (action.handler == kSigDfl) {
    ExitStatus status = ExitStatus::killed(signo);
    switch (default_action(signo)) {
      case DefaultAction::kIgnore:
      case DefaultAction::kContinue:
        return;
      case DefaultAction::kStop:
        // FIXME: job control (stopping until SIGCONT) comes with process
        // groups and wait(2)'s WUNTRACED; until then a stop signal does
        // nothing, as if the process were orphaned.
        log::sentry().warn("tid {}: {} would stop the process; moat has no job control yet", m_tid,
                           signo);
        return;
      case DefaultAction::kCoreDump:
        // moat writes no core file, so the status never says "core dumped".
        if (info.code > 0 && is_fault_signal(signo)) {
          status.fault = true;
          status.fault_address = info.fields.fault.addr;
        }
        break;
      case DefaultAction::kTerminate:
        break;
    }
    exit_group(status);
    return;
  }
  const SigSet old_mask = m_blocked;
  if (auto built = arch::setup_signal_frame(*this, info, action, old_mask); !built) {
    // Linux's force_sigsegv: a frame that cannot be written kills.
    log::sentry().debug("tid {}: cannot write the frame for signal {}: {}", m_tid, signo,
                        errno_name(built.error()));
    exit_group(ExitStatus::killed(SIGSEGV));
    return;
  }
  SigSet mask = m_blocked | action.mask;
  if ((action.flags & SA_NODEFER) == 0) {
    mask |= sig_bit(signo);
  }
  set_signal_mask(mask);
  if ((action.flags & SA_RESETHAND) != 0) {
    SignalAction reset = action;
    reset.handler = kSigDfl;
    handlers.set(signo, reset);
  }
}

void Task::exit_thread(int code) {
  // FIXME: with one thread per process for now, the last thread out is this one.
  m_exited = true;
  m_group->set_exit(ExitStatus::exited(code));
}

void Task::exit_group(ExitStatus status) {
  m_exited = true;
  m_group->set_exit(status);
}

}  // namespace moat::sentry
