// The AArch64 signal frame, laid out as Linux's arch/arm64/kernel/signal.c
// builds it (struct rt_sigframe): the siginfo, then the ucontext whose
// sigcontext ends in a 4 KiB area of tagged records (FP/SIMD state, the ESR
// of a fault, a terminator), and above it a frame record {x29, x30} that x29
// points at, so unwinders can walk through the handler.

#include <sys/mman.h>

#include <csignal>
#include <cstring>
#include <memory>

#include "arch_abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace moat::sentry::arch {
namespace {

struct SigContext {
  uint64_t fault_address;
  uint64_t regs[31];
  uint64_t sp;
  uint64_t pc;
  uint64_t pstate;
  uint64_t pad;  // __reserved is 16-byte aligned
  uint8_t reserved[4096];
};
static_assert(offsetof(SigContext, reserved) == 288);

struct UContext {
  uint64_t flags;
  uint64_t link;
  StackT stack;
  SigSet sigmask;
  uint8_t unused[128 - sizeof(SigSet)];  // room for a 1024-bit sigset_t
  uint64_t pad;                          // uc_mcontext is 16-byte aligned
  SigContext mcontext;
};
static_assert(offsetof(UContext, mcontext) == 176);

struct RtSigframe {
  SignalInfo info;
  UContext uc;
};
static_assert(sizeof(RtSigframe) == 4688);

struct FrameRecord {
  uint64_t fp;
  uint64_t lr;
};

// The records in __reserved: a header, then the payload.
struct RecordHeader {
  uint32_t magic;
  uint32_t size;  // including the header
};
constexpr uint32_t kFpsimdMagic = 0x46508001;
constexpr uint32_t kEsrMagic = 0x45535201;

struct FpsimdRecord {
  RecordHeader head;
  uint32_t fpsr;
  uint32_t fpcr;
  __uint128_t vregs[32];
};
static_assert(sizeof(FpsimdRecord) == 528);

struct EsrRecord {
  RecordHeader head;
  uint64_t esr;
};

// Vcpu::get_fp_state's layout (Linux's user_fpsimd_state).
struct FpState {
  __uint128_t vregs[32];
  uint32_t fpsr;
  uint32_t fpcr;
  uint32_t reserved[2];
};
static_assert(sizeof(FpState) == 528);

// The rt_sigreturn trampoline (what the vDSO's __kernel_rt_sigreturn holds):
//   mov x8, #139 ; svc #0
constexpr uint32_t kTrampoline[] = {0xd2801168, 0xd4000001};
// It gets a page of its own where mmap puts it, named "[sigpage]" in
// /proc/self/maps.
// FIXME: a real vDSO (issue 10) takes this over as __kernel_rt_sigreturn.

}  // namespace

Result<void> map_signal_trampoline(MemoryManager& mm) {
  MapRequest request;
  request.length = kPageSize;
  request.prot = PROT_READ | PROT_WRITE;
  request.name = "[sigpage]";
  const uint64_t addr = TRY(mm.map(request));
  TRY(mm.copy_out(addr, std::as_bytes(std::span(kTrampoline))));
  TRY(mm.protect(addr, kPageSize, PROT_READ | PROT_EXEC));
  mm.set_signal_trampoline(addr);
  return {};
}

