#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/result.h"
#include "platform/physical_memory.h"
#include "user_regs.h"  // per arch: platform/arch/<arch>/user_regs.h

namespace moat::platform {

// Page protections, as PROT_* bits.
inline constexpr uint32_t kProtNone = 0;
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;

enum class Access { kRead, kWrite, kExecute };

// Why a vCPU stopped running guest code.
struct Trap {
  enum class Kind {
    kSyscall,      // the program made a system call; arguments are in the registers
    kPageFault,    // a user access to `address` was refused by the page tables
    kException,    // another CPU exception from user mode (`vector`, `error_code`)
    kInterrupted,  // Vcpu::kick() stopped the run
  };
  Kind kind = Kind::kSyscall;
  uint64_t address = 0;           // kPageFault: the faulting address
  Access access = Access::kRead;  // kPageFault
  bool protection = false;        // kPageFault: the page was present (access violation)
  uint32_t vector = 0;            // kException: architecture exception number
  uint64_t error_code = 0;        // kException: the syndrome / error code
};

// What a page-table entry maps.
struct Translation {
  PhysAddr page = 0;
  uint32_t prot = kProtNone;
};

// A guest address space: one set of stage-1 page tables for the user half.
// Addresses and lengths are page-aligned. Not thread-safe; the memory manager
// serialises changes.
class AddressSpace {
 public:
  virtual ~AddressSpace() = default;

  // Maps the page at `va` to `page` with `prot` (kProtNone keeps the page but
  // makes it inaccessible). Replaces an existing mapping. ENOMEM if a
  // page-table page cannot be allocated.
  virtual Result<void> map(uint64_t va, PhysAddr page, uint32_t prot) = 0;
  // Removes every mapping in [va, va + len), handing each page to `release`.
  virtual void unmap(uint64_t va, uint64_t len, const std::function<void(PhysAddr)>& release) = 0;
  // Changes the protection of every mapped page in [va, va + len).
  virtual void protect(uint64_t va, uint64_t len, uint32_t prot) = 0;
  virtual std::optional<Translation> translate(uint64_t va) const = 0;
  // Calls fn(va, translation) for each mapped page in [va, va + len),
  // ascending, skipping unmapped stretches cheaply.
  virtual void visit(uint64_t va, uint64_t len,
                     const std::function<void(uint64_t, const Translation&)>& fn) const = 0;

  // Incremented by every change that can leave stale TLB entries; a vCPU
  // flushes before it next enters the guest with this address space. Other
  // vCPUs, running or not, lose the old translations through the memory's
  // PhysicalMemory::invalidate (or the freeing of the page) before the
  // change returns.
  uint64_t generation() const { return m_generation.load(std::memory_order_seq_cst); }

 protected:
  void bump_generation() { m_generation.fetch_add(1, std::memory_order_seq_cst); }

 private:
  std::atomic<uint64_t> m_generation{0};
};

// Registers only the host can set on a vCPU outside the trap frame.
enum class SpecialRegister { kFsBase, kGsBase, kTlsPointer };

// One virtual CPU. It belongs to the host thread that calls run().
class Vcpu {
 public:
  virtual ~Vcpu() = default;

  // Enters the guest and returns at the next trap.
  virtual Result<Trap, Error> run() = 0;
  // The user register state, held in guest memory (the trap frame): reads
  // and writes cost no hypervisor call.
  virtual UserRegs& regs() = 0;
  // Runs the vCPU over another address space from its next entry on (a
  // vCPU reused by another process). The old one may be gone already.
  virtual Result<void, Error> set_address_space(AddressSpace& as) = 0;
  virtual Result<void, Error> set_special(SpecialRegister reg, uint64_t value) = 0;
  virtual Result<uint64_t, Error> get_special(SpecialRegister reg) = 0;
  // The floating-point and vector registers, in the layout this
  // architecture's signal frame holds them (CpuInfo::fp_state_size bytes):
  // amd64, the XSAVE area in standard format (its first 512 bytes are
  // FXSAVE's); arm64, Linux's struct user_fpsimd_state (V0-V31, FPSR, FPCR).
  virtual Result<void, Error> get_fp_state(std::span<std::byte> out) = 0;
  virtual Result<void, Error> set_fp_state(std::span<const std::byte> in) = 0;
  // Makes a current or the next run() return Trap::Kind::kInterrupted, with
  // the user registers in regs() as at any trap. Any thread.
  virtual void kick() = 0;
  // The calling thread is done running this vCPU: kick() no longer signals
  // it (the thread may be gone).
  virtual void release_thread() = 0;
};

// What the guest CPU offers, for the auxiliary vector.
struct CpuInfo {
  uint64_t hwcap = 0;
  uint64_t hwcap2 = 0;
  std::string platform;        // AT_PLATFORM: "x86_64", "aarch64"
  uint64_t fp_state_size = 0;  // bytes of Vcpu::get_fp_state
  uint64_t xfeatures = 0;      // amd64: the XCR0 state components the guest may use
};

struct MachineOptions {
  uint64_t memory_bytes = 1ull << 30;  // guest RAM, allocated lazily
};

// One virtual machine: the guest's physical memory, the stub, its vCPUs.
class Machine {
 public:
  virtual ~Machine() = default;

  virtual Result<std::unique_ptr<AddressSpace>, Error> new_address_space() = 0;
  virtual Result<std::unique_ptr<Vcpu>, Error> new_vcpu(AddressSpace& as) = 0;
  virtual PhysicalMemory& memory() = 0;
  virtual CpuInfo cpu_info() const = 0;
};

}  // namespace moat::platform
