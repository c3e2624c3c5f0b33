#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "loader/elf.h"
#include "loader/initial_stack.h"
#include "platform/platform.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/signal.h"

namespace moat::sentry {

class Task;
class ThreadGroup;
class Vfs;
class Dentry;
class MemoryManager;
namespace strace {
class Tracer;
}

struct KernelOptions {
  bool randomize_layout = true;  // ASLR, as Linux's randomize_va_space = 2
  std::string hostname = "moat";
  std::shared_ptr<Vfs> vfs;          // the sandbox's file tree
  std::string cwd = "/";             // the first process's working directory, in the tree
  unsigned pids_limit = 0;           // tasks alive at once (--pids-limit); 0: no limit
  strace::Tracer* tracer = nullptr;  // trace mode; not owned
};

// An executable file found in the tree and read into memory.
struct ProgramFile {
  std::shared_ptr<Dentry> dentry;
  std::vector<std::byte> bytes;
};

// What execve(2) (or the first process) runs: the ELF program after any
// "#!" interpreters, its PT_INTERP interpreter, and the new argument block.
struct ExecRequest {
  ProgramFile program;
  loader::ElfImage image;
  std::optional<ProgramFile> interp;
  std::optional<loader::ElfImage> interp_image;
  std::string execfn;  // AT_EXECFN: the path execve was given
  std::vector<std::string> argv;
  std::vector<std::string> envp;
};

// A new address space holding a program, ready to run.
struct NewImage {
  std::shared_ptr<MemoryManager> mm;
  uint64_t entry = 0;  // the interpreter's, if there is one
  loader::InitialStack stack;
};

// clone(2)'s request for a new thread or process, decoded from clone,
// clone3, fork or vfork.
struct CloneRequest {
  uint64_t flags = 0;
  int exit_signal = 0;  // a new process's signal to its parent at the end
  uint64_t stack = 0;   // the new thread's stack pointer; 0 keeps the caller's
  uint64_t tls = 0;
  uint64_t parent_tid = 0;
  uint64_t child_tid = 0;
};

// The sentry's kernel: processes, their memory and files, over one machine.
class Kernel {
 public:
  Kernel(platform::Machine& machine, KernelOptions options);
  ~Kernel();

  // Starts the first process (pid 1) and runs it until it ends, with every
  // thread; the processes it started end with it. Returns its status. Fails
  // only if moat could not set it up or the platform failed;
  // an E2BIG or ENOMEM from setting up the image is reported the same way.
  Result<ExitStatus, Error> run(const ExecRequest& request);

  // execve(2)'s steps, also used for the first process. open_executable:
  // the file at `path` (from `start`, within `root`) if the caller may run
  // it: ENOENT, EACCES (not a regular file or no execute permission),
  // ELOOP. resolve_exec: follows "#!" lines and PT_INTERP; ENOEXEC for what
  // is not an ELF program for this machine; ENOENT for a script when
  // `script_unreachable` (execveat of a close-on-exec descriptor).
  Result<ProgramFile> open_executable(const std::shared_ptr<Dentry>& root,
                                      const std::shared_ptr<Dentry>& start, const std::string& path,
                                      bool follow);
  Result<ProgramFile> open_executable(const std::shared_ptr<Dentry>& dentry);
  Result<ExecRequest> resolve_exec(const std::shared_ptr<Dentry>& root,
                                   const std::shared_ptr<Dentry>& cwd, ProgramFile file,
                                   std::string execfn, std::vector<std::string> argv,
                                   std::vector<std::string> envp, bool script_unreachable = false);
  // Loads the request into a new address space over `as`; E2BIG, ENOMEM.
  Result<NewImage> build_image(const ExecRequest& request,
                               std::unique_ptr<platform::AddressSpace> as, uint64_t stack_limit);
  // execve's point of no return for `task`: the other threads are ended,
  // the task switches to `image`, and close-on-exec descriptors, caught
  // signals and the alternate stack are reset.
  void exec_into(Task& task, const ExecRequest& request, NewImage image);

  platform::Machine& machine() { return m_machine; }
  const KernelOptions& options() const { return m_options; }
  const platform::CpuInfo& cpu_info() const { return m_cpu_info; }
  // Trace mode's tracer, or nullptr when tracing is off.
  strace::Tracer* tracer() const { return m_options.tracer; }

  uint32_t uid() const { return m_uid; }
  uint32_t gid() const { return m_gid; }

  // Logs "unknown syscall" at most once per number.
  void note_unsupported_syscall(uint64_t number, const char* name);

  // Random bits for address-space layout (0 when randomization is off).
  uint64_t layout_random(unsigned bits);

