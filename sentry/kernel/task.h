#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/strace/tracer.h"
#include "sentry/vfs/fd_table.h"

namespace moat::sentry {

class Kernel;

// A synchronous fault turned into a signal, as Linux's siginfo describes it.
struct FaultSignal {
  int signo = 0;
  int code = 0;          // si_code: SEGV_MAPERR, ILL_ILLOPN, ...
  uint64_t address = 0;  // si_addr
};

// One guest thread. It runs on its own host thread, which owns its vCPU.
class Task {
 public:
  Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
       std::shared_ptr<MemoryManager> mm, std::shared_ptr<FdTable> fds,
       std::unique_ptr<platform::Vcpu> vcpu);

  Kernel& kernel() { return m_kernel; }
  int tid() const { return m_tid; }
  ThreadGroup& group() { return *m_group; }
  MemoryManager& mm() { return *m_mm; }
  FdTable& fds() { return *m_fds; }
  platform::Vcpu& vcpu() { return *m_vcpu; }
  platform::UserRegs& regs() { return m_vcpu->regs(); }

  // The guest's path of the running program (/proc/self/exe).
  const std::string& exe_path() const { return m_exe_path; }
  void set_exe_path(std::string path) { m_exe_path = std::move(path); }

  // True once the thread has exited or its process is ending.
  bool exiting() const { return should_stop(); }
  // Trace mode's record of the call in progress.
  strace::CallState& trace_call() { return m_trace_call; }

  // Runs the thread until it exits. Returns an error only if moat itself
  // failed (the platform refused to run the vCPU).
  Result<void, Error> run();

  // exit(2): ends this thread; the last thread out ends the process.
  void exit_thread(int code);
  // exit_group(2) and fatal signals: ends every thread of the process.
  void exit_group(ExitStatus status);
  // Delivers a synchronous fault. Without handlers (signals come later) the
  // default action ends the process.
  void force_fault_signal(const FaultSignal& signal);
  // Delivers a signal with a default action of terminating (e.g. SIGPIPE).
  void force_signal(int signo);

  // set_tid_address(2), set_robust_list(2), rseq(2) state.
  uint64_t clear_child_tid = 0;
  uint64_t robust_list_head = 0;
  uint64_t robust_list_len = 0;
  uint64_t rseq_area = 0;
  uint32_t rseq_len = 0;
  uint32_t rseq_signature = 0;

 private:
  void handle_page_fault(const platform::Trap& trap);
  bool should_stop() const;

  Kernel& m_kernel;
  const int m_tid;
  std::shared_ptr<ThreadGroup> m_group;
  std::shared_ptr<MemoryManager> m_mm;
  std::shared_ptr<FdTable> m_fds;
  std::unique_ptr<platform::Vcpu> m_vcpu;
  std::string m_exe_path;
  bool m_exited = false;
  strace::CallState m_trace_call;
};

}  // namespace moat::sentry
