#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace moat::loader {

// Auxiliary vector keys (Linux's AT_* values).
enum AuxType : uint64_t {
  kAtNull = 0,
  kAtPhdr = 3,
  kAtPhent = 4,
  kAtPhnum = 5,
  kAtPagesz = 6,
  kAtBase = 7,
  kAtFlags = 8,
  kAtEntry = 9,
  kAtUid = 11,
  kAtEuid = 12,
  kAtGid = 13,
  kAtEgid = 14,
  kAtPlatform = 15,
  kAtHwcap = 16,
  kAtClktck = 17,
  kAtSecure = 23,
  kAtRandom = 25,
  kAtHwcap2 = 26,
  kAtExecfn = 31,
  kAtSysinfoEhdr = 33,
  kAtMinsigstksz = 51,
};

struct AuxEntry {
  uint64_t type;
  uint64_t value;
};

struct InitialStackSpec {
  uint64_t stack_top = 0;  // highest address + 1; 16-byte aligned
  std::span<const std::string> argv;
  std::span<const std::string> envp;
  // Entries other than AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL, which
  // build_initial_stack adds itself (pointing at data it places on the stack).
  std::span<const AuxEntry> auxv;
  std::array<uint8_t, 16> random{};
  std::string execfn;     // AT_EXECFN string
  std::string platform;   // AT_PLATFORM string ("x86_64", "aarch64"); omitted if empty
  uint64_t max_size = 0;  // limit on the whole image; E2BIG beyond it
};

// The bytes of the initial stack and where they go: they occupy [sp, stack_top).
// The layout is Linux's: argc, argv pointers, NULL, envp pointers, NULL, auxv
// pairs ending with AT_NULL, padding, then the strings and random bytes at the
// top (execfn string highest). sp is 16-byte aligned.
struct InitialStack {
  std::vector<std::byte> bytes;
  uint64_t sp = 0;
  uint64_t argv = 0;  // address of argv[0] pointer
  uint64_t envp = 0;  // address of envp[0] pointer
  uint64_t auxv = 0;  // address of the first auxv pair
};

// Lays out the initial process stack. Fails with E2BIG when a single string is
// longer than Linux's MAX_ARG_STRLEN (32 pages) or the whole image exceeds
// spec.max_size, and EINVAL for a misaligned stack_top.
Result<InitialStack> build_initial_stack(const InitialStackSpec& spec);

}  // namespace moat::loader
