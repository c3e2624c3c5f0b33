#include "loader/load.h"

#include <sys/mman.h>

#include <algorithm>
#include <vector>

#include "base/bits.h"
#include "sentry/mm/memory_manager.h"

namespace moat::loader {
namespace {

uint32_t prot_of(uint32_t flags) {
  uint32_t prot = 0;
  if (flags & kSegmentRead) {
    prot |= PROT_READ;
  }
  if (flags & kSegmentWrite) {
    prot |= PROT_WRITE;
  }
  if (flags & kSegmentExec) {
    prot |= PROT_EXEC;
  }
  return prot;
}

constexpr uint64_t kInitialStackReserve = 128 * 1024;

}  // namespace

Result<LoadedImage> load_segments(const ElfImage& image, std::span<const std::byte> file,
                                  uint64_t bias, sentry::MemoryManager& mm) {
  if (!image.position_independent && bias != 0) {
    return Errno::kEINVAL;
  }
  for (const Segment& seg : image.loads) {
    // The whole pages the segment touches, filled as a file mapping would be:
    // file bytes from the page-aligned offset, then zeros from filesz on.
    const uint64_t start = page_round_down(seg.vaddr + bias);
    const uint64_t end = *page_round_up(seg.vaddr + bias + seg.memsz);
    const uint64_t head = (seg.vaddr + bias) - start;
    if (seg.offset < head) {
      return Errno::kEINVAL;
    }
    TRY(mm.map(sentry::MapRequest{.addr = start,
                                  .length = end - start,
                                  .prot = PROT_READ | PROT_WRITE,
                                  .fixed = true,
                                  .name = {}}));
    if (seg.filesz > 0 || head > 0) {
      const uint64_t file_start = seg.offset - head;
      const uint64_t file_len = head + seg.filesz;
      TRY(mm.copy_out(start, file.subspan(file_start, file_len)));
    }
    TRY(mm.protect(start, end - start, prot_of(seg.flags)));
  }
  LoadedImage loaded;
  loaded.bias = bias;
  loaded.entry = image.entry + bias;
  loaded.phdr = image.phdr_vaddr != 0 ? image.phdr_vaddr + bias : 0;
  loaded.end = image.max_vaddr + bias;
  return loaded;
}

Result<InitialStack> setup_stack(const InitialStackSpec& spec, sentry::MemoryManager& mm) {
  InitialStack stack = TRY(build_initial_stack(spec));
  const uint64_t bottom = page_round_down(stack.sp);
  const uint64_t reserve_bottom =
      spec.stack_top - std::max(*page_round_up(spec.stack_top - bottom), kInitialStackReserve);
  TRY(mm.map(sentry::MapRequest{.addr = reserve_bottom,
                                .length = spec.stack_top - reserve_bottom,
                                .prot = PROT_READ | PROT_WRITE,
                                .fixed = true,
                                .grows_down = true,
                                .name = "[stack]"}));
  TRY(mm.copy_out(stack.sp, stack.bytes));
  return stack;
}

}  // namespace moat::loader
