#include "platform/kvm/arch/amd64/arch_machine.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "platform/kvm/kvm_fd.h"
#include "platform/kvm/user_address_space.h"

extern "C" {
extern const char moat_amd64_stub_start[];
extern const char moat_amd64_stub_end[];
extern const char moat_amd64_syscall_entry[];
extern const uint64_t moat_amd64_vector_offsets[32];
extern const char moat_amd64_return_to_user[];
extern const char moat_amd64_kick_entry[];
}

static_assert(sizeof(kvm_cpuid2) == 8, "kvm_cpuid2 must match the kernel's layout");
static_assert(sizeof(kvm_msrs) == 8, "kvm_msrs must match the kernel's layout");
static_assert(offsetof(kvm_msrs, entries) == 8, "kvm_msrs must match the kernel's layout");

namespace moat::kvm {
namespace {

constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint32_t kMsrStar = 0xc0000081;
constexpr uint32_t kMsrLstar = 0xc0000082;
constexpr uint32_t kMsrCstar = 0xc0000083;
constexpr uint32_t kMsrSfmask = 0xc0000084;
constexpr uint32_t kMsrFsBase = 0xc0000100;
constexpr uint32_t kMsrGsBase = 0xc0000101;
constexpr uint32_t kMsrKernelGsBase = 0xc0000102;
constexpr uint32_t kMsrTscAux = 0xc0000103;
constexpr uint32_t kMsrPat = 0x277;

constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Mp = 1ull << 1, kCr0Et = 1ull << 4, kCr0Ne = 1ull << 5,
                   kCr0Wp = 1ull << 16, kCr0Am = 1ull << 18, kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pae = 1ull << 5, kCr4Osfxsr = 1ull << 9, kCr4Osxmmexcpt = 1ull << 10,
                   kCr4Fsgsbase = 1ull << 16, kCr4Osxsave = 1ull << 18;
constexpr uint64_t kEferSce = 1ull << 0, kEferLme = 1ull << 8, kEferLma = 1ull << 10,
                   kEferNxe = 1ull << 11;

// RFLAGS bits cleared on SYSCALL entry: TF, IF, DF, IOPL, NT, RF, AC, ID... as Linux.
constexpr uint64_t kSyscallMask = 0x47700;

constexpr uint64_t offset_of_symbol(const char* symbol) {
  return static_cast<uint64_t>(symbol - moat_amd64_stub_start);
}

// A 16-byte 64-bit interrupt gate.
void write_gate(std::byte* idt, unsigned vector, uint64_t handler, unsigned dpl) {
  uint64_t low = (handler & 0xffff) | (uint64_t{KERNEL_CS} << 16) |
                 (uint64_t{0x8e | (dpl << 5)} << 40) | (((handler >> 16) & 0xffff) << 48);
  uint64_t high = handler >> 32;
  std::memcpy(idt + vector * 16, &low, 8);
  std::memcpy(idt + vector * 16 + 8, &high, 8);
}

kvm_segment code_segment(uint16_t selector, uint8_t dpl) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 0xb;  // execute/read, accessed
  s.present = 1;
  s.dpl = dpl;
  s.db = 0;
  s.s = 1;
  s.l = 1;
  s.g = 1;
  return s;
}

kvm_segment data_segment(uint16_t selector, uint8_t dpl) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 0x3;  // read/write, accessed
  s.present = 1;
  s.dpl = dpl;
  s.db = 1;
  s.s = 1;
  s.g = 1;
  return s;
}

// A kvm_msrs with room for a few entries (its entries[] is a flexible array).
class MsrList {
 public:
  void add(uint32_t index, uint64_t value) {
    entries()[header()->nmsrs++] = kvm_msr_entry{index, 0, value};
  }
  // SAFETY: m_storage is aligned and sized for the header and kMax entries.
  kvm_msrs* header() { return reinterpret_cast<kvm_msrs*>(m_storage); }
  kvm_msr_entry* entries() { return reinterpret_cast<kvm_msr_entry*>(m_storage + 1); }
  const kvm_msr_entry& entry(unsigned i) { return entries()[i]; }

 private:
  static constexpr unsigned kMax = 16;
  alignas(kvm_msrs) uint64_t m_storage[(sizeof(kvm_msrs) + kMax * sizeof(kvm_msr_entry)) / 8]{};
};

// The user half: below kUserAddressEnd, under the first 256 top-level slots.
using Amd64AddressSpace =
    UserAddressSpace<Amd64PageFormat, kUserAddressEnd, Amd64PageTable::kEntries / 2>;

}  // namespace

