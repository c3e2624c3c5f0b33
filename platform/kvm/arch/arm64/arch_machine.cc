#include "platform/kvm/arch/arm64/arch_machine.h"

#include <algorithm>
#include <cstring>

#include "platform/kvm/kvm_fd.h"
#include "platform/kvm/user_address_space.h"

extern "C" {
extern const char moat_arm64_stub_start[];
extern const char moat_arm64_stub_end[];
extern const char moat_arm64_vectors[];
extern const char moat_arm64_return_to_user[];
}

namespace moat::kvm {
namespace {

constexpr uint64_t sys_reg(uint64_t op0, uint64_t op1, uint64_t crn, uint64_t crm, uint64_t op2) {
  return ARM64_SYS_REG(op0, op1, crn, crm, op2);
}

constexpr uint64_t kSctlrEl1 = sys_reg(3, 0, 1, 0, 0);
constexpr uint64_t kCpacrEl1 = sys_reg(3, 0, 1, 0, 2);
constexpr uint64_t kTtbr0El1 = sys_reg(3, 0, 2, 0, 0);
constexpr uint64_t kTtbr1El1 = sys_reg(3, 0, 2, 0, 1);
constexpr uint64_t kTcrEl1 = sys_reg(3, 0, 2, 0, 2);
constexpr uint64_t kMairEl1 = sys_reg(3, 0, 10, 2, 0);
constexpr uint64_t kVbarEl1 = sys_reg(3, 0, 12, 0, 0);
constexpr uint64_t kCntkctlEl1 = sys_reg(3, 0, 14, 1, 0);
constexpr uint64_t kIdAa64Pfr0 = sys_reg(3, 0, 0, 4, 0);
constexpr uint64_t kIdAa64Pfr1 = sys_reg(3, 0, 0, 4, 1);
constexpr uint64_t kIdAa64Isar0 = sys_reg(3, 0, 0, 6, 0);
constexpr uint64_t kIdAa64Isar1 = sys_reg(3, 0, 0, 6, 1);
constexpr uint64_t kIdAa64Mmfr0 = sys_reg(3, 0, 0, 7, 0);
constexpr uint64_t kIdAa64Mmfr2 = sys_reg(3, 0, 0, 7, 2);

constexpr uint64_t core_reg(size_t offset) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset / sizeof(uint32_t));
}
const uint64_t kPc = core_reg(offsetof(kvm_regs, regs.pc));
const uint64_t kPstate = core_reg(offsetof(kvm_regs, regs.pstate));
const uint64_t kSpEl1 = core_reg(offsetof(kvm_regs, sp_el1));

// The FP/SIMD registers, as struct user_fpsimd_state lays them out.
struct FpsimdState {
  __uint128_t vregs[32];
  uint32_t fpsr;
  uint32_t fpcr;
  uint32_t reserved[2];
};
static_assert(sizeof(FpsimdState) == 528);

uint64_t vreg(unsigned i) {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |
         ((offsetof(kvm_regs, fp_regs.vregs) + i * sizeof(__uint128_t)) / sizeof(uint32_t));
}
const uint64_t kFpsr = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |
                       (offsetof(kvm_regs, fp_regs.fpsr) / sizeof(uint32_t));
const uint64_t kFpcr = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |
                       (offsetof(kvm_regs, fp_regs.fpcr) / sizeof(uint32_t));

// SCTLR_EL1: MMU, caches, alignment checks of SP, EL0 access to DC ZVA,
// CTR_EL0 and cache maintenance, WFI/WFE not trapped, and the RES1 bits.
constexpr uint64_t kSctlr = 0x34d5d91d;
// MAIR_EL1: index 0 normal write-back, index 1 Device-nGnRE.
constexpr uint64_t kMair = 0x04ff;
// CPACR_EL1.FPEN = 0b11: FP/SIMD at EL0 without traps.
constexpr uint64_t kCpacr = 3ull << 20;
// CNTKCTL_EL1.EL0VCTEN: EL0 may read the virtual counter, as on Linux.
constexpr uint64_t kCntkctl = 1ull << 1;
// EL1h with D, A, I, F masked: the stub's state at the first entry.
constexpr uint64_t kPstateEl1h = 0x3c5;
// The ASID every user address space uses; the stub flushes the TLB whenever
// TTBR0 changes, so one suffices.
constexpr uint64_t kAsid = 1;

