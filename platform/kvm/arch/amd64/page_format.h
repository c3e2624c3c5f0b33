#pragma once

#include <cstdint>

#include "platform/kvm/page_table.h"
#include "platform/platform.h"

namespace moat::kvm {

// x86-64 page-table entries (4-level paging, 4 KiB pages).
struct Amd64PageFormat {
  static constexpr uint64_t kPresent = 1ull << 0;
  static constexpr uint64_t kWritable = 1ull << 1;
  static constexpr uint64_t kUser = 1ull << 2;
  static constexpr uint64_t kAccessed = 1ull << 5;
  static constexpr uint64_t kDirty = 1ull << 6;
  static constexpr uint64_t kNoExecute = 1ull << 63;

  static constexpr uint64_t kValid = kPresent;
  // Intermediate entries are permissive; the leaf decides.
  static constexpr uint64_t kTableBits = kPresent | kWritable | kUser;
  static constexpr uint64_t kKeptPage = 1ull << 9;  // ignored by the CPU when not present
  static constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000ull;

  static constexpr uint64_t user_entry_bits(uint32_t prot) {
    if (prot == platform::kProtNone) {
      return kKeptPage;
    }
    uint64_t bits = kPresent | kUser | kAccessed;
    if (prot & platform::kProtWrite) {
      bits |= kWritable | kDirty;
    }
    if (!(prot & platform::kProtExec)) {
      bits |= kNoExecute;
    }
    return bits;
  }

  // x86 cannot refuse reads of a present page: write and exec imply read.
  static constexpr uint32_t prot_of(uint64_t entry) {
    if (!(entry & kPresent)) {
      return platform::kProtNone;
    }
    uint32_t prot = platform::kProtRead;
    if (entry & kWritable) {
      prot |= platform::kProtWrite;
    }
    if (!(entry & kNoExecute)) {
      prot |= platform::kProtExec;
    }
    return prot;
  }

  static constexpr uint64_t kernel_entry_bits(bool writable, bool executable) {
    uint64_t bits = kPresent | kAccessed | kDirty;
    if (writable) {
      bits |= kWritable;
    }
    if (!executable) {
      bits |= kNoExecute;
    }
    return bits;
  }
};

using Amd64PageTable = PageTable<Amd64PageFormat>;

}  // namespace moat::kvm