Result<std::unique_ptr<ArchMachine>, Error> ArchMachine::create(int kvm_fd, int vm_fd,
                                                                platform::PhysicalMemory& memory) {
  // Needed on Intel hosts without unrestricted guest; harmless elsewhere. The
  // range lies below the guest's RAM.
  TRY(KVM_IOCTL(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul));

  auto kernel = Amd64PageTable::create(memory);
  if (!kernel) {
    return make_error("out of guest memory for page tables");
  }
  auto machine = std::unique_ptr<ArchMachine>(new ArchMachine(kvm_fd, memory, *kernel));
  TRY(machine->load_stub());

  // CPUID: what KVM supports, which the guest sees as-is.
  constexpr int kMaxEntries = 256;
  auto* cpuid = static_cast<kvm_cpuid2*>(
      std::calloc(1, sizeof(kvm_cpuid2) + kMaxEntries * sizeof(kvm_cpuid_entry2)));
  cpuid->nent = kMaxEntries;
  machine->m_cpuid = {cpuid, std::free};
  TRY(KVM_IOCTL(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid));
  for (uint32_t i = 0; i < cpuid->nent; ++i) {
    const auto& e = cpuid->entries[i];
    if (e.function == 1) {
      machine->m_cpuid_leaf1_edx = e.edx;
      machine->m_xsave = (e.ecx & (1u << 26)) != 0;
    } else if (e.function == 7 && e.index == 0) {
      machine->m_fsgsbase = (e.ebx & 1u) != 0;
    } else if (e.function == 0xd && e.index == 0) {
      // x87, SSE, AVX and AVX-512 state; not AMX (needs a permission request)
      // nor PKRU (needs CR4.PKE).
      machine->m_xcr0 = (e.eax | (uint64_t{e.edx} << 32)) & 0xe7;
    }
  }
  if (machine->m_xsave && machine->m_xcr0 != 0) {
    // The legacy area and the XSAVE header, then each enabled component at
    // the offset CPUID leaf 0xd gives it.
    uint64_t size = 512 + 64;
    for (uint32_t i = 0; i < cpuid->nent; ++i) {
      const auto& e = cpuid->entries[i];
      if (e.function == 0xd && e.index >= 2 && e.index < 64 &&
          (machine->m_xcr0 & (uint64_t{1} << e.index)) != 0) {
        size = std::max<uint64_t>(size, uint64_t{e.ebx} + e.eax);
      }
    }
    machine->m_fp_state_size = std::min<uint64_t>(size, sizeof(kvm_xsave));
  }
  return machine;
}

Result<void, Error> ArchMachine::map_kernel_page(uint64_t va, platform::PhysAddr page,
                                                 bool writable, bool executable) {
  if (!m_kernel.map(va, page, Amd64PageFormat::kernel_entry_bits(writable, executable))) {
    return make_error("out of guest memory for the stub");
  }
  return {};
}

Result<void, Error> ArchMachine::load_stub() {
  const uint64_t size = static_cast<uint64_t>(moat_amd64_stub_end - moat_amd64_stub_start);
  for (uint64_t off = 0; off < size; off += kPageSize) {
    auto page = m_memory.allocate_page();
    if (!page) {
      return make_error("out of guest memory for the stub");
    }
    std::memcpy(m_memory.host(*page), moat_amd64_stub_start + off,
                std::min<uint64_t>(kPageSize, size - off));
    TRY(map_kernel_page(kStubBase + off, *page, false, true));
  }

  auto idt = m_memory.allocate_page();
  if (!idt) {
    return make_error("out of guest memory for the IDT");
  }
  for (unsigned v = 0; v < 32; ++v) {
    // #BP and #OF may be raised by int3/into from user mode, as on Linux.
    unsigned dpl = (v == 3 || v == 4) ? 3 : 0;
    write_gate(m_memory.host(*idt), v, kStubBase + moat_amd64_vector_offsets[v], dpl);
  }
  write_gate(m_memory.host(*idt), KICK_VECTOR, kStubBase + offset_of_symbol(moat_amd64_kick_entry),
             0);
  TRY(map_kernel_page(kIdtAddress, *idt, false, false));

  // Every address space links slot 511 to this table.
  m_kernel_half = m_kernel.top_level(511);
  return {};
}

Result<std::unique_ptr<platform::AddressSpace>, Error> ArchMachine::new_address_space() {
  auto table = Amd64PageTable::create(m_memory);
  if (!table) {
    return make_error("out of guest memory for page tables");
  }
  table->set_top_level(511, m_kernel_half);
  return std::unique_ptr<platform::AddressSpace>(new Amd64AddressSpace(m_memory, *table));
}

