#include "sentry/mm/memory_manager.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/bits.h"
#include "base/log.h"

namespace moat::sentry {
namespace {

bool prot_allows(uint32_t prot, platform::Access access) {
  switch (access) {
    case platform::Access::kRead:
      // x86 cannot refuse reads of writable or executable pages; Linux's
      // fault handler accepts any of the three.
      return prot != 0;
    case platform::Access::kWrite:
      return (prot & PROT_WRITE) != 0;
    case platform::Access::kExecute:
      return (prot & PROT_EXEC) != 0;
  }
  return false;
}

bool mergeable(const Vma& a, const Vma& b) {
  return a.end == b.start && a.prot == b.prot && a.max_prot == b.max_prot && a.shared == b.shared &&
         a.grows_down == b.grows_down && a.name == b.name && a.object == b.object &&
         a.file == b.file && (!(a.object || a.file) || a.offset + a.length() == b.offset);
}

}  // namespace

MemoryManager::MemoryManager(platform::PhysicalMemory& memory,
                             std::unique_ptr<platform::AddressSpace> as, MemoryLayout layout)
    : m_memory(memory), m_as(std::move(as)), m_layout(layout) {}

MemoryManager::~MemoryManager() {
  unmap_pages(0, kTaskSize);
}

void MemoryManager::unmap_pages(uint64_t start, uint64_t end) {
  std::vector<platform::PhysAddr> freed;
  m_as->unmap(start, end - start, [&](platform::PhysAddr page) { freed.push_back(page); });
  m_memory.free_pages(freed);
  m_resident -= freed.size();
}

MemoryManager::VmaMap::iterator MemoryManager::find_vma(uint64_t addr) {
  const auto found = std::as_const(*this).find_vma(addr);
  return m_vmas.erase(found, found);  // the same position, as a mutable iterator
}

MemoryManager::VmaMap::const_iterator MemoryManager::find_vma(uint64_t addr) const {
  auto it = m_vmas.upper_bound(addr);
  if (it == m_vmas.begin()) {
    return m_vmas.end();
  }
  --it;
  return it->second.contains(addr) ? it : m_vmas.end();
}

std::pair<const void*, uint64_t> MemoryManager::futex_key(uint64_t addr) const {
  std::lock_guard guard(m_lock);
  auto it = find_vma(addr);
  if (it != m_vmas.end() && it->second.object) {
    const Vma& vma = it->second;
    return {vma.object.get(), vma.offset + (addr - vma.start)};
  }
  return {this, addr};
}

void MemoryManager::split_at(uint64_t addr) {
  auto it = find_vma(addr);
  if (it == m_vmas.end() || it->second.start == addr) {
    return;
  }
  Vma upper = it->second;
  upper.offset += addr - upper.start;
  upper.start = addr;
  it->second.end = addr;
  m_vmas.emplace(addr, std::move(upper));
}

void MemoryManager::remove_range(uint64_t start, uint64_t end) {
  split_at(start);
  split_at(end);
  auto it = m_vmas.lower_bound(start);
  while (it != m_vmas.end() && it->second.start < end) {
    it = m_vmas.erase(it);
  }
  unmap_pages(start, end);
}

bool MemoryManager::range_free(uint64_t start, uint64_t end) const {
  auto it = m_vmas.lower_bound(start);
  if (it != m_vmas.end() && it->second.start < end) {
    return false;
  }
  if (it != m_vmas.begin()) {
    --it;
    if (it->second.end > start) {
      return false;
    }
  }
  return true;
}

std::optional<uint64_t> MemoryManager::find_free(uint64_t length, uint64_t hint) const {
  if (hint != 0) {
    hint = page_round_down(hint);
    if (hint >= kMinAddress && hint <= kTaskSize - length && range_free(hint, hint + length)) {
      return hint;
    }
  }
  // Top-down from mmap_base, as Linux's default layout does.
  uint64_t ceiling = std::min(m_layout.mmap_base, kTaskSize);
  auto it = m_vmas.lower_bound(ceiling);
  for (;;) {
    uint64_t floor = kMinAddress;
    auto prev = it;
    if (prev != m_vmas.begin()) {
      --prev;
      floor = std::max(floor, prev->second.end);
    }
    if (ceiling >= floor && ceiling - floor >= length) {
      return ceiling - length;
    }
    if (it == m_vmas.begin() || prev == it) {
      break;
    }
    ceiling = std::min(ceiling, prev->second.start);
    it = prev;
    if (ceiling < kMinAddress) {
      break;
    }
  }
  return std::nullopt;
}

void MemoryManager::merge_around(uint64_t start, uint64_t end) {
  auto it = m_vmas.upper_bound(start);
  if (it != m_vmas.begin()) {
    --it;
  }
  if (it != m_vmas.begin()) {
    --it;
  }
  while (it != m_vmas.end() && it->second.start <= end) {
    auto next = std::next(it);
    if (next != m_vmas.end() && mergeable(it->second, next->second)) {
      it->second.end = next->second.end;
      m_vmas.erase(next);
    } else {
      it = next;
    }
  }
}

Result<uint64_t> MemoryManager::map(MapRequest request) {
  uint64_t addr = request.addr;
  uint64_t length = request.length;
  if (length == 0) {
    return Errno::kEINVAL;
  }
  auto rounded = page_round_up(length);
  if (!rounded || *rounded > kTaskSize) {
    return Errno::kENOMEM;
  }
  length = *rounded;
  std::lock_guard guard(m_lock);
  uint64_t start;
  if (request.fixed || request.noreplace) {
    if (!is_page_aligned(addr)) {
      return Errno::kEINVAL;
    }
    if (addr > kTaskSize - length) {
      return Errno::kENOMEM;
    }
    if (request.noreplace && !range_free(addr, addr + length)) {
      return Errno::kEEXIST;
    }
    if (addr < kMinAddress) {
      return Errno::kEPERM;
    }
    start = addr;
    remove_range(start, start + length);
  } else {
    auto found = find_free(length, addr);
    if (!found) {
      return Errno::kENOMEM;
    }
    start = *found;
  }
  Vma vma;
  vma.start = start;
  vma.end = start + length;
  vma.prot = request.prot;
  vma.shared = request.shared;
  vma.grows_down = request.grows_down;
  vma.name = std::move(request.name);
  vma.max_prot = request.max_prot;
  if (request.file) {
    vma.file = std::move(request.file);
    vma.offset = request.offset;
  } else if (request.shared) {
    vma.object = std::make_shared<SharedMemory>(m_memory);
  }
  m_vmas.emplace(start, std::move(vma));
  merge_around(start, start + length);
  return start;
}

Result<void> MemoryManager::unmap(uint64_t addr, uint64_t length) {
  if (!is_page_aligned(addr) || length == 0) {
    return Errno::kEINVAL;
  }
  auto rounded = page_round_up(length);
  if (!rounded || addr > kTaskSize || *rounded > kTaskSize - addr) {
    return Errno::kEINVAL;
  }
  std::lock_guard guard(m_lock);
  remove_range(addr, addr + *rounded);
  return {};
}

Result<void> MemoryManager::check_mapped(uint64_t addr, uint64_t length) const {
  if (!is_page_aligned(addr)) {
    return Errno::kEINVAL;
  }
  auto rounded = page_round_up(length);
  if (!rounded || addr > kTaskSize || *rounded > kTaskSize - addr) {
    return Errno::kENOMEM;
  }
  const uint64_t end = addr + *rounded;
  std::lock_guard guard(m_lock);
  for (uint64_t cursor = addr; cursor < end;) {
    auto it = m_vmas.upper_bound(cursor);
    if (it == m_vmas.begin() || !std::prev(it)->second.contains(cursor)) {
      return Errno::kENOMEM;
    }
    cursor = std::prev(it)->second.end;
  }
  return {};
}

void MemoryManager::discard(uint64_t addr, uint64_t length) {
  const uint64_t end = addr + *page_round_up(length);
  std::lock_guard guard(m_lock);
  // Every VMA overlapping the range; holes are skipped.
  auto it = m_vmas.upper_bound(addr);
  if (it != m_vmas.begin() && std::prev(it)->second.end > addr) {
    --it;
  }
  for (; it != m_vmas.end() && it->second.start < end; ++it) {
    if (!it->second.shared) {
      unmap_pages(std::max(addr, it->second.start), std::min(end, it->second.end));
    }
  }
}

std::vector<uint8_t> MemoryManager::residency(uint64_t addr, uint64_t length) const {
  const uint64_t pages = *page_round_up(length) / kPageSize;
  std::vector<uint8_t> out(pages);
  std::lock_guard guard(m_lock);
  for (uint64_t i = 0; i < pages; ++i) {
    out[i] = m_as->translate(addr + i * kPageSize).has_value() ? 1 : 0;
  }
  return out;
}

Result<void> MemoryManager::protect(uint64_t addr, uint64_t length, uint32_t prot) {
  if (!is_page_aligned(addr)) {
    return Errno::kEINVAL;
  }
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0) {
    return Errno::kEINVAL;
  }
  auto rounded = page_round_up(length);
  if (!rounded || addr > kTaskSize || *rounded > kTaskSize - addr) {
    return Errno::kENOMEM;
  }
  if (*rounded == 0) {
    return {};
  }
  const uint64_t end = addr + *rounded;
  std::lock_guard guard(m_lock);
  // Every page of the range must be mapped.
  for (uint64_t cursor = addr; cursor < end;) {
    auto it = find_vma(cursor);
    if (it == m_vmas.end()) {
      return Errno::kENOMEM;
    }
    if ((prot & ~it->second.max_prot) != 0) {
      return Errno::kEACCES;
    }
    cursor = it->second.end;
  }
  split_at(addr);
  split_at(end);
  for (auto it = m_vmas.lower_bound(addr); it != m_vmas.end() && it->second.start < end; ++it) {
    it->second.prot = prot;
  }
  m_as->protect(addr, end - addr, prot);
  if ((prot & PROT_WRITE) != 0 && m_copy_on_write) {
    keep_copies_read_only(addr, end);
  }
  merge_around(addr, end);
  return {};
}