Result<void, Error> set_reg(int vcpu_fd, uint64_t id, uint64_t value) {
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_ONE_REG, &reg));
  return {};
}

Result<uint64_t, Error> get_reg(int vcpu_fd, uint64_t id) {
  uint64_t value = 0;
  kvm_one_reg reg{id, reinterpret_cast<uint64_t>(&value)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_ONE_REG, &reg));
  return value;
}

constexpr unsigned field(uint64_t reg, unsigned shift) {
  return (reg >> shift) & 0xf;
}

// The user half: below kUserAddressEnd, under the first 512 top-level slots.
using Arm64AddressSpace =
    UserAddressSpace<Arm64PageFormat, kUserAddressEnd, Arm64PageTable::kEntries>;

}  // namespace

Result<std::unique_ptr<ArchMachine>, Error> ArchMachine::create(int /*kvm_fd*/, int vm_fd,
                                                                platform::PhysicalMemory& memory) {
  auto kernel = Arm64PageTable::create(memory);
  if (!kernel) {
    return make_error("out of guest memory for page tables");
  }
  auto machine = std::unique_ptr<ArchMachine>(new ArchMachine(vm_fd, memory, *kernel));
  TRY(machine->load_stub());
  return machine;
}

Result<void, Error> ArchMachine::map_kernel_page(uint64_t va, platform::PhysAddr page,
                                                 bool writable, bool executable) {
  if (!m_kernel.map(va, page, Arm64PageFormat::kernel_entry_bits(writable, executable))) {
    return make_error("out of guest memory for the stub");
  }
  return {};
}

Result<void, Error> ArchMachine::load_stub() {
  const uint64_t size = static_cast<uint64_t>(moat_arm64_stub_end - moat_arm64_stub_start);
  for (uint64_t off = 0; off < size; off += kPageSize) {
    auto page = m_memory.allocate_page();
    if (!page) {
      return make_error("out of guest memory for the stub");
    }
    std::memcpy(m_memory.host(*page), moat_arm64_stub_start + off,
                std::min<uint64_t>(kPageSize, size - off));
    TRY(map_kernel_page(kStubBase + off, *page, false, true));
  }
  if (!m_kernel.map(kDoorbellAddress, kDoorbellGpa, Arm64PageFormat::kDeviceEntryBits)) {
    return make_error("out of guest memory for the stub");
  }
  return {};
}

Result<std::unique_ptr<platform::AddressSpace>, Error> ArchMachine::new_address_space() {
  auto table = Arm64PageTable::create(m_memory);
  if (!table) {
    return make_error("out of guest memory for page tables");
  }
  return std::unique_ptr<platform::AddressSpace>(new Arm64AddressSpace(m_memory, *table));
}

