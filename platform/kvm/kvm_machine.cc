#include "platform/kvm/kvm_machine.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <mutex>

#include "arch_machine.h"  // per arch: platform/kvm/arch/<arch>/arch_machine.h
#include "base/log.h"
#include "base/unique_fd.h"
#include "platform/kvm/kvm_fd.h"

namespace moat::kvm {
namespace {

// Guest RAM starts at 4 GiB, clear of the x86 TSS/identity-map pages KVM may
// want below 4 GiB.
constexpr platform::PhysAddr kRamBase = 1ull << 32;

// Host signal used to knock a thread out of KVM_RUN. Its handler does nothing;
// KVM_RUN returns EINTR.
int kick_signal() {
  return SIGRTMIN;
}

void install_kick_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sigaction(kick_signal(), &sa, nullptr);
  });
}

class KvmVcpu final : public platform::Vcpu {
 public:
  KvmVcpu(UniqueFd fd, kvm_run* run, size_t run_size, ArchVcpu arch, platform::AddressSpace& as)
      : m_fd(std::move(fd)), m_run(run), m_run_size(run_size), m_arch(arch), m_as(&as) {}
  ~KvmVcpu() override { munmap(m_run, m_run_size); }

  Result<platform::Trap, Error> run() override {
    {
      std::lock_guard guard(m_thread_lock);
      m_thread = pthread_self();
      m_has_thread = true;
    }
    m_arch.prepare_entry(*m_as);
    const HostThreadGuard guard;
    for (;;) {
      int ret = ::ioctl(m_fd.get(), KVM_RUN, 0);
      if (guard.restore()) [[unlikely]] {
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) {
          log::kvm().debug("KVM_RUN changed moat's own thread pointer; restored it");
        }
      }
      if (ret < 0) {
        if (errno == EINTR || errno == EAGAIN) {
          // A kick. The guest may be in the middle of user code, whose
          // registers only KVM holds: make it leave through the stub, which
          // puts them in the frame, and run on until it has.
          m_run->immediate_exit = 0;
          TRY(m_arch.request_stop(m_fd.get(), *m_run));
          continue;
        }
        return host_error("KVM_RUN", errno);
      }
      if (auto reason = ArchMachine::trap_reason(*m_run)) [[likely]] {
        platform::Trap trap = m_arch.decode(*reason);
        if (trap.kind == platform::Trap::Kind::kInterrupted) {
          m_arch.stop_taken(m_fd.get(), *m_run);
        }
        return trap;
      }
      if (auto code = ArchMachine::stub_fault(*m_run)) {
        return make_error(fmt::format("the guest stub faulted ({:#x})", *code));
      }
      switch (m_run->exit_reason) {
        case KVM_EXIT_INTR:
          continue;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
          TRY(m_arch.request_stop(m_fd.get(), *m_run));
          continue;
        case KVM_EXIT_SHUTDOWN:
          return make_error("the guest vCPU shut down (triple fault)");
        case KVM_EXIT_FAIL_ENTRY:
          return make_error(fmt::format("KVM_RUN: entry failed, reason {:#x}",
                                        m_run->fail_entry.hardware_entry_failure_reason));
        case KVM_EXIT_INTERNAL_ERROR:
          return make_error(
              fmt::format("KVM_RUN: internal error, suberror {}", m_run->internal.suberror));
        default:
          return make_error(fmt::format("KVM_RUN: unexpected exit reason {}", m_run->exit_reason));
      }
    }
  }

  void release_thread() override {
    std::lock_guard guard(m_thread_lock);
    m_has_thread = false;
  }

  platform::UserRegs& regs() override { return m_arch.frame->regs; }

  Result<void, Error> set_address_space(platform::AddressSpace& as) override {
    m_as = &as;
    return m_arch.switch_root(m_fd.get(), as);
  }

  Result<void, Error> set_special(platform::SpecialRegister reg, uint64_t value) override {
    return m_arch.set_special(m_fd.get(), reg, value);
  }
  Result<uint64_t, Error> get_special(platform::SpecialRegister reg) override {
    return m_arch.get_special(m_fd.get(), reg);
  }
  Result<void, Error> get_fp_state(std::span<std::byte> out) override {
    return ArchMachine::get_fp_state(m_fd.get(), out);
  }
  Result<void, Error> set_fp_state(std::span<const std::byte> in) override {
    return ArchMachine::set_fp_state(m_fd.get(), in);
  }

  void kick() override {
    // immediate_exit covers a kick that lands just before KVM_RUN; the signal
    // one that lands during it. run() then brings the guest out through the
    // stub (request_stop).
    __atomic_store_n(&m_run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    std::lock_guard guard(m_thread_lock);
    if (m_has_thread) {
      pthread_kill(m_thread, kick_signal());
    }
  }

 private:
  UniqueFd m_fd;
  kvm_run* m_run;
  size_t m_run_size;
  ArchVcpu m_arch;
  platform::AddressSpace* m_as;
  std::mutex m_thread_lock;  // the thread that runs the vCPU, for kick()
  pthread_t m_thread{};
  bool m_has_thread = false;
};