void MemoryManager::keep_copies_read_only(uint64_t start, uint64_t end) {
  for (auto it = m_vmas.lower_bound(start); it != m_vmas.end() && it->second.start < end; ++it) {
    const Vma& vma = it->second;
    if (vma.shared) {
      continue;
    }
    std::vector<std::pair<uint64_t, platform::PhysAddr>> copies;
    m_as->visit(vma.start, vma.length(), [&](uint64_t va, const platform::Translation& t) {
      if (m_memory.references(t.page) > 1) {
        copies.emplace_back(va, t.page);
      }
    });
    for (const auto& [va, page] : copies) {
      // Replacing an existing entry needs no new table page.
      (void)m_as->map(va, page, vma.prot & ~PROT_WRITE);
    }
  }
}

void MemoryManager::set_brk_base(uint64_t base) {
  std::lock_guard guard(m_lock);
  m_brk_base = m_brk = base;
}

uint64_t MemoryManager::brk(uint64_t requested) {
  std::lock_guard guard(m_lock);
  if (requested < m_brk_base) {
    return m_brk;
  }
  uint64_t old_end = *page_round_up(m_brk);
  auto new_end_opt = page_round_up(requested);
  if (!new_end_opt || *new_end_opt > kTaskSize) {
    return m_brk;
  }
  uint64_t new_end = *new_end_opt;
  if (new_end > old_end) {
    if (!range_free(old_end, new_end)) {
      return m_brk;
    }
    Vma heap;
    heap.start = old_end;
    heap.end = new_end;
    heap.prot = PROT_READ | PROT_WRITE;
    heap.name = "[heap]";
    m_vmas.emplace(old_end, std::move(heap));
    merge_around(old_end, new_end);
  } else if (new_end < old_end) {
    remove_range(new_end, old_end);
  }
  m_brk = requested;
  return m_brk;
}

