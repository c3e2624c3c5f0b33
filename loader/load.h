#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "loader/elf.h"
#include "loader/initial_stack.h"

namespace moat::sentry {
class MemoryManager;
}

namespace moat::loader {

struct LoadedImage {
  uint64_t bias = 0;   // added to every vaddr (0 for ET_EXEC)
  uint64_t entry = 0;  // biased entry point
  uint64_t phdr = 0;   // biased address of the program headers, 0 if not mapped
  uint64_t end = 0;    // page-aligned end of the highest segment: where brk starts
};

// Maps the PT_LOAD segments of `image` (parsed from `file`) into `mm`, at
// `bias` for a position-independent image. Segment bytes are copied in; the
// bss is zero. Errors: ENOMEM (out of memory or address space), EINVAL.
Result<LoadedImage> load_segments(const ElfImage& image, std::span<const std::byte> file,
                                  uint64_t bias, sentry::MemoryManager& mm);

// Maps the initial stack below spec.stack_top (a growable "[stack]" VMA with
// room for Linux's initial 128 KiB) and writes the argument block into it.
Result<InitialStack> setup_stack(const InitialStackSpec& spec, sentry::MemoryManager& mm);

}  // namespace moat::loader
