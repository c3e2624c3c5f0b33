#include "sentry/kernel/task.h"

#include <linux/futex.h>

#include <csignal>

#include "arch_abi.h"
#include "base/log.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry {
namespace {

thread_local Task* t_current = nullptr;

// Sets the calling host thread's task for the life of Task::run.
class CurrentTask {
 public:
  explicit CurrentTask(Task* task) { t_current = task; }
  ~CurrentTask() { t_current = nullptr; }
  CurrentTask(const CurrentTask&) = delete;
  CurrentTask& operator=(const CurrentTask&) = delete;
};

bool is_restart_code(int64_t ret) {
  return ret == -to_int(Errno::kERESTARTSYS) || ret == -to_int(Errno::kERESTARTNOINTR) ||
         ret == -to_int(Errno::kERESTARTNOHAND);
}

}  // namespace

Task::Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
           std::shared_ptr<MemoryManager> mm, std::shared_ptr<FdTable> fds,
           std::shared_ptr<FsContext> fs, std::unique_ptr<platform::Vcpu> vcpu)
    : m_kernel(kernel),
      m_tid(tid),
      m_group(std::move(group)),
      m_mm(std::move(mm)),
      m_fds(std::move(fds)),
      m_fs(std::move(fs)),
      m_vcpu(std::move(vcpu)) {}

Task::~Task() {
  if (m_vcpu) {
    m_kernel.recycle_vcpu(std::move(m_vcpu));
  }
}

Task* Task::current() {
  return t_current;
}

bool Task::should_stop() const {
  return m_exited.load(std::memory_order_acquire) || m_group->exiting();
}

Result<void, Error> Task::run() {
  const CurrentTask current(this);
  Result<void, Error> result;
  deliver_signals();
  while (!should_stop()) {
    auto trap = m_vcpu->run();
    if (!trap) {
      result = trap.error();
      exit_group(ExitStatus::killed(SIGKILL));
      break;
    }
    switch (trap->kind) {
      case platform::Trap::Kind::kSyscall: {
        const uint64_t number = arch::syscall_number(regs());
        const uint64_t arg0 = arch::syscall_args(regs())[0];
        dispatch_syscall(*this);
        const auto ret = static_cast<int64_t>(arch::syscall_return(regs()));
        if (is_restart_code(ret)) [[unlikely]] {
          m_restart = Restart{ret, number, arg0};
        }
        break;
      }
      case platform::Trap::Kind::kPageFault:
        handle_page_fault(*trap);
        break;
      case platform::Trap::Kind::kException: {
        log::sentry().debug("tid {}: exception {:#x} at {:#x}", m_tid, trap->vector, trap->address);
        FaultSignal signal = arch::exception_signal(*trap, regs());
        signal.trap_no = trap->vector;  // for the frame: trapno and err, or the ESR
        signal.error_code = trap->error_code;
        force_fault_signal(signal);
        break;
      }
      case platform::Trap::Kind::kInterrupted:
        break;
    }
    deliver_signals();
  }
  m_vcpu->release_thread();
  release_on_exit();
  return result;
}

