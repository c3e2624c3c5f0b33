#include "sentry/kernel/kernel.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "base/bits.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "loader/initial_stack.h"
#include "loader/load.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/fs/proc/proc_fs.h"
#include "sentry/fs/sandbox_tree.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/strace/mm_reader.h"
#include "sentry/strace/tracer.h"
#include "sentry/vfs/vfs.h"

namespace moat::sentry {
namespace {

// The signals moat passes on to the guest's first process.
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Linux's default pid_max on 64-bit machines: tids wrap below it.
constexpr int kPidMax = 4'194'304;
// moat's own bound on live tasks and zombies without --pids-limit (live
// tasks are bounded by the vCPUs KVM gives well before it).
constexpr size_t kMaxTasks = 32768;

// For the life of a Kernel::run, moat's forwarded signals are blocked in
// every thread (vCPU threads inherit the mask) and read from a signalfd by
// a thread of their own, which sends them on with the sentry's locks, as no
// async signal handler could. The old mask comes back afterwards.
class HostSignalForwarding {
 public:
  explicit HostSignalForwarding(std::function<void(int, int)> forward) {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : kForwardedSignals) {
      sigaddset(&set, signo);
    }
    pthread_sigmask(SIG_BLOCK, &set, &m_old_mask);
    m_signal_fd = UniqueFd(signalfd(-1, &set, SFD_CLOEXEC));
    m_stop_fd = UniqueFd(eventfd(0, EFD_CLOEXEC));
    if (m_signal_fd.valid() && m_stop_fd.valid()) {
      m_thread = std::thread(std::move(forward), m_signal_fd.get(), m_stop_fd.get());
    } else {
      log::sentry().warn("cannot forward signals to the guest: {}", std::strerror(errno));
    }
  }
  ~HostSignalForwarding() {
    if (m_thread.joinable()) {
      const uint64_t one = 1;
      (void)!write(m_stop_fd.get(), &one, sizeof(one));
      m_thread.join();
    }
    pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
  }
  HostSignalForwarding(const HostSignalForwarding&) = delete;
  HostSignalForwarding& operator=(const HostSignalForwarding&) = delete;

 private:
  sigset_t m_old_mask{};
  UniqueFd m_signal_fd;
  UniqueFd m_stop_fd;
  std::thread m_thread;
};

}  // namespace

Kernel::Kernel(platform::Machine& machine, KernelOptions options)
    : m_machine(machine), m_options(std::move(options)), m_uid(getuid()), m_gid(getgid()) {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    seed = static_cast<uint64_t>(getpid()) ^ reinterpret_cast<uintptr_t>(&seed);
  }
  m_random.seed(seed);
  m_options.vfs->mount("/proc", make_proc_fs(*this, kProcDev));
}

Kernel::~Kernel() = default;

uint64_t Kernel::layout_random(unsigned bits) {
  if (!m_options.randomize_layout) {
    return 0;
  }
  return m_random() & ((uint64_t{1} << bits) - 1);
}

