#pragma once

#include <algorithm>
#include <cstring>

#include "base/bits.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/strace/format.h"

namespace moat::sentry::strace {

// The decoders' view of a task's memory: reads as the guest's own accesses
// would (so a traced pointer faults in its page, as it would under strace
// on Linux), never past what the guest may read.
class MmReader final : public GuestReader {
 public:
  explicit MmReader(MemoryManager& mm) : m_mm(mm) {}

  bool read(uint64_t addr, void* dst, size_t len) const override {
    return m_mm.copy_in(addr, {static_cast<std::byte*>(dst), len}).has_value();
  }

  std::optional<std::string> read_string(uint64_t addr, size_t max_len,
                                         bool* terminated) const override {
    std::string out;
    *terminated = false;
    char chunk[256];
    while (out.size() < max_len) {
      // Page by page, so a string ending just before unmapped memory reads.
      const uint64_t to_page_end = kPageSize - ((addr + out.size()) & (kPageSize - 1));
      const size_t want = std::min({sizeof(chunk), max_len - out.size(), to_page_end});
      if (!read(addr + out.size(), chunk, want)) {
        if (out.empty()) {
          return std::nullopt;
        }
        return out;
      }
      if (const void* nul = std::memchr(chunk, 0, want)) {
        out.append(chunk, static_cast<size_t>(static_cast<const char*>(nul) - chunk));
        *terminated = true;
        return out;
      }
      out.append(chunk, want);
    }
    return out;
  }

 private:
  MemoryManager& m_mm;
};

}  // namespace moat::sentry::strace