Result<void> MemoryManager::populate(const Vma& vma, uint64_t page_addr) {
  auto page = vma.object ? TRY(vma.object->page(vma.offset + (page_addr - vma.start)))
                         : TRY(m_memory.allocate_page());
  if (vma.file) {
    // The file's bytes, zeros past its end; a page wholly past the end is
    // SIGBUS, as Linux's filemap_fault.
    const uint64_t offset = vma.offset + (page_addr - vma.start);
    auto read = vma.file->read(std::span(m_memory.host(page), kPageSize), offset);
    if (!read || *read == 0) {
      m_memory.free_page(page);
      return Errno::kEIO;
    }
  }
  auto mapped = m_as->map(page_addr, page, vma.prot);
  if (!mapped) {
    m_memory.free_page(page);
    return mapped.error();
  }
  ++m_resident;
  return {};
}

Result<void> MemoryManager::fault_locked(uint64_t addr, platform::Access access, bool* mapped) {
  if (mapped != nullptr) {
    *mapped = false;
  }
  if (addr >= kTaskSize) {
    return Errno::kEFAULT;
  }
  auto it = find_vma(addr);
  if (it == m_vmas.end()) {
    // Below a stack: grow it, within RLIMIT_STACK.
    auto above = m_vmas.upper_bound(addr);
    if (above == m_vmas.end() || !above->second.grows_down ||
        above->second.end - page_round_down(addr) > m_layout.stack_limit) {
      return Errno::kEFAULT;
    }
    uint64_t new_start = page_round_down(addr);
    if (!range_free(new_start, above->second.start)) {
      return Errno::kEFAULT;
    }
    Vma grown = above->second;
    grown.start = new_start;
    m_vmas.erase(above);
    it = m_vmas.emplace(new_start, std::move(grown)).first;
  }
  if (mapped != nullptr) {
    *mapped = true;
  }
  const Vma& vma = it->second;
  if (!prot_allows(vma.prot, access)) {
    return Errno::kEFAULT;
  }
  const uint64_t page_addr = page_round_down(addr);
  if (auto t = m_as->translate(page_addr)) {
    // Already populated: the page tables agree with the VMA, so this was a
    // stale TLB entry; re-entering the guest after a flush resolves it.
    if (prot_allows(t->prot, access)) {
      return {};
    }
    // The VMA allows the write and the page does not: a page shared
    // copy-on-write since a fork.
    if (access == platform::Access::kWrite && !vma.shared) {
      return break_copy_on_write(page_addr, t->page, vma.prot);
    }
    return Errno::kEFAULT;
  }
  TRY(populate(vma, page_addr));
  fault_around(vma, page_addr);
  return {};
}

