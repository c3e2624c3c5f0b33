#include "platform/physical_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace moat::platform {

Result<std::unique_ptr<PhysicalMemory>, Error> PhysicalMemory::create(PhysAddr base,
                                                                      uint64_t size) {
  if (!is_page_aligned(base) || !is_page_aligned(size) || size == 0) {
    return make_error("guest memory must be a non-empty whole number of pages");
  }
  UniqueFd fd(memfd_create("moat-guest-memory", MFD_CLOEXEC));
  if (!fd.valid()) {
    return host_error("memfd_create", errno);
  }
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return host_error("ftruncate(guest memory)", errno);
  }
  void* host = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd.get(), 0);
  if (host == MAP_FAILED) {
    return host_error("mmap(guest memory)", errno);
  }
  return std::unique_ptr<PhysicalMemory>(
      new PhysicalMemory(base, size, std::move(fd), static_cast<std::byte*>(host)));
}

PhysicalMemory::PhysicalMemory(PhysAddr base, uint64_t size, UniqueFd fd, std::byte* host)
    : m_base(base),
      m_size(size),
      m_fd(std::move(fd)),
      m_host(host),
      m_next_unused(base),
      m_ready_end(base + size) {}

namespace {
// The first chunk announced to the hypervisor; each next one doubles.
constexpr uint64_t kFirstChunk = 32ull << 20;
}  // namespace

Result<void, Error> PhysicalMemory::set_grow_hook(GrowHook hook) {
  std::lock_guard guard(m_lock);
  m_grow = std::move(hook);
  m_ready_end = m_base;
  if (m_next_unused > m_base) {
    TRY(m_grow(m_base, m_next_unused - m_base));
    m_ready_end = m_next_unused;
  }
  return {};
}

PhysicalMemory::~PhysicalMemory() {
  munmap(m_host, m_size);
}

Result<PhysAddr> PhysicalMemory::allocate_page() {
  std::lock_guard guard(m_lock);
  PhysAddr page;
  if (!m_free.empty()) {
    // Freed pages had their backing punched out, so they read as zero again.
    page = m_free.back();
    m_free.pop_back();
  } else if (m_next_unused < m_base + m_size) {
    if (m_next_unused >= m_ready_end) {
      const uint64_t ready = m_ready_end - m_base;
      const uint64_t chunk = std::min(std::max(kFirstChunk, ready), m_size - ready);
      if (!m_grow || !m_grow(m_ready_end, chunk)) {
        return Errno::kENOMEM;
      }
      m_ready_end += chunk;
    }
    page = m_next_unused;
    m_next_unused += kPageSize;
  } else {
    return Errno::kENOMEM;
  }
  ++m_allocated;
  return page;
}

void PhysicalMemory::release_backing(PhysAddr first, uint64_t pages) {
  // Returning the backing to the host both bounds moat's resident memory and
  // zeroes the pages for their next user.
  if (fallocate(m_fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(first - m_base), static_cast<off_t>(pages * kPageSize)) != 0) {
    std::memset(host(first), 0, pages * kPageSize);
    (void)madvise(host(first), pages * kPageSize, MADV_DONTNEED);  // see invalidate()
  }
}

void PhysicalMemory::free_page(PhysAddr page) {
  free_pages(std::span(&page, 1));
}

void PhysicalMemory::share_page(PhysAddr page) {
  std::lock_guard guard(m_lock);
  ++m_extra_refs[page];
}

uint32_t PhysicalMemory::references(PhysAddr page) const {
  std::lock_guard guard(m_lock);
  auto it = m_extra_refs.find(page);
  return it == m_extra_refs.end() ? 1 : it->second + 1;
}

size_t PhysicalMemory::drop_shared_references(std::span<PhysAddr> pages) {
  std::lock_guard guard(m_lock);
  if (m_extra_refs.empty()) {
    return pages.size();
  }
  // Pages others still hold move to the back; the rest are really freed.
  auto last = std::partition(pages.begin(), pages.end(), [this](PhysAddr page) {
    auto it = m_extra_refs.find(page);
    if (it == m_extra_refs.end()) {
      return true;
    }
    if (--it->second == 0) {
      m_extra_refs.erase(it);
    }
    return false;
  });
  return static_cast<size_t>(last - pages.begin());
}

void PhysicalMemory::free_pages(std::span<PhysAddr> all) {
  const size_t freed = drop_shared_references(all);
  // A page others still hold stays, but the mapping that let go of it must
  // not reach it any more: a shadow-paging hypervisor keeps its own entries
  // for it, in shadow tables it may reuse for whatever page tables take the
  // old ones' place, until the host mapping changes.
  invalidate(all.subspan(freed));
  std::span<PhysAddr> pages = all.first(freed);
  std::sort(pages.begin(), pages.end());
  size_t run_start = 0;
  for (size_t i = 1; i <= pages.size(); ++i) {
    if (i == pages.size() || pages[i] != pages[i - 1] + kPageSize) {
      release_backing(pages[run_start], i - run_start);
      run_start = i;
    }
  }
  std::lock_guard guard(m_lock);
  m_free.insert(m_free.end(), pages.begin(), pages.end());
  m_allocated -= pages.size();
}

void PhysicalMemory::invalidate(std::span<PhysAddr> pages) {
  std::sort(pages.begin(), pages.end());
  size_t run_start = 0;
  for (size_t i = 1; i <= pages.size(); ++i) {
    if (i == pages.size() || pages[i] != pages[i - 1] + kPageSize) {
      (void)madvise(host(pages[run_start]), (i - run_start) * kPageSize, MADV_DONTNEED);
      run_start = i;
    }
  }
}

uint64_t PhysicalMemory::allocated_pages() const {
  std::lock_guard guard(m_lock);
  return m_allocated;
}

}  // namespace moat::platform
