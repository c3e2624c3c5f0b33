#include "platform/kvm/arch/arm64/esr.h"

namespace moat::kvm {
namespace {

// Fault status codes (ISS[5:0] of instruction and data aborts), by type.
bool is_translation_fault(uint32_t fsc) {
  return (fsc & 0x3c) == 0x04;
}
bool is_access_flag_fault(uint32_t fsc) {
  return (fsc & 0x3c) == 0x08;
}
bool is_permission_fault(uint32_t fsc) {
  return (fsc & 0x3c) == 0x0c;
}

}  // namespace

platform::Trap decode_esr(uint64_t esr, uint64_t far) {
  platform::Trap trap;
  const uint32_t ec = exception_class(esr);
  if (ec == static_cast<uint32_t>(ExceptionClass::kSvc64)) {
    trap.kind = platform::Trap::Kind::kSyscall;
    return trap;
  }
  const bool instruction = ec == static_cast<uint32_t>(ExceptionClass::kInstructionAbortLower);
  const bool data = ec == static_cast<uint32_t>(ExceptionClass::kDataAbortLower);
  if (instruction || data) {
    const uint32_t fsc = esr & 0x3f;
    if (is_translation_fault(fsc) || is_access_flag_fault(fsc) || is_permission_fault(fsc)) {
      trap.kind = platform::Trap::Kind::kPageFault;
      trap.address = far;
      trap.protection = !is_translation_fault(fsc);
      if (instruction) {
        trap.access = platform::Access::kExecute;
      } else {
        // WnR (ISS bit 6) says write; cache maintenance (CM, bit 8) reads.
        const bool write = (esr & (1u << 6)) != 0 && (esr & (1u << 8)) == 0;
        trap.access = write ? platform::Access::kWrite : platform::Access::kRead;
      }
      return trap;
    }
  }
  trap.kind = platform::Trap::Kind::kException;
  trap.vector = ec;
  trap.error_code = esr;
  trap.address = far;
  return trap;
}

}  // namespace moat::kvm
