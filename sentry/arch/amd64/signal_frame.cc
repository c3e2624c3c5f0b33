// The x86-64 signal frame, laid out as Linux's arch/x86/kernel/signal.c
// builds it (struct rt_sigframe): the return address (sa_restorer), the
// ucontext, the siginfo, and the XSAVE area 64-byte aligned above them, with
// the software-reserved bytes and the trailing magic that tell the C library
// and rt_sigreturn what it holds.

#include <algorithm>
#include <csignal>
#include <cstring>
#include <vector>

#include "arch_abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace moat::sentry::arch {
namespace {

struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;
  uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256);

struct UContext {
  uint64_t flags;
  uint64_t link;
  StackT stack;
  SigContext mcontext;
  SigSet sigmask;
};
static_assert(sizeof(UContext) == 304);

struct RtSigframe {
  uint64_t pretcode;
  UContext uc;
  SignalInfo info;
};
static_assert(sizeof(RtSigframe) == 440);

constexpr uint64_t kUcFpXstate = 0x1;
constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;

// The software-reserved bytes at offset 464 of the FXSAVE area.
constexpr size_t kSwBytesOffset = 464;
constexpr uint32_t kFpXstateMagic1 = 0x46505853;
constexpr uint32_t kFpXstateMagic2 = 0x46505845;
struct SwBytes {
  uint32_t magic1;
  uint32_t extended_size;  // the XSAVE area plus magic2
  uint64_t xfeatures;
  uint32_t xstate_size;
  uint32_t padding[7];
};
static_assert(sizeof(SwBytes) == 48);

constexpr size_t kFxsaveSize = 512;
constexpr size_t kXsaveHeaderOffset = 512;
constexpr size_t kMxcsrOffset = 24;
constexpr uint32_t kMxcsrDefault = 0x1f80;
constexpr uint16_t kFcwDefault = 0x37f;

// rt_sigreturn may change only these flags: AC OF DF TF SF ZF AF PF CF RF.
constexpr uint64_t kFixEflags =
    0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

constexpr uint16_t kUserCs = 0x33;
constexpr uint16_t kUserDs = 0x2b;

bool has_xsave(const platform::CpuInfo& cpu) {
  return cpu.fp_state_size > kFxsaveSize;
}

// The FPU state a handler starts with (Linux's fpu__clear_user_states).
std::vector<std::byte> initial_fp_state(size_t size) {
  std::vector<std::byte> state(std::max(size, kFxsaveSize));
  const uint16_t fcw = kFcwDefault;
  std::memcpy(state.data(), &fcw, sizeof(fcw));
  const uint32_t mxcsr = kMxcsrDefault;
  std::memcpy(state.data() + kMxcsrOffset, &mxcsr, sizeof(mxcsr));
  return state;
}

}  // namespace

Result<void> setup_signal_frame(Task& t, const SignalInfo& info, const SignalAction& action,
                                SigSet old_mask) {
  if ((action.flags & kSaRestorer) == 0) {
    return Errno::kEFAULT;  // x86-64 has no vDSO trampoline to fall back on
  }
  platform::UserRegs& r = t.regs();
  const platform::CpuInfo& cpu = t.kernel().cpu_info();
  const size_t fp_size = cpu.fp_state_size;
  const bool xsave = has_xsave(cpu);

  // Where things go: below the red zone (or at the alternate stack's top),
  // the FPU area aligned to 64 bytes, then the frame, aligned so that the
  // handler starts as if called (rsp + 8 a multiple of 16).
  const StackT saved_stack = t.signal_stack().describe(r.rsp);
  const uint64_t top = t.signal_stack().frame_top(r.rsp - 128, action.flags);
  const uint64_t fp_area_size = fp_size + (xsave ? sizeof(uint32_t) : 0);
  const uint64_t fp_addr = (top - fp_area_size) & ~uint64_t{63};
  const uint64_t frame_addr = (((fp_addr - sizeof(RtSigframe)) + 8) & ~uint64_t{15}) - 8;
  if (frame_addr > top || frame_addr >= MemoryManager::kTaskSize) {
    return Errno::kEFAULT;
  }

  std::vector<std::byte> fp(fp_area_size);
  if (auto got = t.vcpu().get_fp_state(std::span(fp).first(fp_size)); !got) {
    return Errno::kEFAULT;
  }
  if (xsave) {
    SwBytes sw{};
    sw.magic1 = kFpXstateMagic1;
    sw.extended_size = static_cast<uint32_t>(fp_area_size);
    sw.xfeatures = cpu.xfeatures;
    sw.xstate_size = static_cast<uint32_t>(fp_size);
    std::memcpy(fp.data() + kSwBytesOffset, &sw, sizeof(sw));
    std::memcpy(fp.data() + fp_size, &kFpXstateMagic2, sizeof(kFpXstateMagic2));
  }

  RtSigframe frame{};
  frame.pretcode = action.restorer;
  frame.uc.flags = (xsave ? kUcFpXstate : 0) | kUcSigcontextSs | kUcStrictRestoreSs;
  frame.uc.stack = saved_stack;
  SigContext& sc = frame.uc.mcontext;
  sc.r8 = r.r8, sc.r9 = r.r9, sc.r10 = r.r10, sc.r11 = r.r11;
  sc.r12 = r.r12, sc.r13 = r.r13, sc.r14 = r.r14, sc.r15 = r.r15;
  sc.rdi = r.rdi, sc.rsi = r.rsi, sc.rbp = r.rbp, sc.rbx = r.rbx;
  sc.rdx = r.rdx, sc.rax = r.rax, sc.rcx = r.rcx, sc.rsp = r.rsp;
  sc.rip = r.rip;
  sc.eflags = r.rflags;
  sc.cs = kUserCs;
  sc.ss = kUserDs;
  if (info.code > 0 && is_fault_signal(info.signo)) {
    sc.trapno = t.last_fault().trap_no;
    sc.err = t.last_fault().error_code;
    sc.cr2 = t.last_fault().address;
  }
  sc.oldmask = old_mask;
  sc.fpstate = fp_addr;
  frame.uc.sigmask = old_mask;
  if ((action.flags & SA_SIGINFO) != 0) {
    frame.info = info;
  }

  TRY(t.mm().copy_out(fp_addr, fp));
  TRY(t.mm().copy_out(frame_addr, std::as_bytes(std::span(&frame, 1))));
  if (auto reset = t.vcpu().set_fp_state(initial_fp_state(fp_size)); !reset) {
    return Errno::kEFAULT;
  }

  r.rdi = static_cast<uint64_t>(info.signo);
  r.rsi = frame_addr + offsetof(RtSigframe, info);
  r.rdx = frame_addr + offsetof(RtSigframe, uc);
  r.rax = 0;
  r.rsp = frame_addr;
  r.rip = action.handler;
  r.rflags &= ~uint64_t{0x400 | 0x100 | 0x10000};  // DF TF RF
  return {};
}