void Task::release_on_exit() {
  // Linux's mm_release: the robust futexes first, then CLONE_CHILD_CLEARTID's
  // word is zeroed and one waiter woken (how pthread_join learns of the end).
  // Both only matter to threads that outlive this one.
  walk_robust_list();
  if (clear_child_tid != 0) {
    if (auto word = futex_word(*m_mm, clear_child_tid, true)) {
      __atomic_store_n(*word, 0u, __ATOMIC_SEQ_CST);
      m_kernel.futexes().wake(*m_mm, clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
    }
  }
}

// Linux's exit_robust_list: every futex the thread still holds on its robust
// list (and the one it was acquiring) gets FUTEX_OWNER_DIED and a waiter is
// woken. A malformed list stops the walk, as in Linux; at most
// ROBUST_LIST_LIMIT entries, so a cycle cannot hold the thread.
void Task::walk_robust_list() {
  if (robust_list_head == 0) {
    return;
  }
  struct Head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t pending;
  } head{};
  if (!m_mm->copy_in(robust_list_head, std::as_writable_bytes(std::span(&head, 1)))) {
    return;
  }
  const uint32_t tid = static_cast<uint32_t>(m_tid);
  auto handle = [&](uint64_t entry, bool pending) {
    const uint64_t addr = entry + static_cast<uint64_t>(head.futex_offset);
    if ((addr & 3) != 0) {
      return;
    }
    auto word = futex_word(*m_mm, addr, true);
    if (!word) {
      return;
    }
    uint32_t value = __atomic_load_n(*word, __ATOMIC_SEQ_CST);
    for (;;) {
      if ((value & FUTEX_TID_MASK) != tid) {
        return;  // not ours (a pending entry that was never taken)
      }
      const uint32_t died = (value & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
      if (__atomic_compare_exchange_n(*word, &value, died, false, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST)) {
        break;
      }
    }
    if (!pending || (value & FUTEX_WAITERS) != 0) {
      m_kernel.futexes().wake(*m_mm, addr, 1, FUTEX_BITSET_MATCH_ANY);
    }
  };
  // The low bit of an entry marks a priority-inheritance futex: still an entry.
  uint64_t entry = head.next & ~uint64_t{1};
  for (int i = 0; i < ROBUST_LIST_LIMIT && entry != robust_list_head; ++i) {
    uint64_t next = 0;
    if (!m_mm->copy_in(entry, std::as_writable_bytes(std::span(&next, 1)))) {
      break;
    }
    if (entry != (head.pending & ~uint64_t{1})) {
      handle(entry, false);
    }
    entry = next & ~uint64_t{1};
  }
  if (head.pending != 0) {
    handle(head.pending & ~uint64_t{1}, true);
  }
}

WakeReason Task::sleep(const std::optional<Deadline>& deadline, const std::function<bool()>& woken,
                       SleepMode mode) {
  std::unique_lock lock(m_sleep_lock);
  for (;;) {
    if (woken()) {
      return WakeReason::kWoken;
    }
    if (mode == SleepMode::kKillable ? should_stop() : interrupted()) {
      return WakeReason::kInterrupted;
    }
    if (!deadline) {
      m_sleep_cv.wait(lock);
      continue;
    }
    std::cv_status status;
    const auto since_epoch =
        std::chrono::seconds(deadline->at.tv_sec) + std::chrono::nanoseconds(deadline->at.tv_nsec);
    if (deadline->clock == CLOCK_REALTIME) {
      status = m_sleep_cv.wait_until(
          lock, std::chrono::system_clock::time_point(
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch)));
    } else if (deadline->clock == CLOCK_MONOTONIC) {
      status = m_sleep_cv.wait_until(lock, std::chrono::steady_clock::time_point(since_epoch));
    } else {
      // Another clock (CLOCK_BOOTTIME, ...): what is left of it, on the
      // monotonic clock; the loop measures again after each wakeup.
      const timespec left = deadline->remaining();
      status = m_sleep_cv.wait_for(
          lock, std::chrono::seconds(left.tv_sec) + std::chrono::nanoseconds(left.tv_nsec));
      if (status == std::cv_status::timeout) {
        const timespec now_left = deadline->remaining();
        if (now_left.tv_sec != 0 || now_left.tv_nsec != 0) {
          continue;
        }
      }
    }
    if (status == std::cv_status::timeout) {
      return woken() ? WakeReason::kWoken : WakeReason::kTimedOut;
    }
  }
}

void Task::wake() {
  std::lock_guard guard(m_sleep_lock);
  m_sleep_cv.notify_all();
}

void Task::interrupt() {
  wake();
  if (this != t_current) {
    m_vcpu->kick();
  }
}

void Task::signal_ready() {
  m_signal_ready.store(true, std::memory_order_release);
  interrupt();
}

void Task::set_signal_mask(SigSet mask) {
  mask &= ~kUnblockable;
  const SigSet old = m_blocked.exchange(mask, std::memory_order_relaxed);
  if ((old & ~mask) != 0) {
    // Something was unblocked: deliver_signals looks for it.
    m_signal_ready.store(true, std::memory_order_release);
  }
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
  FaultSignal signal = arch::page_fault_signal(trap, mapped);
  if (result.error() == Errno::kEIO) {
    // A file mapping's page past the end of its file.
    signal.signo = SIGBUS;
    signal.code = BUS_ADRERR;
  }
  force_fault_signal(signal);
}

void Task::force_fault_signal(const FaultSignal& signal) {
  log::sentry().debug("tid {}: signal {} code {} address {:#x}; {}", m_tid, signal.signo,
                      signal.code, signal.address, arch::format_registers(regs()));
  SignalHandlers& handlers = m_group->signal_handlers();
  const SignalAction action = handlers.get(signal.signo);
  const bool blocked = (signal_mask() & sig_bit(signal.signo)) != 0;
  if (blocked || action.handler == kSigIgn) {
    handlers.set(signal.signo, SignalAction{});
    set_signal_mask(signal_mask() & ~sig_bit(signal.signo));
  }
  m_last_fault = signal;
  send_signal(SignalInfo::from_fault(signal.signo, signal.code, signal.address));
}

void Task::force_kill() {
  exit_group(ExitStatus::killed(SIGKILL));
}

void Task::send_signal(const SignalInfo& info) {
  std::lock_guard guard(m_group->lock());
  const bool blocked = (signal_mask() & sig_bit(info.signo)) != 0;
  const bool held = (held_signals() & sig_bit(info.signo)) != 0;
  if (!held && !m_group->traced() &&
      is_ignored(info.signo, m_group->signal_handlers().get(info.signo))) {
    return;
  }
  m_pending.add(info);
  if (!blocked) {
    signal_ready();
  }
}

void Task::suspend_signal_mask(SigSet mask) {
  m_saved_mask = signal_mask();
  set_signal_mask(mask);
  refresh_signal_ready();
}