Result<void, Error> ArchMachine::load_cpuid(int vcpu_fd) {
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_CPUID2, m_cpuid.get()));
  return {};
}

Result<ArchVcpu, Error> ArchMachine::init_vcpu(int vcpu_fd, unsigned index,
                                               platform::AddressSpace& as) {
  if (index >= kMaxVcpus) {
    return make_error("too many vCPUs");
  }
  const uint64_t area = kCpuAreaBase + index * kCpuAreaStride;
  auto control = m_memory.allocate_page();
  if (!control) {
    return make_error("out of guest memory for a vCPU");
  }
  TRY(map_kernel_page(area, *control, true, false));
  std::byte* control_page = m_memory.host(*control);

  // GDT, Linux's layout.
  const uint64_t gdt[] = {
      0,
      0,
      0x00af9b000000ffffull,  // 0x10 kernel code 64
      0x00cf93000000ffffull,  // 0x18 kernel data
      0x00cffb000000ffffull,  // 0x23 user code 32
      0x00cff3000000ffffull,  // 0x2b user data
      0x00affb000000ffffull,  // 0x33 user code 64
      0,
      0,  // 0x40 TSS, two slots
      0,
  };
  std::memcpy(control_page + CPU_GDT, gdt, sizeof(gdt));
  const uint64_t tss = area + CPU_TSS;
  const uint64_t tss_limit = 0x67;
  uint64_t tss_low =
      tss_limit | ((tss & 0xffffff) << 16) | (uint64_t{0x89} << 40) | (((tss >> 24) & 0xff) << 56);
  uint64_t tss_high = tss >> 32;
  std::memcpy(control_page + CPU_GDT + TSS_SELECTOR, &tss_low, 8);
  std::memcpy(control_page + CPU_GDT + TSS_SELECTOR + 8, &tss_high, 8);
  // TSS: RSP0 = the end of the trap frame; I/O bitmap offset beyond the
  // limit (no user I/O).
  std::byte* tss_bytes = control_page + CPU_TSS;
  const uint64_t stack_top = area + CPU_STACK_TOP;
  std::memcpy(tss_bytes + 4, &stack_top, 8);
  uint16_t iomap = 0x68;
  std::memcpy(tss_bytes + 0x66, &iomap, 2);
  std::memcpy(control_page + CPU_KERNEL_SP, &stack_top, 8);

  // SAFETY: the trap frame lies inside the control page we own.
  auto* frame = reinterpret_cast<TrapFrame*>(control_page + CPU_FRAME);
  frame->regs.cs = USER_CS;
  frame->regs.ss = USER_DS;
  frame->regs.rflags = 0x202;

  TRY(load_cpuid(vcpu_fd));

  kvm_sregs sregs{};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_SREGS, &sregs));
  sregs.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Am | kCr0Pg;
  sregs.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
  if (m_fsgsbase) {
    sregs.cr4 |= kCr4Fsgsbase;
  }
  if (m_xsave) {
    sregs.cr4 |= kCr4Osxsave;
  }
  sregs.efer = kEferSce | kEferLme | kEferLma | kEferNxe;
  auto* amd64_as = static_cast<Amd64AddressSpace*>(&as);
  sregs.cr3 = amd64_as->root();
  sregs.cs = code_segment(KERNEL_CS, 0);
  sregs.ds = sregs.es = sregs.ss = data_segment(KERNEL_DS, 0);
  sregs.fs = data_segment(0, 0);
  sregs.gs = data_segment(0, 0);
  sregs.fs.present = sregs.gs.present = 1;
  sregs.tr = kvm_segment{};
  sregs.tr.base = tss;
  sregs.tr.limit = tss_limit;
  sregs.tr.selector = TSS_SELECTOR;
  sregs.tr.type = 0xb;  // busy 64-bit TSS
  sregs.tr.present = 1;
  sregs.ldt = kvm_segment{};
  sregs.ldt.unusable = 1;
  sregs.gdt.base = area + CPU_GDT;
  sregs.gdt.limit = sizeof(gdt) - 1;
  sregs.idt.base = kIdtAddress;
  sregs.idt.limit = (KICK_VECTOR + 1) * 16 - 1;
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_SREGS, &sregs));

  MsrList msrs;
  auto add = [&](uint32_t index_msr, uint64_t value) { msrs.add(index_msr, value); };
  add(kMsrStar, (uint64_t{USER32_CS} << 48) | (uint64_t{KERNEL_CS} << 32));
  add(kMsrLstar, kStubBase + offset_of_symbol(moat_amd64_syscall_entry));
  add(kMsrCstar, kStubBase + offset_of_symbol(moat_amd64_syscall_entry));
  add(kMsrSfmask, kSyscallMask);
  add(kMsrFsBase, 0);
  add(kMsrGsBase, 0);           // the user's
  add(kMsrKernelGsBase, area);  // the control page, for the SYSCALL entry's SWAPGS
  add(kMsrTscAux, index);
  add(kMsrPat, 0x0007040600070406ull);
  auto set = KVM_IOCTL(vcpu_fd, KVM_SET_MSRS, msrs.header());
  if (!set) {
    return set.error();
  }
  if (static_cast<uint32_t>(*set) != msrs.header()->nmsrs) {
    return make_error("KVM_SET_MSRS: an MSR was refused");
  }
  (void)kMsrEfer;

  if (m_xsave && m_xcr0 != 0) {
    kvm_xcrs xcrs{};
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = m_xcr0;
    TRY(KVM_IOCTL(vcpu_fd, KVM_SET_XCRS, &xcrs));
  }

  kvm_regs regs{};
  regs.rip = kStubBase + offset_of_symbol(moat_amd64_return_to_user);
  regs.rsp = area + CPU_FRAME + TF_CR2;
  regs.rflags = 0x2;
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_REGS, &regs));

  ArchVcpu vcpu;
  vcpu.frame = frame;
  vcpu.syscall_entry = kStubBase + offset_of_symbol(moat_amd64_syscall_entry);
  vcpu.loaded_root = amd64_as->root();
  vcpu.seen_generation = as.generation();
  return vcpu;
}