Result<void, Error> ArchMachine::read_features(int vcpu_fd) {
  const uint64_t pfr0 = TRY(get_reg(vcpu_fd, kIdAa64Pfr0));
  const uint64_t pfr1 = TRY(get_reg(vcpu_fd, kIdAa64Pfr1));
  const uint64_t isar0 = TRY(get_reg(vcpu_fd, kIdAa64Isar0));
  const uint64_t isar1 = TRY(get_reg(vcpu_fd, kIdAa64Isar1));
  const uint64_t mmfr0 = TRY(get_reg(vcpu_fd, kIdAa64Mmfr0));
  const uint64_t mmfr2 = TRY(get_reg(vcpu_fd, kIdAa64Mmfr2));

  // AT_HWCAP bits (Linux's uapi/asm/hwcap.h) for what EL0 can use here.
  // Not offered: pointer authentication, SVE and BTI (moat does not enable
  // them for the vCPU), CPUID (moat does not emulate EL0 MRS of ID
  // registers) and EVTSTRM (no event stream is configured).
  uint64_t hwcap = 0;
  auto set = [&](bool condition, unsigned bit) {
    if (condition) {
      hwcap |= uint64_t{1} << bit;
    }
  };
  const unsigned fp = field(pfr0, 16), simd = field(pfr0, 20);
  set(fp != 0xf, 0);               // FP
  set(simd != 0xf, 1);             // ASIMD
  set(field(isar0, 4) >= 1, 3);    // AES
  set(field(isar0, 4) >= 2, 4);    // PMULL
  set(field(isar0, 8) >= 1, 5);    // SHA1
  set(field(isar0, 12) >= 1, 6);   // SHA2
  set(field(isar0, 16) >= 1, 7);   // CRC32
  set(field(isar0, 20) >= 2, 8);   // ATOMICS
  set(fp == 1, 9);                 // FPHP
  set(simd == 1, 10);              // ASIMDHP
  set(field(isar0, 28) >= 1, 12);  // ASIMDRDM
  set(field(isar1, 12) >= 1, 13);  // JSCVT
  set(field(isar1, 16) >= 1, 14);  // FCMA
  set(field(isar1, 20) >= 1, 15);  // LRCPC
  set(field(isar1, 0) >= 1, 16);   // DCPOP
  set(field(isar0, 32) >= 1, 17);  // SHA3
  set(field(isar0, 36) >= 1, 18);  // SM3
  set(field(isar0, 40) >= 1, 19);  // SM4
  set(field(isar0, 44) >= 1, 20);  // ASIMDDP
  set(field(isar0, 12) >= 2, 21);  // SHA512
  set(field(isar0, 48) >= 1, 23);  // ASIMDFHM
  set(field(pfr0, 48) >= 1, 24);   // DIT
  set(field(mmfr2, 32) >= 1, 25);  // USCAT
  set(field(isar1, 20) >= 2, 26);  // ILRCPC
  set(field(isar0, 52) >= 1, 27);  // FLAGM
  set(field(pfr1, 4) >= 2, 28);    // SSBS
  set(field(isar1, 36) >= 1, 29);  // SB
  m_cpu_info.hwcap = hwcap;
  uint64_t hwcap2 = 0;
  if (field(isar1, 0) >= 2) {
    hwcap2 |= 1u << 0;  // DCPODP
  }
  if (field(isar0, 52) >= 2) {
    hwcap2 |= 1u << 7;  // FLAGM2
  }
  if (field(isar1, 32) >= 1) {
    hwcap2 |= 1u << 8;  // FRINT
  }
  m_cpu_info.hwcap2 = hwcap2;
  m_cpu_info.platform = "aarch64";
  m_cpu_info.fp_state_size = sizeof(FpsimdState);

  // TCR_EL1: 48-bit TTBR0 and TTBR1 halves, 4 KiB granules, inner-shareable
  // write-back walks, top byte ignored for EL0 addresses (as Linux), and the
  // output size the CPU offers (at most 48 bits).
  const uint64_t ips = std::min<uint64_t>(field(mmfr0, 0), 5);
  m_tcr = 16 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (0ull << 14) |              // TTBR0
          (16ull << 16) | (1ull << 24) | (1ull << 26) | (3ull << 28) | (2ull << 30) |  // TTBR1
          (ips << 32) | (1ull << 37);                                                  // TBI0
  m_features_read = true;
  return {};
}

