#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/mm/vma.h"

namespace moat::sentry {

// Where things go in a new address space; chosen once per exec.
struct MemoryLayout {
  uint64_t mmap_base = 0;             // mmap allocates top-down below this
  uint64_t stack_top = 0;             // the initial stack ends here
  uint64_t stack_limit = 8ull << 20;  // RLIMIT_STACK
};

// An mmap request: anonymous memory, or a file's pages.
struct MapRequest {
  uint64_t addr = 0;  // a hint, unless fixed or noreplace
  uint64_t length = 0;
  uint32_t prot = 0;
  bool shared = false;
  bool fixed = false;      // MAP_FIXED: replace whatever is there
  bool noreplace = false;  // MAP_FIXED_NOREPLACE: EEXIST if something is there
  bool grows_down = false;
  std::string name = {};  // for /proc/self/maps
  // A file mapping: the file and the offset of `addr` in it (page-aligned).
  // MAP_SHARED ones are read-only (max_prot without PROT_WRITE).
  std::shared_ptr<MappedFile> file = nullptr;
  uint64_t offset = 0;
  uint32_t max_prot = 7;  // what mprotect may grant
};

// The guest's view of its memory: VMAs, brk and demand paging over one
// platform address space. Pages are populated on first touch, zero-filled.
// All methods are thread-safe.
class MemoryManager {
 public:
  // The highest user address + 1 (47-bit user half, minus Linux's guard page).
  static constexpr uint64_t kTaskSize = 0x0000'7fff'ffff'f000ull;
  // mmap never hands out addresses below this (vm.mmap_min_addr).
  static constexpr uint64_t kMinAddress = 0x10000;
  // Pages populated per anonymous fault (the faulting one included).
  static constexpr uint64_t kFaultAround = 16;

  MemoryManager(platform::PhysicalMemory& memory, std::unique_ptr<platform::AddressSpace> as,
                MemoryLayout layout);
  ~MemoryManager();
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  platform::AddressSpace& address_space() { return *m_as; }

  // fork(2): a copy of this address space over `as`, sharing every page
  // (private ones copy-on-write, MAP_SHARED ones for good). ENOMEM if a
  // page-table page cannot be allocated.
  Result<std::shared_ptr<MemoryManager>> fork(std::unique_ptr<platform::AddressSpace> as);
  const MemoryLayout& layout() const { return m_layout; }

  // mmap(2); returns the address.
  Result<uint64_t> map(MapRequest request);
  // munmap(2).
  Result<void> unmap(uint64_t addr, uint64_t length);
  // mprotect(2).
  Result<void> protect(uint64_t addr, uint64_t length, uint32_t prot);
  // The range checks msync, madvise and mincore share, on page-aligned
  // `addr`: EINVAL when unaligned, ENOMEM when the range wraps or any page
  // of it is unmapped. An empty range is fine.
  Result<void> check_mapped(uint64_t addr, uint64_t length) const;
  // madvise(MADV_DONTNEED) on a range checked but for holes: private pages
  // are dropped
  // (anonymous ones read as zero again); shared ones keep their contents.
  void discard(uint64_t addr, uint64_t length);
  // mincore(2) on a checked range: one byte per page, 1 if resident.
  std::vector<uint8_t> residency(uint64_t addr, uint64_t length) const;
  // brk(2): returns the new (or unchanged) break.
  uint64_t brk(uint64_t requested);
  // Sets up the heap right after the loaded image (at exec).
  void set_brk_base(uint64_t base);
  // Resolves a user fault. EFAULT: no VMA or the VMA forbids the access
  // (SEGV_MAPERR / SEGV_ACCERR is told apart by `*mapped`); EIO: a file
  // mapping's page lies wholly past the end of its file (SIGBUS); ENOMEM:
  // out of memory.
  Result<void> handle_fault(uint64_t addr, platform::Access access, bool* mapped = nullptr);

  // Copies between moat and guest memory as the guest's own accesses would,
  // populating pages; EFAULT for any byte the guest could not access.
  Result<void> copy_in(uint64_t addr, std::span<std::byte> dst);
  Result<void> copy_out(uint64_t addr, std::span<const std::byte> src);
  // A NUL-terminated string of at most max_len bytes (excluding the NUL):
  // ENAMETOOLONG beyond, EFAULT for a bad pointer.
  Result<std::string> copy_in_string(uint64_t addr, size_t max_len);
  // Host iovecs covering [addr, addr + len) of guest memory, populated for
  // `access`; adjacent pages are merged. EFAULT if any page is inaccessible.
  Result<std::vector<iovec>> host_iovecs(uint64_t addr, uint64_t len, platform::Access access);

  // What identifies the futex word at `addr` across address spaces: the
  // shared memory object and the offset in it for MAP_SHARED memory, else
  // this address space and the address.
  std::pair<const void*, uint64_t> futex_key(uint64_t addr) const;

  // Snapshot of the VMAs, ascending.
  std::vector<Vma> vmas() const;

  // Where a handler returns when the program gave no sa_restorer (arm64;
  // Linux keeps it in mm->context as the vDSO's sigreturn trampoline).
  uint64_t signal_trampoline() const { return m_signal_trampoline; }
  void set_signal_trampoline(uint64_t addr) { m_signal_trampoline = addr; }
  uint64_t resident_pages() const;

 private:
  using VmaMap = std::map<uint64_t, Vma>;  // keyed by start

  VmaMap::iterator find_vma(uint64_t addr);
  VmaMap::const_iterator find_vma(uint64_t addr) const;
  // Splits the VMA containing addr (if any) so that a VMA starts at addr.
  void split_at(uint64_t addr);
  void remove_range(uint64_t start, uint64_t end);
  // Unmaps [start, end) from the page tables and frees the pages.
  void unmap_pages(uint64_t start, uint64_t end);
  bool range_free(uint64_t start, uint64_t end) const;
  std::optional<uint64_t> find_free(uint64_t length, uint64_t hint) const;
  void merge_around(uint64_t start, uint64_t end);
  Result<void> populate(const Vma& vma, uint64_t page_addr);
  // A write to a private page shared since a fork: this address space gets
  // its own copy (or the page itself, if no one else holds it any more).
  Result<void> break_copy_on_write(uint64_t page_addr, platform::PhysAddr shared, uint32_t prot);
  // After mprotect granted write on [start, end): pages still shared with
  // another address space stay read-only until written.
  void keep_copies_read_only(uint64_t start, uint64_t end);
  void fault_around(const Vma& vma, uint64_t page_addr);
  Result<void> fault_locked(uint64_t addr, platform::Access access, bool* mapped);
  Result<std::byte*> host_page(uint64_t page_addr, platform::Access access);
  // Calls fn(host pointer, offset into the range, length) for each page-sized
  // piece of [addr, addr + len), populating pages for `access`. m_lock held.
  template <typename Fn>
  Result<void> for_each_chunk(uint64_t addr, uint64_t len, platform::Access access, Fn&& fn);

  platform::PhysicalMemory& m_memory;
  std::unique_ptr<platform::AddressSpace> m_as;
  MemoryLayout m_layout;
  mutable std::mutex m_lock;
  VmaMap m_vmas;
  uint64_t m_brk_base = 0;
  uint64_t m_brk = 0;
  uint64_t m_resident = 0;
  uint64_t m_signal_trampoline = 0;
  bool m_copy_on_write = false;  // a fork happened: pages may be shared
};

}  // namespace moat::sentry