Result<void> setup_signal_frame(Task& t, const SignalInfo& info, const SignalAction& action,
                                SigSet old_mask) {
  platform::UserRegs& r = t.regs();
  const StackT saved_stack = t.signal_stack().describe(r.sp_el0);
  const uint64_t top = t.signal_stack().frame_top(r.sp_el0, action.flags);
  const uint64_t record_addr = (top - sizeof(FrameRecord)) & ~uint64_t{15};
  const uint64_t frame_addr = record_addr - sizeof(RtSigframe);
  if (frame_addr > top) {
    return Errno::kEFAULT;
  }

  FpState fp{};
  if (auto got = t.vcpu().get_fp_state(std::as_writable_bytes(std::span(&fp, 1))); !got) {
    return Errno::kEFAULT;
  }

  // Zeroed (value-initialised) on the heap: the frame is 4.6 KiB.
  auto frame = std::make_unique<RtSigframe>();
  if ((action.flags & SA_SIGINFO) != 0) {
    frame->info = info;
  }
  frame->uc.stack = saved_stack;
  frame->uc.sigmask = old_mask;
  SigContext& sc = frame->uc.mcontext;
  const bool fault = info.code > 0 && is_fault_signal(info.signo);
  sc.fault_address = fault ? t.last_fault().address : 0;
  std::memcpy(sc.regs, r.x, sizeof(sc.regs));
  sc.sp = r.sp_el0;
  sc.pc = r.pc;
  sc.pstate = r.pstate;

  size_t at = 0;
  FpsimdRecord fpsimd{};
  fpsimd.head = {kFpsimdMagic, sizeof(FpsimdRecord)};
  fpsimd.fpsr = fp.fpsr;
  fpsimd.fpcr = fp.fpcr;
  std::memcpy(fpsimd.vregs, fp.vregs, sizeof(fpsimd.vregs));
  std::memcpy(sc.reserved + at, &fpsimd, sizeof(fpsimd));
  at += sizeof(fpsimd);
  if (fault) {
    const EsrRecord esr{{kEsrMagic, sizeof(EsrRecord)}, t.last_fault().error_code};
    std::memcpy(sc.reserved + at, &esr, sizeof(esr));
    at += sizeof(esr);
  }
  // The terminator: a zero header, already there.

  const FrameRecord record{r.x[29], r.x[30]};
  TRY(t.mm().copy_out(record_addr, std::as_bytes(std::span(&record, 1))));
  TRY(t.mm().copy_out(frame_addr, std::as_bytes(std::span(frame.get(), 1))));

  r.x[0] = static_cast<uint64_t>(info.signo);
  if ((action.flags & SA_SIGINFO) != 0) {
    r.x[1] = frame_addr + offsetof(RtSigframe, info);
    r.x[2] = frame_addr + offsetof(RtSigframe, uc);
  }
  r.sp_el0 = frame_addr;
  r.x[29] = record_addr;
  r.x[30] = (action.flags & kSaRestorer) != 0 ? action.restorer : t.mm().signal_trampoline();
  r.pc = action.handler;
  return {};
}

uint64_t sigreturn_mask_address(const platform::UserRegs& r) {
  return r.sp_el0 + offsetof(RtSigframe, uc) + offsetof(UContext, sigmask);
}

Result<uint64_t> restore_signal_frame(Task& t) {
  platform::UserRegs& r = t.regs();
  const uint64_t frame_addr = r.sp_el0;
  if ((frame_addr & 15) != 0) {
    return Errno::kEFAULT;
  }
  auto frame = std::make_unique<RtSigframe>();
  TRY(t.mm().copy_in(frame_addr, std::as_writable_bytes(std::span(frame.get(), 1))));
  const SigContext& sc = frame->uc.mcontext;

  // The records: FP/SIMD state is required; an ESR record is informational;
  // anything else (SVE, ZA, extra space) moat never writes and refuses.
  std::optional<FpsimdRecord> fpsimd;
  size_t at = 0;
  for (;;) {
    if (at + sizeof(RecordHeader) > sizeof(sc.reserved)) {
      return Errno::kEFAULT;
    }
    RecordHeader head;
    std::memcpy(&head, sc.reserved + at, sizeof(head));
    if (head.magic == 0) {
      break;
    }
    if (head.size < sizeof(RecordHeader) || head.size % 16 != 0 ||
        head.size > sizeof(sc.reserved) - at) {
      return Errno::kEFAULT;
    }
    if (head.magic == kFpsimdMagic && head.size == sizeof(FpsimdRecord) && !fpsimd) {
      fpsimd.emplace();
      std::memcpy(&*fpsimd, sc.reserved + at, sizeof(FpsimdRecord));
    } else if (head.magic != kEsrMagic) {
      return Errno::kEFAULT;
    }
    at += head.size;
  }
  if (!fpsimd) {
    return Errno::kEFAULT;
  }

  FpState fp{};
  std::memcpy(fp.vregs, fpsimd->vregs, sizeof(fp.vregs));
  fp.fpsr = fpsimd->fpsr;
  fp.fpcr = fpsimd->fpcr;
  if (auto set = t.vcpu().set_fp_state(std::as_bytes(std::span(&fp, 1))); !set) {
    return Errno::kEFAULT;
  }
  // Only EL0 AArch64 with D, A, I and F clear, as Linux's valid_user_regs.
  if ((sc.pstate & 0x3df) != 0) {
    return Errno::kEFAULT;
  }
  std::memcpy(r.x, sc.regs, sizeof(r.x));
  r.sp_el0 = sc.sp;
  r.pc = sc.pc;
  r.pstate = sc.pstate;
  t.set_signal_mask(frame->uc.sigmask);
  // Linux ignores every error here but EFAULT (the stack_t was read already).
  (void)t.signal_stack().change(frame->uc.stack, r.sp_el0, kMinSignalStackSize);
  return r.x[0];
}

}  // namespace moat::sentry::arch
