#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/bits.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace moat::platform {

// A guest-physical address.
using PhysAddr = uint64_t;

// The guest's physical memory: one memfd mapped into moat at
// [base, base + size) of guest-physical space. Pages are handed out by a page
// allocator; freed pages go back to the host (hole punched), so moat's
// resident memory follows what the guest really uses. The hypervisor learns
// about the memory in growing chunks (the grow hook), so a small program
// never pays for registering a large memory limit.
class PhysicalMemory {
 public:
  // Makes [start, start + len) usable by the guest (e.g. a KVM memslot).
  using GrowHook = std::function<Result<void, Error>(PhysAddr start, uint64_t len)>;

  static Result<std::unique_ptr<PhysicalMemory>, Error> create(PhysAddr base, uint64_t size);
  ~PhysicalMemory();
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  // Installs the grow hook; memory already handed out is announced at once.
  Result<void, Error> set_grow_hook(GrowHook hook);

  // A zero-filled page, or ENOMEM when the guest's memory is exhausted.
  Result<PhysAddr> allocate_page();
  // Drops one reference to a page; the last one frees it.
  void free_page(PhysAddr page);
  // Drops one reference to each of many pages at once; the pages freed go
  // back to the host with one call per contiguous run, and the ones others
  // still hold are invalidated (the caller unmapped them). Reorders `pages`.
  void free_pages(std::span<PhysAddr> pages);
  // One more holder of an allocated page (copy-on-write after fork, shared
  // memory): it is freed when every holder has called free_page.
  void share_page(PhysAddr page);
  // How many holders the page has (1 for a page allocated and not shared).
  uint32_t references(PhysAddr page) const;
  // Makes every vCPU forget its translations to these pages, keeping their
  // contents: the host's mappings of them are dropped (MADV_DONTNEED on the
  // shared memfd), so the hypervisor's MMU notifier removes its own (stage-2,
  // EPT/NPT or shadow entries) and flushes every vCPU's TLB before the call
  // returns. Freeing a page does the same (its backing is punched out). The
  // guest's page tables must already say what the vCPUs will see next.
  // Reorders `pages`.
  void invalidate(std::span<PhysAddr> pages);

  bool contains(PhysAddr addr, uint64_t len = 1) const {
    return addr >= m_base && len <= m_size && addr - m_base <= m_size - len;
  }

  // SAFETY: the caller guarantees contains(addr, len) for the bytes it touches.
  std::byte* host(PhysAddr addr) const { return m_host + (addr - m_base); }

  PhysAddr base() const { return m_base; }
  uint64_t size() const { return m_size; }
  std::byte* host_base() const { return m_host; }
  int fd() const { return m_fd.get(); }
  uint64_t allocated_pages() const;

 private:
  PhysicalMemory(PhysAddr base, uint64_t size, UniqueFd fd, std::byte* host);
  void release_backing(PhysAddr first, uint64_t pages);
  // Drops a reference from each page others still hold, moving them to the
  // back; returns how many pages at the front are now free.
  size_t drop_shared_references(std::span<PhysAddr> pages);

  PhysAddr m_base;
  uint64_t m_size;
  UniqueFd m_fd;
  std::byte* m_host;

  mutable std::mutex m_lock;
  PhysAddr m_next_unused;  // bump pointer over never-used pages
  PhysAddr m_ready_end;    // end of the memory the grow hook has announced
  GrowHook m_grow;
  std::vector<PhysAddr> m_free;  // pages returned by free_page
  uint64_t m_allocated = 0;
  // Holders beyond the first, for the (few) pages that have more than one.
  std::unordered_map<PhysAddr, uint32_t> m_extra_refs;
};

}  // namespace moat::platform