Result<void, Error> ArchVcpu::switch_root(int vcpu_fd, platform::AddressSpace& as) {
  // The vCPU sits in the stub, after its last exit, with the old tables in
  // CR3; they may have been freed with their process. The stub must not
  // fetch another instruction through them, so CR3 changes from outside.
  kvm_sregs sregs{};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_SREGS, &sregs));
  auto& amd64_as = static_cast<Amd64AddressSpace&>(as);
  sregs.cr3 = amd64_as.root();
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_SREGS, &sregs));
  frame->new_cr3 = 0;
  loaded_root = amd64_as.root();
  seen_generation = as.generation();
  return {};
}

void ArchVcpu::prepare_entry(platform::AddressSpace& as) {
  // The IRETQ frame must return to ring 3 with flags a user may hold, whatever
  // the sentry wrote: CF PF AF ZF SF TF DF OF AC and ID; IF always set.
  constexpr uint64_t kUserFlags =
      0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x200000;
  frame->regs.cs = USER_CS;
  frame->regs.ss = USER_DS;
  frame->regs.rflags = (frame->regs.rflags & kUserFlags) | 0x202;
  auto& amd64_as = static_cast<Amd64AddressSpace&>(as);
  if (amd64_as.root() != loaded_root || as.generation() != seen_generation) {
    frame->new_cr3 = amd64_as.root();
    loaded_root = amd64_as.root();
    seen_generation = as.generation();
  }
}

platform::Trap ArchVcpu::decode(uint32_t port) const {
  platform::Trap trap;
  if (port == SYSCALL_PORT) {
    trap.kind = platform::Trap::Kind::kSyscall;
    return trap;
  }
  if (port == KICK_PORT) {
    trap.kind = platform::Trap::Kind::kInterrupted;
    return trap;
  }
  const uint32_t vector = port - VECTOR_PORT_BASE;
  trap.vector = vector;
  trap.error_code = frame->regs.error_code;
  if (vector == 14 && frame->cr2 == syscall_entry && frame->regs.rip == syscall_entry) {
    // Some nested hypervisors run SYSCALL without switching to ring 0: RIP
    // becomes LSTAR, RCX and R11 are saved, but CPL stays 3 and the fetch of
    // the supervisor-only entry page faults. That fault is the system call.
    frame->regs.rip = frame->regs.rcx;
    frame->regs.rflags = frame->regs.r11;
    frame->regs.error_code = 0;
    trap.kind = platform::Trap::Kind::kSyscall;
    return trap;
  }
  if (vector == 14) {
    trap.kind = platform::Trap::Kind::kPageFault;
    trap.address = frame->cr2;
    trap.protection = (trap.error_code & 1) != 0;
    if (trap.error_code & (1u << 4)) {
      trap.access = platform::Access::kExecute;
    } else if (trap.error_code & (1u << 1)) {
      trap.access = platform::Access::kWrite;
    } else {
      trap.access = platform::Access::kRead;
    }
    return trap;
  }
  trap.kind = platform::Trap::Kind::kException;
  return trap;
}