void Kernel::forward_host_signals(int signal_fd, int stop_fd) {
  for (;;) {
    pollfd fds[] = {{signal_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    signalfd_siginfo info{};
    if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
      continue;
    }
    // From outside the sandbox: Linux reports si_pid 0 for a sender in
    // another pid namespace.
    m_init_group->send_signal(
        SignalInfo::from_process(static_cast<int>(info.ssi_signo), SI_USER, 0, 0));
  }
}

Result<std::shared_ptr<Dentry>, Error> Kernel::initial_cwd() const {
  const Vfs& tree = vfs();
  auto cwd = tree.lookup(tree.root(), tree.root(), m_options.cwd, true);
  if (!cwd || !(*cwd)->inode()->is_dir()) {
    // As a container runtime does for a working directory it cannot enter.
    log::sentry().debug("working directory {} is not in the sandbox; using /", m_options.cwd);
    return tree.root();
  }
  return *cwd;
}

std::shared_ptr<Task> Kernel::find_task(int tid) {
  std::lock_guard guard(m_tasks_lock);
  auto it = m_tasks.find(tid);
  return it != m_tasks.end() ? it->second.task : nullptr;
}

void Kernel::recycle_vcpu(std::unique_ptr<platform::Vcpu> vcpu) {
  std::lock_guard guard(m_tasks_lock);
  m_idle_vcpus.push_back(std::move(vcpu));
}

void Kernel::add_task(const std::shared_ptr<Task>& task) {
  task->group().join(task.get());
  if (m_options.tracer != nullptr) {
    m_options.tracer->task_started(task->tid());
  }
}

void Kernel::task_done(Task& task, const Result<void, Error>& ran) {
  if (!ran) {
    log::sentry().error("tid {}: {}", task.tid(), ran.error().message);
  }
  const bool last = task.group().leave(&task);
  strace::Tracer* tracer = m_options.tracer;
  if (tracer != nullptr && task.tid() != 1) {
    // strace -f ends each thread with its own "+++ exited with N +++"; the
    // first process's comes last, from run().
    const ExitStatus status = task.group().exiting()
                                  ? task.group().exit_status().value_or(ExitStatus::exited(0))
                                  : ExitStatus::exited(task.exit_code());
    tracer->process_exited(task.tid(), status.signaled, status.code);
    tracer->task_ended(task.tid());
  }
  if (last) {
    process_ended(task.group_ptr());
  }
  std::lock_guard guard(m_tasks_lock);
  if (!ran && !m_failure) {
    m_failure = ran.error();
  }
  auto it = m_tasks.find(task.tid());
  if (it != m_tasks.end()) {
    if (it->second.thread.joinable()) {
      m_finished.push_back(std::move(it->second.thread));
    }
    m_tasks.erase(it);
  }
  m_tasks_changed.notify_all();
}

void Kernel::join_finished_threads() {
  std::vector<std::thread> finished;
  {
    std::lock_guard guard(m_tasks_lock);
    finished.swap(m_finished);
  }
  for (std::thread& thread : finished) {
    thread.join();
  }
}

Result<std::pair<int, std::unique_ptr<platform::Vcpu>>> Kernel::prepare_task(
    Task& parent, platform::AddressSpace& as, const CloneRequest& request) {
  join_finished_threads();
  std::unique_ptr<platform::Vcpu> vcpu;
  int tid = 0;
  {
    // A pid stays taken while its process is a zombie.
    std::lock_guard tree(m_tree_lock);
    std::lock_guard guard(m_tasks_lock);
    for (int tries = 0; tries < kPidMax; ++tries) {
      const int candidate = m_next_tid;
      m_next_tid = m_next_tid + 1 >= kPidMax ? 2 : m_next_tid + 1;
      if (!m_tasks.contains(candidate) && !m_processes.contains(candidate)) {
        tid = candidate;
        break;
      }
    }
    // The pids cgroup's answer, and Linux's when it runs out of pids.
    // Zombies count until reaped, as in the pids cgroup, so a program that
    // never waits cannot grow moat without bound either.
    const size_t limit = m_options.pids_limit != 0 ? m_options.pids_limit : kMaxTasks;
    if (tid == 0 || m_tasks.size() + m_zombies >= limit) {
      return Errno::kEAGAIN;
    }
    // Reserved until the task itself is registered.
    m_tasks[tid];
    if (!m_idle_vcpus.empty()) {
      vcpu = std::move(m_idle_vcpus.back());
      m_idle_vcpus.pop_back();
    }
  }
  auto unreserve = [&] {
    std::lock_guard guard(m_tasks_lock);
    m_tasks.erase(tid);
  };
  if (vcpu) {
    if (auto switched = vcpu->set_address_space(as); !switched) {
      log::sentry().warn("cannot reuse a vCPU for a new task: {}", switched.error().message);
      unreserve();
      return Errno::kEAGAIN;
    }
  } else {
    auto created = m_machine.new_vcpu(as);
    if (!created) {
      log::sentry().warn("cannot create a vCPU for a new task: {}", created.error().message);
      unreserve();
      return Errno::kEAGAIN;
    }
    vcpu = std::move(*created);
  }

  // The caller's registers, FP/SIMD state and TLS, returning 0.
  vcpu->regs() = parent.regs();
  arch::start_clone_child(vcpu->regs(), request.stack);
  std::vector<std::byte> fp(m_cpu_info.fp_state_size);
  auto copied = parent.vcpu().get_fp_state(fp);
  if (copied) {
    copied = vcpu->set_fp_state(fp);
  }
  for (platform::SpecialRegister reg : arch::kInheritedRegisters) {
    if (!copied) {
      break;
    }
    auto value = parent.vcpu().get_special(reg);
    copied = value ? vcpu->set_special(reg, *value) : Result<void, Error>(value.error());
  }
  if (copied && (request.flags & CLONE_SETTLS) != 0) {
    copied = vcpu->set_special(arch::kTlsRegister, request.tls);
  }
  if (!copied) {
    log::sentry().warn("cannot set up a new task's vCPU: {}", copied.error().message);
    recycle_vcpu(std::move(vcpu));
    unreserve();
    return Errno::kEAGAIN;
  }
  return std::pair{tid, std::move(vcpu)};
}

void Kernel::start_task(Task& parent, const std::shared_ptr<Task>& task,
                        const CloneRequest& request) {
  task->set_exe_path(parent.exe_path());
  task->set_signal_mask(parent.signal_mask());
  if ((request.flags & CLONE_CHILD_CLEARTID) != 0) {
    task->clear_child_tid = request.child_tid;
  }
  // Linux writes both before the child runs; a bad address is ignored.
  const int tid = task->tid();
  const auto tid_bytes = std::as_bytes(std::span(&tid, 1));
  if ((request.flags & CLONE_PARENT_SETTID) != 0) {
    (void)parent.mm().copy_out(request.parent_tid, tid_bytes);
  }
  if ((request.flags & CLONE_CHILD_SETTID) != 0) {
    (void)task->mm().copy_out(request.child_tid, tid_bytes);
  }

  add_task(task);
  std::lock_guard guard(m_tasks_lock);
  Running& running = m_tasks[tid];
  running.task = task;
  running.thread = std::thread([this, task] {
    auto ran = task->run();
    task_done(*task, ran);
  });
}

Result<int> Kernel::clone_thread(Task& parent, const CloneRequest& request) {
  auto [tid, vcpu] = TRY(prepare_task(parent, parent.mm().address_space(), request));
  auto fds = (request.flags & CLONE_FILES) != 0 ? parent.fds_ptr() : parent.fds().copy();
  auto fs = (request.flags & CLONE_FS) != 0 ? parent.fs_ptr() : parent.fs().copy();
  auto task = std::make_shared<Task>(*this, tid, parent.group_ptr(), parent.mm_ptr(),
                                     std::move(fds), std::move(fs), std::move(vcpu));
  start_task(parent, task, request);
  return tid;
}

void Kernel::note_unsupported_syscall(uint64_t number, const char* name) {
  if (number < m_unsupported_logged.size()) {
    if (m_unsupported_logged[number].exchange(true)) {
      return;
    }
  } else if (m_out_of_range_logged.exchange(true)) {
    return;
  }
  // A trace on stderr already shows `= -1 ENOSYS`; a warning would land in
  // the middle of its line.
  if (m_options.tracer != nullptr && !m_options.tracer->writes_to_file()) {
    return;
  }
  if (name != nullptr) {
    log::sentry().warn("unsupported syscall {} ({}): returning ENOSYS", name, number);
  } else {
    log::sentry().warn("unknown syscall number {}: returning ENOSYS", number);
  }
}

Result<ExitStatus, Error> Kernel::run(const ExecRequest& request) {
  auto limits = Limits();
  // The vCPU comes first: some platforms learn the CPU's features from it,
  // and the auxiliary vector reports them.
  auto as = TRY(m_machine.new_address_space());
  auto vcpu = TRY(m_machine.new_vcpu(*as));
  m_cpu_info = m_machine.cpu_info();
  // A fresh vCPU's FP/SIMD state: what execve starts a program with.
  m_initial_fp_state.resize(m_cpu_info.fp_state_size);
  if (auto saved = vcpu->get_fp_state(m_initial_fp_state); !saved) {
    return saved.error();
  }
  auto image = build_image(request, std::move(as), limits.get(RLIMIT_STACK).cur);
  if (!image) {
    if (image.error() == Errno::kE2BIG) {
      return make_error("argument list too long");
    }
    return make_error(fmt::format("cannot load the program: {}", errno_name(image.error())));
  }
  auto mm = image->mm;
  arch::start_user(vcpu->regs(), image->entry, image->stack.sp);
  const std::string guest_path = request.program.dentry->path();

  auto fds = std::make_shared<FdTable>(limits.get(RLIMIT_NOFILE).cur);
  for (int fd = 0; fd < 3; ++fd) {
    // A closed host descriptor stays closed in the guest.
    if (auto file = HostFile::dup_of(fd)) {
      (void)fds->install_at(fd, *file, false);
    }
  }

  auto group = std::make_shared<ThreadGroup>(1);
  group->set_traced(m_options.tracer != nullptr);
  m_init_group = group;
  {
    // Its own session and process group, as a container's init.
    std::lock_guard tree(m_tree_lock);
    group->family().pgid = 1;
    group->family().sid = 1;
    group->family().exit_signal = 0;
    m_processes[1] = group;
  }
  auto fs = std::make_shared<FsContext>(vfs().root(), TRY(initial_cwd()));
  auto task = std::make_shared<Task>(*this, 1, group, mm, fds, std::move(fs), std::move(vcpu));
  task->set_exe_path(guest_path);
  {
    std::lock_guard guard(m_tasks_lock);
    m_next_tid = 2;
    m_tasks[1].task = task;
  }
  add_task(task);
  strace::Tracer* tracer = m_options.tracer;
  if (tracer != nullptr) {
    tracer->initial_exec(task->tid(), request.execfn, image->stack.argv, image->stack.envp,
                         strace::MmReader(*mm));
  }
  {
    HostSignalForwarding forwarding(
        [this](int signal_fd, int stop_fd) { forward_host_signals(signal_fd, stop_fd); });
    auto ran = task->run();
    task_done(*task, ran);
    // The process lives on while any of its threads does.
    std::unique_lock lock(m_tasks_lock);
    m_tasks_changed.wait(lock, [this] { return m_tasks.empty(); });
  }
  join_finished_threads();
  task.reset();
  m_init_group.reset();
  {
    std::lock_guard tree(m_tree_lock);
    m_processes.clear();
  }
  log::sentry().debug("guest pages in use at the end: {}", m_machine.memory().allocated_pages());
  if (m_failure) {
    return *m_failure;
  }
  const ExitStatus status = group->exit_status().value_or(ExitStatus::exited(0));
  if (tracer != nullptr) {
    tracer->process_exited(1, status.signaled, status.code);
    tracer->task_ended(1);
    tracer->finish();
  }
  return status;
}

}  // namespace moat::sentry
