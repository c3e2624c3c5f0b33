#include "sentry/mm/shared_memory.h"

#include <vector>

namespace moat::sentry {

SharedMemory::~SharedMemory() {
  std::vector<platform::PhysAddr> pages;
  pages.reserve(m_pages.size());
  for (const auto& [offset, page] : m_pages) {
    pages.push_back(page);
  }
  m_memory.free_pages(pages);
}

Result<platform::PhysAddr> SharedMemory::page(uint64_t offset) {
  std::lock_guard guard(m_lock);
  auto it = m_pages.find(offset);
  if (it == m_pages.end()) {
    auto page = TRY(m_memory.allocate_page());
    it = m_pages.emplace(offset, page).first;
  }
  m_memory.share_page(it->second);
  return it->second;
}

}  // namespace moat::sentry