Result<SignalInfo> Task::wait_for_signal(SigSet set, const std::optional<Deadline>& deadline) {
  auto take_wanted = [&]() -> std::optional<SignalInfo> {
    std::lock_guard guard(m_group->lock());
    if (auto info = m_pending.take(~set)) {
      return info;
    }
    return m_group->shared_pending().take(~set);
  };
  if (auto info = take_wanted()) {
    return *info;
  }
  const SigSet old = signal_mask();
  m_waited.store(set, std::memory_order_relaxed);
  set_signal_mask(old & ~set);
  refresh_signal_ready();
  const WakeReason reason = sleep(deadline, [] { return false; });
  m_blocked.store(old, std::memory_order_relaxed);
  m_waited.store(0, std::memory_order_relaxed);
  if (auto info = take_wanted()) {
    return *info;
  }
  return reason == WakeReason::kInterrupted ? Errno::kEINTR : Errno::kEAGAIN;
}

void Task::refresh_signal_ready() {
  std::lock_guard guard(m_group->lock());
  const SigSet pending = m_pending.set() | m_group->shared_pending().set();
  m_signal_ready.store((pending & ~signal_mask()) != 0, std::memory_order_release);
}

SigSet Task::pending_signals() {
  std::lock_guard guard(m_group->lock());
  return m_pending.set() | m_group->shared_pending().set();
}

void Task::discard_pending_locked(int signo) {
  m_pending.discard(signo);
}

std::optional<SignalInfo> Task::take_signal() {
  std::lock_guard guard(m_group->lock());
  const SigSet blocked = signal_mask();
  if (auto info = m_pending.take(blocked)) {
    return info;
  }
  if (auto info = m_group->shared_pending().take(blocked)) {
    return info;
  }
  m_signal_ready.store(false, std::memory_order_release);
  return std::nullopt;
}

void Task::deliver_signals() {
  while (m_signal_ready.load(std::memory_order_acquire) && !should_stop()) {
    const std::optional<SignalInfo> info = take_signal();
    if (!info) {
      break;
    }
    deliver(*info);
  }
  if (m_restart.code != 0) {
    finish_restart(nullptr);
  }
  if (m_saved_mask) {
    set_signal_mask(*std::exchange(m_saved_mask, std::nullopt));
  }
}

// Decides what an interrupted syscall returns (Linux's handle_signal and
// restart logic): `action` is the handler about to run, nullptr when no
// handler ran and the thread goes back to the guest.
void Task::finish_restart(const SignalAction* action) {
  const Restart restart = std::exchange(m_restart, Restart{});
  bool again = true;
  if (action != nullptr) {
    switch (static_cast<Errno>(-restart.code)) {
      case Errno::kERESTARTSYS:
        again = (action->flags & SA_RESTART) != 0;
        break;
      case Errno::kERESTARTNOHAND:
        again = false;
        break;
      default:
        break;
    }
  }
  if (again) {
    arch::restart_syscall(regs(), restart.number, restart.arg0);
  } else {
    arch::set_syscall_return(regs(), static_cast<uint64_t>(-static_cast<int64_t>(EINTR)));
  }
}

void Task::deliver(const SignalInfo& info) {
  const int signo = info.signo;
  if (strace::Tracer* tracer = m_kernel.tracer()) {
    const bool fault = info.code > 0 && is_fault_signal(signo);
    if (signo == SIGCHLD && info.code > 0) {
      tracer->signal_delivered(m_tid, signo, info.code,
                               static_cast<uint64_t>(info.fields.child.pid),
                               info.fields.child.status, static_cast<int>(info.fields.child.uid));
    } else {
      tracer->signal_delivered(
          m_tid, signo, info.code,
          fault ? info.fields.fault.addr : static_cast<uint64_t>(info.fields.kill.pid),
          fault ? 0 : static_cast<int>(info.fields.kill.uid));
    }
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
  if (m_restart.code != 0) {
    finish_restart(&action);  // the frame saves the registers as they return
  }
  // After rt_sigsuspend the frame keeps the mask from before it.
  const SigSet old_mask = m_saved_mask.value_or(signal_mask());
  if (auto built = arch::setup_signal_frame(*this, info, action, old_mask); !built) {
    // Linux's force_sigsegv: a frame that cannot be written kills.
    log::sentry().debug("tid {}: cannot write the frame for signal {}: {}", m_tid, signo,
                        errno_name(built.error()));
    exit_group(ExitStatus::killed(SIGSEGV));
    return;
  }
  SigSet mask = signal_mask() | action.mask;
  m_saved_mask.reset();
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
  m_exit_code = code & 0xff;
  m_exited.store(true, std::memory_order_release);
  if (m_tid == m_group->pid()) {
    m_group->set_leader_exit_code(code);
  }
}

void Task::end_for_exec() {
  m_exited.store(true, std::memory_order_release);
  interrupt();
}

void Task::exit_group(ExitStatus status) {
  m_exited.store(true, std::memory_order_release);
  m_group->exit_all(status);
}

}  // namespace moat::sentry