void MemoryManager::fault_around(const Vma& vma, uint64_t page_addr) {
  // Every trap costs a full exit to moat, so a fault also populates the
  // pages the program is likely to touch next: the following ones (the
  // preceding ones for a stack), up to kFaultAround, within the same VMA.
  // Failures are ignored: the pages fault in later if they are needed.
  const bool down = vma.grows_down;
  for (uint64_t i = 1; i < kFaultAround; ++i) {
    uint64_t next = down ? page_addr - i * kPageSize : page_addr + i * kPageSize;
    if (next < vma.start || next >= vma.end || m_as->translate(next)) {
      break;
    }
    if (!populate(vma, next)) {
      break;
    }
  }
}

Result<void> MemoryManager::break_copy_on_write(uint64_t page_addr, platform::PhysAddr shared,
                                                uint32_t prot) {
  // The last holder takes the page as it is. No one can share it meanwhile:
  // only a fork of this address space could, and it takes m_lock.
  if (m_memory.references(shared) == 1) {
    return m_as->map(page_addr, shared, prot);
  }
  auto page = TRY(m_memory.allocate_page());
  std::memcpy(m_memory.host(page), m_memory.host(shared), kPageSize);
  if (auto mapped = m_as->map(page_addr, page, prot); !mapped) {
    m_memory.free_page(page);
    return mapped.error();
  }
  m_memory.free_page(shared);
  return {};
}

Result<std::shared_ptr<MemoryManager>> MemoryManager::fork(
    std::unique_ptr<platform::AddressSpace> as) {
  std::lock_guard guard(m_lock);
  auto child = std::make_shared<MemoryManager>(m_memory, std::move(as), m_layout);
  child->m_vmas = m_vmas;
  child->m_brk_base = m_brk_base;
  child->m_brk = m_brk;
  child->m_signal_trampoline = m_signal_trampoline;
  child->m_copy_on_write = true;
  m_copy_on_write = true;
  // Every page the parent has is the child's too: shared memory as it is,
  // private memory read-only in both until one of them writes to it.
  for (const auto& [start, vma] : m_vmas) {
    const uint32_t prot = vma.shared ? vma.prot : vma.prot & ~PROT_WRITE;
    std::vector<std::pair<uint64_t, platform::PhysAddr>> pages;
    m_as->visit(vma.start, vma.length(), [&](uint64_t va, const platform::Translation& t) {
      pages.emplace_back(va, t.page);
    });
    for (const auto& [va, page] : pages) {
      m_memory.share_page(page);
      if (auto mapped = child->m_as->map(va, page, prot); !mapped) {
        m_memory.free_page(page);
        return mapped.error();  // the child's destructor lets go of the rest
      }
      ++child->m_resident;
    }
  }
  for (const auto& [start, vma] : m_vmas) {
    if (!vma.shared && (vma.prot & PROT_WRITE) != 0) {
      m_as->protect(vma.start, vma.length(), vma.prot & ~PROT_WRITE);
    }
  }
  return child;
}

