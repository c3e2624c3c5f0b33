#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "base/result.h"
#include "platform/physical_memory.h"

namespace moat::sentry {

// The pages behind a MAP_SHARED anonymous mapping (Linux's shmem object):
// every mapping of it, in this process and in the children forked since,
// sees the same pages, including the ones first touched after the fork.
// Thread-safe.
class SharedMemory {
 public:
  explicit SharedMemory(platform::PhysicalMemory& memory) : m_memory(memory) {}
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  // The page at `offset` (page-aligned), allocated zero-filled on first use,
  // with one more reference, which the caller gives back with free_page.
  Result<platform::PhysAddr> page(uint64_t offset);

 private:
  platform::PhysicalMemory& m_memory;
  std::mutex m_lock;
  std::unordered_map<uint64_t, platform::PhysAddr> m_pages;  // by offset
};

}  // namespace moat::sentry