Result<ArchVcpu, Error> ArchMachine::init_vcpu(int vcpu_fd, unsigned index,
                                               platform::AddressSpace& as) {
  if (index >= kMaxVcpus) {
    return make_error("too many vCPUs");
  }
  kvm_vcpu_init init{};
  TRY(KVM_IOCTL(m_vm_fd, KVM_ARM_PREFERRED_TARGET, &init));
  TRY(KVM_IOCTL(vcpu_fd, KVM_ARM_VCPU_INIT, &init));
  if (!m_features_read) {
    TRY(read_features(vcpu_fd));
  }

  const uint64_t area = kCpuAreaBase + index * kCpuAreaStride;
  auto control = m_memory.allocate_page();
  if (!control) {
    return make_error("out of guest memory for a vCPU");
  }
  TRY(map_kernel_page(area, *control, true, false));
  // SAFETY: the trap frame lies at the start of the control page we own.
  auto* frame = reinterpret_cast<TrapFrame*>(m_memory.host(*control));
  frame->doorbell = kDoorbellAddress;
  frame->tpidr_el0 = 0;

  auto& arm64_as = static_cast<Arm64AddressSpace&>(as);
  TRY(set_reg(vcpu_fd, kMairEl1, kMair));
  TRY(set_reg(vcpu_fd, kTcrEl1, m_tcr));
  TRY(set_reg(vcpu_fd, kTtbr0El1, arm64_as.root() | (kAsid << 48)));
  TRY(set_reg(vcpu_fd, kTtbr1El1, m_kernel.root()));
  TRY(set_reg(vcpu_fd, kVbarEl1,
              kStubBase + static_cast<uint64_t>(moat_arm64_vectors - moat_arm64_stub_start)));
  TRY(set_reg(vcpu_fd, kCpacrEl1, kCpacr));
  TRY(set_reg(vcpu_fd, kCntkctlEl1, kCntkctl));
  TRY(set_reg(vcpu_fd, kSctlrEl1, kSctlr));
  TRY(set_reg(vcpu_fd, kSpEl1, area));
  TRY(set_reg(vcpu_fd, kPstate, kPstateEl1h));
  TRY(set_reg(
      vcpu_fd, kPc,
      kStubBase + static_cast<uint64_t>(moat_arm64_return_to_user - moat_arm64_stub_start)));

  ArchVcpu vcpu;
  vcpu.frame = frame;
  vcpu.vm_fd = m_vm_fd;
  vcpu.index = index;
  vcpu.loaded_root = arm64_as.root();
  vcpu.seen_generation = as.generation();
  return vcpu;
}

Result<void, Error> ArchVcpu::switch_root(int /*vcpu_fd*/, platform::AddressSpace& /*as*/) {
  // The stub runs from TTBR1's half, so stale user tables in TTBR0 are never
  // walked on its way out: the next entry loads the new ones and flushes.
  loaded_root = 0;
  return {};
}

void ArchVcpu::prepare_entry(platform::AddressSpace& as) {
  // Return to EL0t with the flags a user may hold: NZCV, DIT and SSBS.
  constexpr uint64_t kUserFlags = 0xf000'0000ull | (1ull << 24) | (1ull << 12);
  frame->regs.pstate &= kUserFlags;
  auto& arm64_as = static_cast<Arm64AddressSpace&>(as);
  if (arm64_as.root() != loaded_root || as.generation() != seen_generation) {
    frame->new_ttbr0 = arm64_as.root() | (kAsid << 48);
    loaded_root = arm64_as.root();
    seen_generation = as.generation();
  }
}

platform::Trap ArchVcpu::decode(uint32_t reason) const {
  if (reason == DOORBELL_SYNC) {
    return decode_esr(frame->esr, frame->far);
  }
  // An interrupt or SError while at EL0: nothing for the sentry to do.
  platform::Trap trap;
  trap.kind = platform::Trap::Kind::kInterrupted;
  return trap;
}

