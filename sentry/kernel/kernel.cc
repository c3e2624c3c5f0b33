#include "sentry/kernel/kernel.h"

#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "base/bits.h"
#include "base/log.h"
#include "loader/initial_stack.h"
#include "loader/load.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/strace/mm_reader.h"
#include "sentry/strace/tracer.h"

namespace moat::sentry {
namespace {

// Linux x86-64/arm64 (47/48-bit) defaults: the top of the stack, the PIE load
// base (2/3 of the address space) and the randomisation ranges.
constexpr uint64_t kStackTop = MemoryManager::kTaskSize;
constexpr uint64_t kPieBase = 0x5555'5555'4000ull;
constexpr unsigned kStackRandomBits = 22;  // pages: up to 16 GiB
constexpr unsigned kMmapRandomBits = 28;   // pages
constexpr unsigned kPieRandomBits = 28;    // pages
constexpr unsigned kBrkRandomBits = 13;    // pages: up to 32 MiB
constexpr uint64_t kMinStackGap = 128ull << 20;

// The signals moat passes on to the guest, and the kernel they go to.
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
std::atomic<Kernel*> g_signal_target{nullptr};

// Installs moat's forwarding handlers for the life of a Kernel::run and puts
// the previous ones back after it.
class HostSignalForwarding {
 public:
  explicit HostSignalForwarding(Kernel& kernel) {
    g_signal_target.store(&kernel);
    struct sigaction sa {};
    sa.sa_handler = [](int signo) {
      if (Kernel* k = g_signal_target.load()) {
        k->post_host_signal(signo);
      }
    };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
      sigaction(kForwardedSignals[i], &sa, &m_old[i]);
    }
  }
  ~HostSignalForwarding() {
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
      sigaction(kForwardedSignals[i], &m_old[i], nullptr);
    }
    g_signal_target.store(nullptr);
  }
  HostSignalForwarding(const HostSignalForwarding&) = delete;
  HostSignalForwarding& operator=(const HostSignalForwarding&) = delete;

 private:
  struct sigaction m_old[std::size(kForwardedSignals)]{};
};

}  // namespace

Kernel::Kernel(platform::Machine& machine, KernelOptions options)
    : m_machine(machine), m_options(std::move(options)), m_uid(getuid()), m_gid(getgid()) {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    seed = static_cast<uint64_t>(getpid()) ^ reinterpret_cast<uintptr_t>(&seed);
  }
  m_random.seed(seed);
}

Kernel::~Kernel() = default;

uint64_t Kernel::layout_random(unsigned bits) {
  if (!m_options.randomize_layout) {
    return 0;
  }
  return m_random() & ((uint64_t{1} << bits) - 1);
}

void Kernel::post_host_signal(int signo) {
  m_host_signals.fetch_or(sig_bit(signo), std::memory_order_acq_rel);
  if (platform::Vcpu* vcpu = m_init_vcpu.load(std::memory_order_acquire)) {
    vcpu->kick();
  }
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

Result<ExitStatus, Error> Kernel::run(const ExecSpec& spec) {
  const loader::ElfImage& image = *spec.image;
  auto limits = Limits();
  const uint64_t stack_limit = limits.get(RLIMIT_STACK).cur;

  MemoryLayout layout;
  layout.stack_limit = stack_limit;
  layout.stack_top = kStackTop - (layout_random(kStackRandomBits) << kPageShift);
  const uint64_t gap = std::max(stack_limit, kMinStackGap);
  layout.mmap_base =
      page_round_down(layout.stack_top - gap) - (layout_random(kMmapRandomBits) << kPageShift);

  auto as = TRY(m_machine.new_address_space());
  auto mm = std::make_shared<MemoryManager>(m_machine.memory(), std::move(as), layout);

  const uint64_t bias =
      image.position_independent ? kPieBase + (layout_random(kPieRandomBits) << kPageShift) : 0;
  auto loaded = loader::load_segments(image, spec.file, bias, *mm);
  if (!loaded) {
    return make_error(fmt::format("cannot load the program: {}", errno_name(loaded.error())));
  }
  mm->set_brk_base(loaded->end + (layout_random(kBrkRandomBits) << kPageShift));

  // The vCPU comes first: some platforms learn the CPU's features from it.
  auto vcpu = TRY(m_machine.new_vcpu(mm->address_space()));
  m_cpu_info = m_machine.cpu_info();

  std::array<uint8_t, 16> random{};
  if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
    return host_error("getrandom", errno);
  }
  const loader::AuxEntry auxv[] = {
      {loader::kAtHwcap, m_cpu_info.hwcap},
      {loader::kAtPagesz, kPageSize},
      {loader::kAtClktck, 100},
      {loader::kAtPhdr, loaded->phdr},
      {loader::kAtPhent, image.phentsize},
      {loader::kAtPhnum, image.phnum},
      {loader::kAtBase, 0},
      {loader::kAtFlags, 0},
      {loader::kAtEntry, loaded->entry},
      {loader::kAtUid, m_uid},
      {loader::kAtEuid, m_uid},
      {loader::kAtGid, m_gid},
      {loader::kAtEgid, m_gid},
      {loader::kAtSecure, 0},
      {loader::kAtHwcap2, m_cpu_info.hwcap2},
  };
  loader::InitialStackSpec stack_spec;
  stack_spec.stack_top = layout.stack_top;
  stack_spec.argv = spec.argv;
  stack_spec.envp = spec.envp;
  stack_spec.auxv = auxv;
  stack_spec.random = random;
  stack_spec.execfn = spec.guest_path;
  stack_spec.platform = m_cpu_info.platform;
  stack_spec.max_size = stack_limit / 4;
  auto stack = loader::setup_stack(stack_spec, *mm);
  if (!stack) {
    if (stack.error() == Errno::kE2BIG) {
      return make_error("argument list too long");
    }
    return make_error(fmt::format("cannot set up the stack: {}", errno_name(stack.error())));
  }

  arch::start_user(vcpu->regs(), loaded->entry, stack->sp);
  if (auto mapped = arch::map_signal_trampoline(*mm); !mapped) {
    return make_error(
        fmt::format("cannot map the signal trampoline: {}", errno_name(mapped.error())));
  }

  auto fds = std::make_shared<FdTable>(limits.get(RLIMIT_NOFILE).cur);
  for (int fd = 0; fd < 3; ++fd) {
    // A closed host descriptor stays closed in the guest.
    if (auto file = HostFile::dup_of(fd)) {
      (void)fds->install_at(fd, *file, false);
    }
  }

  auto group = std::make_shared<ThreadGroup>(1, 0);
  Task task(*this, 1, group, mm, fds, std::move(vcpu));
  task.set_exe_path(spec.guest_path);
  strace::Tracer* tracer = m_options.tracer;
  if (tracer != nullptr) {
    tracer->task_started(task.tid());
    tracer->initial_exec(task.tid(), spec.guest_path, stack->argv, stack->envp,
                         strace::MmReader(*mm));
  }
  m_init_vcpu.store(&task.vcpu(), std::memory_order_release);
  Result<void, Error> ran;
  {
    HostSignalForwarding forwarding(*this);
    ran = task.run();
  }
  m_init_vcpu.store(nullptr, std::memory_order_release);
  TRY(std::move(ran));
  const ExitStatus status = group->exit_status().value_or(ExitStatus::exited(0));
  if (tracer != nullptr) {
    tracer->process_exited(task.tid(), status.signaled, status.code);
    tracer->task_ended(task.tid());
    tracer->finish();
  }
  return status;
}

}  // namespace moat::sentry
