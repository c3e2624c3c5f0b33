#pragma once

#include <cstdint>

#include "platform/kvm/page_table.h"
#include "platform/platform.h"

namespace moat::kvm {

// AArch64 stage-1 descriptors, 4 KiB granule, 48-bit VA (four levels).
struct Arm64PageFormat {
  static constexpr uint64_t kValidBit = 1ull << 0;
  static constexpr uint64_t kTableOrPage = 1ull << 1;  // level 0-2: table; level 3: page
  static constexpr uint64_t kAttrNormal = 0ull << 2;   // MAIR_EL1 index 0: normal, write-back
  static constexpr uint64_t kAttrDevice = 1ull << 2;   // MAIR_EL1 index 1: Device-nGnRE
  static constexpr uint64_t kApEl0 = 1ull << 6;        // AP[1]: EL0 may access
  static constexpr uint64_t kApReadOnly = 1ull << 7;   // AP[2]: read-only
  static constexpr uint64_t kInnerShareable = 3ull << 8;
  static constexpr uint64_t kAccessFlag = 1ull << 10;
  static constexpr uint64_t kNotGlobal = 1ull << 11;  // tagged with the ASID
  static constexpr uint64_t kPrivilegedNoExec = 1ull << 53;
  static constexpr uint64_t kUserNoExec = 1ull << 54;

  static constexpr uint64_t kValid = kValidBit;
  static constexpr uint64_t kTableBits = kValidBit | kTableOrPage;
  static constexpr uint64_t kKeptPage = 1ull << 55;  // software bit, ignored when invalid
  static constexpr uint64_t kAddressMask = 0x0000'ffff'ffff'f000ull;

  static constexpr uint64_t user_entry_bits(uint32_t prot) {
    if (prot == platform::kProtNone) {
      return kKeptPage;
    }
    // EL1 never executes user pages (PXN), and user pages are per-ASID.
    uint64_t bits = kValidBit | kTableOrPage | kAttrNormal | kApEl0 | kInnerShareable |
                    kAccessFlag | kNotGlobal | kPrivilegedNoExec;
    if (!(prot & platform::kProtWrite)) {
      bits |= kApReadOnly;
    }
    if (!(prot & platform::kProtExec)) {
      bits |= kUserNoExec;
    }
    return bits;
  }

  // EL0 access implies read; write and exec as mapped.
  static constexpr uint32_t prot_of(uint64_t entry) {
    if (!(entry & kValidBit) || !(entry & kApEl0)) {
      return platform::kProtNone;
    }
    uint32_t prot = platform::kProtRead;
    if (!(entry & kApReadOnly)) {
      prot |= platform::kProtWrite;
    }
    if (!(entry & kUserNoExec)) {
      prot |= platform::kProtExec;
    }
    return prot;
  }

  // The stub's pages: EL1 only, never executable at EL0.
  static constexpr uint64_t kernel_entry_bits(bool writable, bool executable) {
    uint64_t bits =
        kValidBit | kTableOrPage | kAttrNormal | kInnerShareable | kAccessFlag | kUserNoExec;
    if (!writable) {
      bits |= kApReadOnly;
    }
    if (!executable) {
      bits |= kPrivilegedNoExec;
    }
    return bits;
  }

  // A device page (the doorbell): EL1 read/write, never executable.
  static constexpr uint64_t kDeviceEntryBits =
      kValidBit | kTableOrPage | kAttrDevice | kAccessFlag | kUserNoExec | kPrivilegedNoExec;
};

using Arm64PageTable = PageTable<Arm64PageFormat>;

}  // namespace moat::kvm
