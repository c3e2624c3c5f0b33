#pragma once

// arm64 half of the KVM platform: the guest's TTBR1 half (stub code and
// vectors, the doorbell, per-vCPU trap frames), page tables and vCPU system
// register setup. The generic code in platform/kvm/kvm_machine.cc uses
// exactly this header's names, which each architecture provides.

#include <cstdint>
#include <memory>
#include <optional>

#include "base/result.h"
#include "platform/kvm/arch/arm64/esr.h"
#include "platform/kvm/arch/arm64/page_format.h"
#include "platform/kvm/arch/arm64/trap_frame.h"
#include "platform/kvm/kvm_api.h"
#include "platform/platform.h"

namespace moat::kvm {

// Guest-virtual layout of the TTBR1 half (EL1 only).
inline constexpr uint64_t kStubBase = 0xffff'ff80'0000'0000ull;
inline constexpr uint64_t kDoorbellAddress = kStubBase + 0x40000;
inline constexpr uint64_t kCpuAreaBase = kStubBase + 0x100000;
inline constexpr uint64_t kCpuAreaStride = 0x10000;
inline constexpr unsigned kMaxVcpus = 1024;
// User addresses are below this (48-bit TTBR0 half; Linux uses 47 bits of
// it for the default address space, which the sentry's layout keeps to).
inline constexpr uint64_t kUserAddressEnd = 0x0001'0000'0000'0000ull;
// Guest-physical address of the doorbell: below RAM, with no memslot.
inline constexpr uint64_t kDoorbellGpa = 0x1000'0000ull;

struct ArchVcpu {
  TrapFrame* frame = nullptr;
  platform::PhysAddr loaded_root = 0;
  uint64_t seen_generation = 0;
  int vm_fd = -1;
  unsigned index = 0;          // in creation order, as KVM_IRQ_LINE names vCPUs
  bool stop_injected = false;  // the IRQ line is raised

  // Before KVM_RUN: sanitise PSTATE and switch/flush TTBR0 if needed.
  void prepare_entry(platform::AddressSpace& as);
  // A reused vCPU goes over to `as`, whose tables it loads before it next
  // runs anything.
  Result<void, Error> switch_root(int vcpu_fd, platform::AddressSpace& as);
  // After a doorbell exit: what happened, from trap_reason().
  platform::Trap decode(uint32_t reason) const;
  // Makes the vCPU leave user code through the stub, so its registers are
  // in the frame: its IRQ line (no in-kernel GIC) is raised; EL0 runs with
  // IRQs unmasked, the stub with them masked.
  Result<void, Error> request_stop(int vcpu_fd, kvm_run& run);
  // The IRQ trap came back: the line goes down.
  void stop_taken(int vcpu_fd, kvm_run& run);
  // The TLS pointer lives in the trap frame (the stub loads it on entry).
  Result<void, Error> set_special(int vcpu_fd, platform::SpecialRegister reg, uint64_t value);
  Result<uint64_t, Error> get_special(int vcpu_fd, platform::SpecialRegister reg) const;
};

// Moat's own thread pointer (TPIDR_EL0, its C library's TLS base), checked
// around KVM_RUN: in the emulated test VM the guest was seen running with
// moat's value (README, "Known problems"), and moat itself once died of
// SIGSEGV; a swapped pointer would crash moat at its next TLS access.
// restore() puts moat's back and says whether it had to.
class HostThreadGuard {
 public:
  HostThreadGuard() { asm volatile("mrs %0, tpidr_el0" : "=r"(m_tp)); }
  bool restore() const {
    uint64_t now;
    asm volatile("mrs %0, tpidr_el0" : "=r"(now));
    if (now == m_tp) [[likely]] {
      return false;
    }
    asm volatile("msr tpidr_el0, %0" : : "r"(m_tp));
    return true;
  }

 private:
  uint64_t m_tp = 0;
};

class ArchMachine {
 public:
  static Result<std::unique_ptr<ArchMachine>, Error> create(int kvm_fd, int vm_fd,
                                                            platform::PhysicalMemory& memory);

  Result<std::unique_ptr<platform::AddressSpace>, Error> new_address_space();
  Result<ArchVcpu, Error> init_vcpu(int vcpu_fd, unsigned index, platform::AddressSpace& as);
  // Valid once a vCPU exists: the features are read from its ID registers.
  platform::CpuInfo cpu_info() const { return m_cpu_info; }

  // Vcpu::get_fp_state / set_fp_state.
  static Result<void, Error> get_fp_state(int vcpu_fd, std::span<std::byte> out);
  static Result<void, Error> set_fp_state(int vcpu_fd, std::span<const std::byte> in);

  // For an exit through the stub's doorbell, why (the doorbell offset).
  static std::optional<uint32_t> trap_reason(const kvm_run& run);
  static std::optional<uint32_t> stub_fault(const kvm_run& run);

 private:
  ArchMachine(int vm_fd, platform::PhysicalMemory& memory, Arm64PageTable kernel)
      : m_vm_fd(vm_fd), m_memory(memory), m_kernel(kernel) {}

  Result<void, Error> map_kernel_page(uint64_t va, platform::PhysAddr page, bool writable,
                                      bool executable);
  Result<void, Error> load_stub();
  Result<void, Error> read_features(int vcpu_fd);

  int m_vm_fd;
  platform::PhysicalMemory& m_memory;
  Arm64PageTable m_kernel;  // TTBR1 of every vCPU
  platform::CpuInfo m_cpu_info;
  uint64_t m_tcr = 0;
  bool m_features_read = false;
};

}  // namespace moat::kvm
