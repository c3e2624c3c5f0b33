#pragma once

// x86-64 half of the KVM platform: the guest's kernel half (stub code, IDT,
// per-vCPU GDT/TSS/trap frame/stack), page tables and vCPU register setup.
// The generic code in platform/kvm/kvm_machine.cc uses exactly this header's
// names, which each architecture provides.

#include "platform/kvm/kvm_api.h"

#include <cstdint>
#include <memory>
#include <optional>

#include "base/result.h"
#include "platform/kvm/arch/amd64/page_format.h"
#include "platform/kvm/arch/amd64/trap_frame.h"
#include "platform/platform.h"

namespace moat::kvm {

// Guest-virtual layout of the kernel half (top-level slot 511, supervisor only).
inline constexpr uint64_t kStubBase = 0xffff'ff80'0000'0000ull;
inline constexpr uint64_t kIdtAddress = kStubBase + 0x10000;
inline constexpr uint64_t kCpuAreaBase = kStubBase + 0x100000;
inline constexpr uint64_t kCpuAreaStride = 0x10000;
inline constexpr unsigned kMaxVcpus = 1024;
// A CPU area is one control page (see stub_abi.h): GDT, TSS, scratch slots
// and the trap frame, which is also the stub's only stack.
// User addresses are below this (47-bit user half).
inline constexpr uint64_t kUserAddressEnd = 0x0000'8000'0000'0000ull;

// The host-side state of one vCPU.
struct ArchVcpu {
  TrapFrame* frame = nullptr;
  uint64_t syscall_entry = 0;  // LSTAR
  platform::PhysAddr loaded_root = 0;
  uint64_t seen_generation = 0;
  bool stop_injected = false;  // the kick interrupt is on its way

  // Before KVM_RUN: ask the stub to load (and so flush) the page tables if
  // the address space changed or was modified in a way that needs a flush.
  void prepare_entry(platform::AddressSpace& as);
  // A reused vCPU goes over to `as`, whose tables it loads before it next
  // runs anything.
  Result<void, Error> switch_root(int vcpu_fd, platform::AddressSpace& as);
  // After a doorbell exit: what happened, from trap_reason().
  platform::Trap decode(uint32_t port) const;
  // Makes the vCPU leave user code through the stub (the kick interrupt),
  // so its registers are in the frame; again after KVM_EXIT_IRQ_WINDOW_OPEN.
  Result<void, Error> request_stop(int vcpu_fd, kvm_run& run);
  // The kick trap came back.
  void stop_taken(int vcpu_fd, kvm_run& run);
  // FS/GS base: MSRs, through the vCPU.
  Result<void, Error> set_special(int vcpu_fd, platform::SpecialRegister reg, uint64_t value);
  Result<uint64_t, Error> get_special(int vcpu_fd, platform::SpecialRegister reg) const;
};

// The arm64 platform checks moat's thread pointer around KVM_RUN; x86-64's
// (FS base) has never been seen to change there.
class HostThreadGuard {
 public:
  bool restore() const { return false; }
};

class ArchMachine {
 public:
  static Result<std::unique_ptr<ArchMachine>, Error> create(int kvm_fd, int vm_fd,
                                                            platform::PhysicalMemory& memory);

  Result<std::unique_ptr<platform::AddressSpace>, Error> new_address_space();
  // Prepares a new vCPU so that its first KVM_RUN enters the stub's
  // return-to-user path with the registers in its trap frame.
  Result<ArchVcpu, Error> init_vcpu(int vcpu_fd, unsigned index, platform::AddressSpace& as);

  static Result<void, Error> set_special(int vcpu_fd, platform::SpecialRegister reg,
                                         uint64_t value);
  static Result<uint64_t, Error> get_special(int vcpu_fd, platform::SpecialRegister reg);
  // Vcpu::get_fp_state / set_fp_state.
  static Result<void, Error> get_fp_state(int vcpu_fd, std::span<std::byte> out);
  static Result<void, Error> set_fp_state(int vcpu_fd, std::span<const std::byte> in);

  platform::CpuInfo cpu_info() const;

  // For an exit through the stub's doorbell, why (here: the port); nullopt
  // for any other exit.
  static std::optional<uint32_t> trap_reason(const kvm_run& run);
  // For an exit that reports a fault in the stub itself, the vector.
  static std::optional<uint32_t> stub_fault(const kvm_run& run);

 private:
  ArchMachine(int kvm_fd, platform::PhysicalMemory& memory, Amd64PageTable kernel)
      : m_kvm_fd(kvm_fd), m_memory(memory), m_kernel(kernel) {}

  Result<void, Error> map_kernel_page(uint64_t va, platform::PhysAddr page, bool writable,
                                      bool executable);
  Result<void, Error> load_stub();
  Result<void, Error> load_cpuid(int vcpu_fd);

  int m_kvm_fd;
  platform::PhysicalMemory& m_memory;
  Amd64PageTable m_kernel;  // its slot 511 is shared by every address space
  platform::PhysAddr m_kernel_half = 0;
  uint64_t m_cpuid_leaf1_edx = 0;
  bool m_fsgsbase = false;
  bool m_xsave = false;
  uint64_t m_xcr0 = 0;
  uint64_t m_fp_state_size = 512;  // FXSAVE, or the XSAVE area of m_xcr0
  std::unique_ptr<kvm_cpuid2, void (*)(void*)> m_cpuid{nullptr, nullptr};
};

}  // namespace moat::kvm
