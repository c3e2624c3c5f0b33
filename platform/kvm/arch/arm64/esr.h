#pragma once

#include <cstdint>

#include "platform/platform.h"

namespace moat::kvm {

// Exception classes of ESR_EL1 (bits [31:26]) that moat tells apart.
enum class ExceptionClass : uint32_t {
  kUnknown = 0x00,  // undefined instruction
  kSve = 0x19,
  kSvc64 = 0x15,        // SVC from AArch64: a system call
  kSysRegister = 0x18,  // trapped MSR/MRS/system instruction
  kInstructionAbortLower = 0x20,
  kPcAlignment = 0x22,
  kDataAbortLower = 0x24,
  kSpAlignment = 0x26,
  kFpException = 0x2c,
  kBreakpointLower = 0x30,
  kStepLower = 0x32,
  kWatchpointLower = 0x34,
  kBrk64 = 0x3c,
};

constexpr uint32_t exception_class(uint64_t esr) {
  return (esr >> 26) & 0x3f;
}

// Turns a synchronous exception from EL0 (ESR_EL1, FAR_EL1) into a Trap:
// SVC is a system call; translation, access-flag and permission faults of
// instruction and data aborts are page faults (kind, access, whether the
// page was present); everything else is an exception carrying the class in
// `vector` and the whole ESR in `error_code`. Pure; unit-tested on any host.
platform::Trap decode_esr(uint64_t esr, uint64_t far);

}  // namespace moat::kvm