  FutexTable& futexes() { return m_futexes; }
  Vfs& vfs() const { return *m_options.vfs; }

  // A new thread in the caller's process (clone with CLONE_THREAD), running
  // on a host thread of its own from the caller's registers. Returns its
  // tid; EAGAIN when moat cannot start another.
  Result<int> clone_thread(Task& parent, const CloneRequest& request);
  // A new process (clone without CLONE_THREAD: fork, vfork, posix_spawn):
  // the calling thread copied into it, its memory copy-on-write (or shared
  // with CLONE_VM). Returns its pid; with CLONE_VFORK, once the child has
  // ended. EAGAIN when moat cannot start another task, ENOMEM when memory
  // for its page tables runs out.
  Result<int> clone_process(Task& parent, const CloneRequest& request);
  // The live task with this tid, or nullptr.
  std::shared_ptr<Task> find_task(int tid);

  // The process tree (parents, children, process groups, sessions, zombies)
  // changes only under this lock. Taken before the task registry's.
  std::mutex& tree_lock() { return m_tree_lock; }
  // A process, live or a zombie, by pid; nullptr if none. Tree lock held.
  std::shared_ptr<ThreadGroup> find_process_locked(int pid);
  // Every process, live or a zombie. Tree lock held.
  const std::map<int, std::shared_ptr<ThreadGroup>>& processes_locked() const {
    return m_processes;
  }
  // Takes a zombie out of the tree for good (wait4/waitid reaped it). Tree
  // lock held.
  void reap_locked(ThreadGroup& parent, const std::shared_ptr<ThreadGroup>& child);
  // A task's vCPU goes back here when the task is gone: KVM frees vCPUs only
  // with the VM, so the next thread reuses it.
  void recycle_vcpu(std::unique_ptr<platform::Vcpu> vcpu);

 private:
  struct Running {
    std::shared_ptr<Task> task;
    std::thread thread;  // not for the first task, which runs on run()'s thread
  };

  // Registers a task and its process membership before it first runs.
  void add_task(const std::shared_ptr<Task>& task);
  // The end of a task's host thread: unregisters it, and logs an error moat
  // itself hit running it.
  void task_done(Task& task, const Result<void, Error>& ran);
  void join_finished_threads();
  // A tid (= pid for a new process) within the pids limit, and a vCPU over
  // `as` holding a copy of the parent's registers as clone leaves them.
  Result<std::pair<int, std::unique_ptr<platform::Vcpu>>> prepare_task(Task& parent,
                                                                       platform::AddressSpace& as,
                                                                       const CloneRequest& request);
  // Writes the new tid where CLONE_PARENT_SETTID/CLONE_CHILD_SETTID ask,
  // registers the task and starts its host thread.
  void start_task(Task& parent, const std::shared_ptr<Task>& task, const CloneRequest& request);
  // The last thread of `group` has gone: it becomes a zombie for its parent
  // (or is reaped at once if the parent ignores SIGCHLD), its children go to
  // the first process, and the parent is told. The end of the first process
  // ends every other one, as the end of a pid namespace's init does.
  void process_ended(const std::shared_ptr<ThreadGroup>& group);
  // options().cwd in the tree; the root if it does not exist there.
  Result<std::shared_ptr<Dentry>, Error> initial_cwd() const;
  // Sends the signals moat receives to the first process while it runs.
  void forward_host_signals(int signal_fd, int stop_fd);

  platform::Machine& m_machine;
  KernelOptions m_options;
  platform::CpuInfo m_cpu_info;
  std::vector<std::byte> m_initial_fp_state;
  uint32_t m_uid;
  uint32_t m_gid;
  std::mt19937_64 m_random;
  std::array<std::atomic<bool>, 1024> m_unsupported_logged{};
  std::atomic<bool> m_out_of_range_logged{false};
  FutexTable m_futexes;
  std::shared_ptr<ThreadGroup> m_init_group;

  std::mutex m_tree_lock;
  std::map<int, std::shared_ptr<ThreadGroup>> m_processes;  // live and zombies
  size_t m_zombies = 0;                                     // of m_processes; guarded by both locks

  std::mutex m_tasks_lock;
  std::condition_variable m_tasks_changed;
  std::map<int, Running> m_tasks;
  std::vector<std::thread> m_finished;  // host threads that ended, to join
  std::vector<std::unique_ptr<platform::Vcpu>> m_idle_vcpus;
  int m_next_tid = 1;
  std::optional<Error> m_failure;  // the first error moat hit running a task
};

}  // namespace moat::sentry