Result<void, Error> ArchMachine::set_special(int vcpu_fd, platform::SpecialRegister reg,
                                             uint64_t value) {
  uint32_t msr = kMsrFsBase;
  switch (reg) {
    case platform::SpecialRegister::kFsBase:
    case platform::SpecialRegister::kTlsPointer:
      msr = kMsrFsBase;
      break;
    case platform::SpecialRegister::kGsBase:
      msr = kMsrGsBase;
      break;
  }
  MsrList msrs;
  msrs.add(msr, value);
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_MSRS, msrs.header()));
  return {};
}

Result<uint64_t, Error> ArchMachine::get_special(int vcpu_fd, platform::SpecialRegister reg) {
  uint32_t msr = reg == platform::SpecialRegister::kGsBase ? kMsrGsBase : kMsrFsBase;
  MsrList msrs;
  msrs.add(msr, 0);
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_MSRS, msrs.header()));
  return msrs.entry(0).data;
}

Result<void, Error> ArchVcpu::set_special(int vcpu_fd, platform::SpecialRegister reg,
                                          uint64_t value) {
  return ArchMachine::set_special(vcpu_fd, reg, value);
}

Result<uint64_t, Error> ArchVcpu::get_special(int vcpu_fd, platform::SpecialRegister reg) const {
  return ArchMachine::get_special(vcpu_fd, reg);
}

Result<void, Error> ArchMachine::get_fp_state(int vcpu_fd, std::span<std::byte> out) {
  kvm_xsave xsave{};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_XSAVE, &xsave));
  std::memcpy(out.data(), xsave.region, std::min(out.size(), sizeof(xsave.region)));
  return {};
}

Result<void, Error> ArchMachine::set_fp_state(int vcpu_fd, std::span<const std::byte> in) {
  kvm_xsave xsave{};
  TRY(KVM_IOCTL(vcpu_fd, KVM_GET_XSAVE, &xsave));
  std::memcpy(xsave.region, in.data(), std::min(in.size(), sizeof(xsave.region)));
  TRY(KVM_IOCTL(vcpu_fd, KVM_SET_XSAVE, &xsave));
  return {};
}

platform::CpuInfo ArchMachine::cpu_info() const {
  platform::CpuInfo info;
  info.hwcap = m_cpuid_leaf1_edx;
  info.hwcap2 = m_fsgsbase ? (1u << 1) : 0;  // HWCAP2_FSGSBASE
  info.platform = "x86_64";
  info.fp_state_size = m_fp_state_size;
  info.xfeatures = m_xsave ? m_xcr0 : 0x3;
  return info;
}

std::optional<uint32_t> ArchMachine::trap_reason(const kvm_run& run) {
  if (run.exit_reason != KVM_EXIT_IO || run.io.direction != KVM_EXIT_IO_OUT) {
    return std::nullopt;
  }
  if (run.io.port == SYSCALL_PORT || run.io.port == KICK_PORT ||
      (run.io.port >= VECTOR_PORT_BASE && run.io.port < VECTOR_PORT_BASE + 32)) {
    return run.io.port;
  }
  return std::nullopt;
}

Result<void, Error> ArchVcpu::request_stop(int vcpu_fd, kvm_run& run) {
  if (stop_injected) {
    return {};
  }
  // Without an in-kernel interrupt controller, an interrupt is injected only
  // when the guest can take it; until then KVM is asked to exit as soon as
  // it can (KVM_EXIT_IRQ_WINDOW_OPEN), which is once the stub is back in
  // user code.
  if (run.ready_for_interrupt_injection != 0 && run.if_flag != 0) {
    kvm_interrupt irq{KICK_VECTOR};
    TRY(KVM_IOCTL(vcpu_fd, KVM_INTERRUPT, &irq));
    stop_injected = true;
    run.request_interrupt_window = 0;
  } else {
    run.request_interrupt_window = 1;
  }
  return {};
}

void ArchVcpu::stop_taken(int /*vcpu_fd*/, kvm_run& run) {
  stop_injected = false;
  run.request_interrupt_window = 0;
}

std::optional<uint32_t> ArchMachine::stub_fault(const kvm_run& run) {
  if (run.exit_reason != KVM_EXIT_IO || run.io.port != STUB_FAULT_PORT) {
    return std::nullopt;
  }
  // SAFETY: KVM puts the OUT's data at data_offset inside the kvm_run mapping.
  return *(reinterpret_cast<const uint8_t*>(&run) + run.io.data_offset);
}

}  // namespace moat::kvm