uint64_t sigreturn_mask_address(const platform::UserRegs& r) {
  return r.rsp - 8 + offsetof(RtSigframe, uc) + offsetof(UContext, sigmask);
}

Result<uint64_t> restore_signal_frame(Task& t) {
  platform::UserRegs& r = t.regs();
  const uint64_t frame_addr = r.rsp - 8;  // the handler's ret took pretcode
  RtSigframe frame{};
  TRY(t.mm().copy_in(frame_addr, std::as_writable_bytes(std::span(&frame, 1))));
  const SigContext& sc = frame.uc.mcontext;
  // IRETQ to a non-canonical address would fault in the stub: refuse it here,
  // as Linux's sigreturn does.
  if (sc.rip >= MemoryManager::kTaskSize + 0x1000) {
    return Errno::kEFAULT;
  }

  const platform::CpuInfo& cpu = t.kernel().cpu_info();
  const size_t fp_size = cpu.fp_state_size;
  std::vector<std::byte> fp(fp_size);
  if (sc.fpstate == 0) {
    fp = initial_fp_state(fp_size);
  } else {
    // The legacy area always; the extended state only when the frame says it
    // holds it (UC_FP_XSTATE, both magics, a size this machine uses).
    TRY(t.mm().copy_in(sc.fpstate, std::span(fp).first(kFxsaveSize)));
    SwBytes sw{};
    std::memcpy(&sw, fp.data() + kSwBytesOffset, sizeof(sw));
    uint32_t magic2 = 0;
    const bool extended =
        has_xsave(cpu) && (frame.uc.flags & kUcFpXstate) != 0 && sw.magic1 == kFpXstateMagic1 &&
        sw.xstate_size == fp_size &&
        t.mm()
            .copy_in(sc.fpstate + fp_size, std::as_writable_bytes(std::span(&magic2, 1)))
            .has_value() &&
        magic2 == kFpXstateMagic2;
    uint64_t xstate_bv = 0x3;  // x87 and SSE from the legacy area
    if (extended) {
      TRY(t.mm().copy_in(sc.fpstate + kFxsaveSize, std::span(fp).subspan(kFxsaveSize)));
      std::memcpy(&xstate_bv, fp.data() + kXsaveHeaderOffset, sizeof(xstate_bv));
      xstate_bv &= sw.xfeatures;
    }
    if (has_xsave(cpu)) {
      // A header KVM accepts: only this machine's features, standard format,
      // reserved bytes zero.
      xstate_bv &= cpu.xfeatures;
      std::memset(fp.data() + kXsaveHeaderOffset, 0, 64);
      std::memcpy(fp.data() + kXsaveHeaderOffset, &xstate_bv, sizeof(xstate_bv));
    }
    uint32_t mxcsr = 0;
    std::memcpy(&mxcsr, fp.data() + kMxcsrOffset, sizeof(mxcsr));
    mxcsr &= 0xffff;
    std::memcpy(fp.data() + kMxcsrOffset, &mxcsr, sizeof(mxcsr));
  }
  if (auto set = t.vcpu().set_fp_state(fp); !set) {
    return Errno::kEFAULT;
  }

  r.r8 = sc.r8, r.r9 = sc.r9, r.r10 = sc.r10, r.r11 = sc.r11;
  r.r12 = sc.r12, r.r13 = sc.r13, r.r14 = sc.r14, r.r15 = sc.r15;
  r.rdi = sc.rdi, r.rsi = sc.rsi, r.rbp = sc.rbp, r.rbx = sc.rbx;
  r.rdx = sc.rdx, r.rax = sc.rax, r.rcx = sc.rcx, r.rsp = sc.rsp;
  r.rip = sc.rip;
  r.rflags = (r.rflags & ~kFixEflags) | (sc.eflags & kFixEflags);
  t.set_signal_mask(frame.uc.sigmask);
  // Linux ignores every error here but EFAULT (the stack_t was read already).
  (void)t.signal_stack().change(frame.uc.stack, r.rsp, kMinSignalStackSize);
  return r.rax;
}

}  // namespace moat::sentry::arch
