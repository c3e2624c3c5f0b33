#pragma once

// Trace mode: strace's output for every syscall, signal and exit in the
// sandbox (`moat trace`, `moat run --strace`). The sentry calls the hooks
// below from each task's thread; the Tracer serialises lines across tasks
// and marks a call that another task's line interrupts as strace does
// (`<unfinished ...>`, `<... read resumed>`).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/strace/decode.h"
#include "sentry/strace/format.h"
#include "sentry/strace/options.h"

namespace moat::sentry::strace {

// One task's call in progress. The task owns it; only the Tracer touches it.
struct CallState {
  CallText call;
  bool traced = false;         // selected by the filters
  bool entry_written = false;  // the entry half is on the output already
  int64_t start_ns = 0;        // CLOCK_MONOTONIC at entry
  std::string entry_text;      // the line up to the output arguments
};

class Tracer {
 public:
  // Opens the output (-o FILE, or stderr).
  static Result<std::unique_ptr<Tracer>, Error> create(TraceOptions options);
  // For tests: writes to `fd`, which the Tracer does not own.
  Tracer(TraceOptions options, int fd, bool to_file);
  ~Tracer();

  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // A task came into being / ended (the pid prefix depends on how many live).
  void task_started(int tid);
  void task_ended(int tid);

  // The sentry's syscall path: entry, then exactly one of exit or
  // no_return (exit, exit_group: `= ?`).
  void syscall_entry(int tid, CallState& state, uint64_t number, const SyscallInfo* info,
                     const SyscallArgs& args, const GuestReader& mem);
  void syscall_exit(int tid, CallState& state, uint64_t ret, const GuestReader& mem);
  void syscall_no_return(int tid, CallState& state);

  // The first program's image, which moat loads itself: printed as the
  // successful execve strace shows first.
  void initial_exec(int tid, const std::string& path, uint64_t argv_addr, uint64_t envp_addr,
                    const GuestReader& mem);

  // `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---`
  // For a SIGCHLD the kernel sent, `uid_or_status` is si_status and
  // `child_uid` si_uid (format_siginfo).
  void signal_delivered(int tid, int signo, int code, uint64_t addr_or_pid, int uid_or_status = 0,
                        int child_uid = 0);
  // `+++ exited with 1 +++` / `+++ killed by SIGSEGV +++`
  void process_exited(int tid, bool signaled, int code);

  // Writes the -c/-C table, once the traced program has ended.
  void finish();

  const TraceOptions& options() const { return m_options; }
  // False when the trace goes to stderr, which moat's own log shares.
  bool writes_to_file() const { return m_to_file; }

 private:
  struct Counts {
    uint64_t calls = 0;
    uint64_t errors = 0;
    int64_t total_ns = 0;
    uint64_t number = 0;  // this architecture's syscall number, for ordering
  };

  bool writes_lines() const { return m_options.summary != Summary::kOnly; }
  // Under m_lock: the pid prefix and timestamp for a new line.
  std::string leader(int tid) const;
  // Under m_lock: ends another task's half-written line with `<unfinished ...>`.
  void interrupt_open_line(int tid);
  // Under m_lock: the start of the line that ends `state`'s call: its entry
  // half (already written if it is the open line), or `<... name resumed>`.
  std::string start_exit_line(int tid, const CallState& state);
  void write_out(std::string_view text);
  void count(const CallState& state, uint64_t ret, int64_t duration_ns);
  std::string summary_table() const;

  TraceOptions m_options;
  FormatOptions m_format;
  UniqueFd m_owned_fd;
  int m_fd;
  bool m_to_file;

  std::mutex m_lock;
  int m_live_tasks = 0;
  int m_open_tid = -1;           // the task whose line is half written, -1 if none
  std::vector<Counts> m_counts;  // by table row; the last entry: numbers the table lacks
};

}  // namespace moat::sentry::strace