class KvmMachine final : public platform::Machine {
 public:
  KvmMachine(UniqueFd kvm, UniqueFd vm, std::unique_ptr<platform::PhysicalMemory> memory,
             size_t run_size)
      : m_kvm(std::move(kvm)),
        m_vm(std::move(vm)),
        m_memory(std::move(memory)),
        m_run_size(run_size) {}

  Result<void, Error> init() {
    // Each chunk of guest memory becomes a memslot when the allocator first
    // reaches it: registering a slot costs time in proportion to its size.
    auto add_slot = [this](platform::PhysAddr start, uint64_t len) -> Result<void, Error> {
      kvm_userspace_memory_region region{};
      region.slot = m_next_slot;
      region.guest_phys_addr = start;
      region.memory_size = len;
      region.userspace_addr = reinterpret_cast<uint64_t>(m_memory->host(start));
      TRY(KVM_IOCTL(m_vm.get(), KVM_SET_USER_MEMORY_REGION, &region));
      ++m_next_slot;
      return {};
    };
    TRY(m_memory->set_grow_hook(add_slot));
    m_arch = TRY(ArchMachine::create(m_kvm.get(), m_vm.get(), *m_memory));
    return {};
  }

  Result<std::unique_ptr<platform::AddressSpace>, Error> new_address_space() override {
    std::lock_guard guard(m_lock);
    return m_arch->new_address_space();
  }

  Result<std::unique_ptr<platform::Vcpu>, Error> new_vcpu(platform::AddressSpace& as) override {
    std::lock_guard guard(m_lock);
    unsigned index = m_next_vcpu++;
    UniqueFd fd(TRY(KVM_IOCTL(m_vm.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(index))));
    void* run = mmap(nullptr, m_run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (run == MAP_FAILED) {
      return host_error("mmap(kvm_run)", errno);
    }
    auto arch = m_arch->init_vcpu(fd.get(), index, as);
    if (!arch) {
      munmap(run, m_run_size);
      return arch.error();
    }
    return std::unique_ptr<platform::Vcpu>(
        new KvmVcpu(std::move(fd), static_cast<kvm_run*>(run), m_run_size, *arch, as));
  }

  platform::PhysicalMemory& memory() override { return *m_memory; }
  platform::CpuInfo cpu_info() const override { return m_arch->cpu_info(); }

 private:
  UniqueFd m_kvm;
  UniqueFd m_vm;
  std::unique_ptr<platform::PhysicalMemory> m_memory;
  size_t m_run_size;
  std::unique_ptr<ArchMachine> m_arch;
  std::mutex m_lock;
  unsigned m_next_vcpu = 0;
  uint32_t m_next_slot = 0;
};

}  // namespace

Result<std::unique_ptr<platform::Machine>, Error> create_machine(
    const platform::MachineOptions& options) {
  UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.valid()) {
    return host_error("open /dev/kvm", errno);
  }
  int version = TRY(KVM_IOCTL(kvm.get(), KVM_GET_API_VERSION, 0));
  if (version != KVM_API_VERSION) {
    return make_error(
        fmt::format("/dev/kvm speaks API version {}, moat needs {}", version, KVM_API_VERSION));
  }
  int run_size = TRY(KVM_IOCTL(kvm.get(), KVM_GET_VCPU_MMAP_SIZE, 0));
  UniqueFd vm(TRY(KVM_IOCTL(kvm.get(), KVM_CREATE_VM, 0ul)));
  auto memory = TRY(platform::PhysicalMemory::create(kRamBase, options.memory_bytes));
  install_kick_handler();
  auto machine = std::make_unique<KvmMachine>(std::move(kvm), std::move(vm), std::move(memory),
                                              static_cast<size_t>(run_size));
  TRY(machine->init());
  log::kvm().debug("created a VM with {} MiB of guest memory", options.memory_bytes >> 20);
  return std::unique_ptr<platform::Machine>(std::move(machine));
}

}  // namespace moat::kvm