namespace {

Result<void, Error> set_irq_line(int vm_fd, unsigned index, bool level) {
  kvm_irq_level irq{};
  irq.irq = (KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT) |
            ((index & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT) |
            (((index >> 8) & KVM_ARM_IRQ_VCPU2_MASK) << KVM_ARM_IRQ_VCPU2_SHIFT) |
            KVM_ARM_IRQ_CPU_IRQ;
  irq.level = level ? 1 : 0;
  TRY(KVM_IOCTL(vm_fd, KVM_IRQ_LINE, &irq));
  return {};
}

}  // namespace

Result<void, Error> ArchVcpu::request_stop(int /*vcpu_fd*/, kvm_run& /*run*/) {
  if (stop_injected) {
    return {};
  }
  TRY(set_irq_line(vm_fd, index, true));
  stop_injected = true;
  return {};
}

void ArchVcpu::stop_taken(int /*vcpu_fd*/, kvm_run& /*run*/) {
  if (stop_injected) {
    (void)set_irq_line(vm_fd, index, false);
    stop_injected = false;
  }
}

Result<void, Error> ArchVcpu::set_special(int /*vcpu_fd*/, platform::SpecialRegister reg,
                                          uint64_t value) {
  if (reg != platform::SpecialRegister::kTlsPointer) {
    return make_error("arm64 has no such register");
  }
  frame->tpidr_el0 = value;
  return {};
}

Result<uint64_t, Error> ArchVcpu::get_special(int /*vcpu_fd*/,
                                              platform::SpecialRegister reg) const {
  if (reg != platform::SpecialRegister::kTlsPointer) {
    return make_error("arm64 has no such register");
  }
  return frame->tpidr_el0;
}

Result<void, Error> ArchMachine::get_fp_state(int vcpu_fd, std::span<std::byte> out) {
  FpsimdState state{};
  for (unsigned i = 0; i < 32; ++i) {
    kvm_one_reg reg{vreg(i), reinterpret_cast<uint64_t>(&state.vregs[i])};
    TRY(KVM_IOCTL(vcpu_fd, KVM_GET_ONE_REG, &reg));
  }
  kvm_one_reg fpsr{kFpsr, reinterpret_cast<uint64_t>(&state.fpsr)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_ONE_REG, &fpsr));
  kvm_one_reg fpcr{kFpcr, reinterpret_cast<uint64_t>(&state.fpcr)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_ONE_REG, &fpcr));
  std::memcpy(out.data(), &state, std::min(out.size(), sizeof(state)));
  return {};
}

Result<void, Error> ArchMachine::set_fp_state(int vcpu_fd, std::span<const std::byte> in) {
  FpsimdState state{};
  std::memcpy(&state, in.data(), std::min(in.size(), sizeof(state)));
  for (unsigned i = 0; i < 32; ++i) {
    kvm_one_reg reg{vreg(i), reinterpret_cast<uint64_t>(&state.vregs[i])};
    TRY(KVM_IOCTL(vcpu_fd, KVM_SET_ONE_REG, &reg));
  }
  kvm_one_reg fpsr{kFpsr, reinterpret_cast<uint64_t>(&state.fpsr)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_ONE_REG, &fpsr));
  kvm_one_reg fpcr{kFpcr, reinterpret_cast<uint64_t>(&state.fpcr)};
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_ONE_REG, &fpcr));
  return {};
}

std::optional<uint32_t> ArchMachine::trap_reason(const kvm_run& run) {
  if (run.exit_reason != KVM_EXIT_MMIO || !run.mmio.is_write || run.mmio.phys_addr < kDoorbellGpa ||
      run.mmio.phys_addr > kDoorbellGpa + DOORBELL_SERROR) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(run.mmio.phys_addr - kDoorbellGpa);
}

std::optional<uint32_t> ArchMachine::stub_fault(const kvm_run& run) {
  if (run.exit_reason != KVM_EXIT_MMIO ||
      run.mmio.phys_addr != kDoorbellGpa + DOORBELL_STUB_FAULT) {
    return std::nullopt;
  }
  return DOORBELL_STUB_FAULT;
}

}  // namespace moat::kvm
