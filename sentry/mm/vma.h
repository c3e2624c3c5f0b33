#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sentry/mm/shared_memory.h"

namespace moat::sentry {

// One virtual memory area: a page-aligned range with uniform protection.
struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;       // exclusive
  uint32_t prot = 0;      // PROT_* bits
  uint32_t max_prot = 7;  // what mprotect may grant
  bool shared = false;    // MAP_SHARED
  bool grows_down = false;
  std::string name;  // /proc/self/maps path column: a file path, "[stack]", "[heap]", or ""
  // MAP_SHARED anonymous memory: the pages, and where `start` lies in them.
  std::shared_ptr<SharedMemory> object;
  uint64_t offset = 0;

  uint64_t length() const { return end - start; }
  bool contains(uint64_t addr) const { return addr >= start && addr < end; }
};

}  // namespace moat::sentry