Result<void> MemoryManager::handle_fault(uint64_t addr, platform::Access access, bool* mapped) {
  std::lock_guard guard(m_lock);
  return fault_locked(addr, access, mapped);
}

Result<std::byte*> MemoryManager::host_page(uint64_t page_addr, platform::Access access) {
  auto t = m_as->translate(page_addr);
  if (!t || !prot_allows(t->prot, access)) {
    TRY(fault_locked(page_addr, access, nullptr));
    t = m_as->translate(page_addr);
    if (!t || !prot_allows(t->prot, access)) {
      return Errno::kEFAULT;
    }
  }
  // SAFETY: the page came from m_memory's allocator.
  return m_memory.host(t->page);
}

template <typename Fn>
Result<void> MemoryManager::for_each_chunk(uint64_t addr, uint64_t len, platform::Access access,
                                           Fn&& fn) {
  if (!checked_add(addr, len) || addr + len > kTaskSize) {
    return Errno::kEFAULT;
  }
  uint64_t done = 0;
  while (done < len) {
    uint64_t cursor = addr + done;
    uint64_t offset = cursor & (kPageSize - 1);
    uint64_t chunk = std::min<uint64_t>(len - done, kPageSize - offset);
    std::byte* page = TRY(host_page(cursor - offset, access));
    fn(page + offset, done, chunk);
    done += chunk;
  }
  return {};
}

Result<void> MemoryManager::copy_in(uint64_t addr, std::span<std::byte> dst) {
  std::lock_guard guard(m_lock);
  return for_each_chunk(addr, dst.size(), platform::Access::kRead,
                        [&](const std::byte* guest, uint64_t done, uint64_t chunk) {
                          std::memcpy(dst.data() + done, guest, chunk);
                        });
}

Result<void> MemoryManager::copy_out(uint64_t addr, std::span<const std::byte> src) {
  std::lock_guard guard(m_lock);
  return for_each_chunk(addr, src.size(), platform::Access::kWrite,
                        [&](std::byte* guest, uint64_t done, uint64_t chunk) {
                          std::memcpy(guest, src.data() + done, chunk);
                        });
}

Result<std::string> MemoryManager::copy_in_string(uint64_t addr, size_t max_len) {
  std::lock_guard guard(m_lock);
  std::string out;
  uint64_t cursor = addr;
  for (;;) {
    if (cursor >= kTaskSize) {
      return Errno::kEFAULT;
    }
    uint64_t offset = cursor & (kPageSize - 1);
    std::byte* page = TRY(host_page(cursor - offset, platform::Access::kRead));
    const char* begin = reinterpret_cast<const char*>(page + offset);
    size_t avail = kPageSize - offset;
    const void* nul = std::memchr(begin, 0, avail);
    size_t take =
        nul != nullptr ? static_cast<size_t>(static_cast<const char*>(nul) - begin) : avail;
    if (out.size() + take > max_len) {
      return Errno::kENAMETOOLONG;
    }
    out.append(begin, take);
    if (nul != nullptr) {
      return out;
    }
    cursor += avail;
  }
}

Result<std::vector<iovec>> MemoryManager::host_iovecs(uint64_t addr, uint64_t len,
                                                      platform::Access access) {
  std::lock_guard guard(m_lock);
  std::vector<iovec> out;
  TRY(for_each_chunk(addr, len, access, [&](std::byte* base, uint64_t, uint64_t chunk) {
    if (!out.empty() && static_cast<std::byte*>(out.back().iov_base) + out.back().iov_len == base) {
      out.back().iov_len += chunk;
    } else {
      out.push_back(iovec{base, chunk});
    }
  }));
  return out;
}

std::vector<Vma> MemoryManager::vmas() const {
  std::lock_guard guard(m_lock);
  std::vector<Vma> out;
  out.reserve(m_vmas.size());
  for (const auto& [start, vma] : m_vmas) {
    out.push_back(vma);
  }
  return out;
}

uint64_t MemoryManager::resident_pages() const {
  std::lock_guard guard(m_lock);
  return m_resident;
}

}  // namespace moat::sentry
