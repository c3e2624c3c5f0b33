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
  while (!should_stop()) {
    auto trap = TRY(m_vcpu->run());
    switch (trap.kind) {
      case platform::Trap::Kind::kSyscall:
        dispatch_syscall(*this);
        break;
      case platform::Trap::Kind::kPageFault:
        handle_page_fault(trap);
        break;
      case platform::Trap::Kind::kException:
        log::sentry().debug("tid {}: exception {:#x} at {:#x}", m_tid, trap.vector, trap.address);
        force_fault_signal(arch::exception_signal(trap, regs()));
        break;
      case platform::Trap::Kind::kInterrupted:
        break;
    }
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
    force_signal(SIGKILL);
    return;
  }
  force_fault_signal({SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, trap.address});
}

void Task::force_fault_signal(const FaultSignal& signal) {
  log::sentry().debug("tid {}: signal {} code {} address {:#x}; {}", m_tid, signal.signo,
                      signal.code, signal.address, arch::format_registers(regs()));
  if (strace::Tracer* tracer = m_kernel.tracer()) {
    tracer->signal_delivered(m_tid, signal.signo, signal.code, signal.address);
  }
  // FIXME: signal handlers arrive with the signals issue; until then every
  // fault takes the default action, which for these signals ends the process.
  ExitStatus status = ExitStatus::killed(signal.signo);
  status.fault = true;
  status.fault_address = signal.address;
  exit_group(status);
}

void Task::force_signal(int signo) {
  exit_group(ExitStatus::killed(signo));
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
