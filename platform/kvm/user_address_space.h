#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/bits.h"
#include "platform/kvm/page_table.h"
#include "platform/platform.h"

namespace moat::kvm {

// A guest's user half over PageTable<Format>: addresses below kUserEnd,
// whose tables hang off the first kUserSlots top-level slots. The same for
// every architecture; the stub's half is set up by the arch code.
template <typename Format, uint64_t kUserEnd, unsigned kUserSlots>
class UserAddressSpace final : public platform::AddressSpace {
 public:
  UserAddressSpace(platform::PhysicalMemory& memory, PageTable<Format> table)
      : m_memory(memory), m_table(table) {}
  ~UserAddressSpace() override {
    m_table.destroy_tables(0, kUserSlots);
    m_memory.free_page(m_table.root());
  }

  PageTable<Format>& table() { return m_table; }
  platform::PhysAddr root() const { return m_table.root(); }

  Result<void> map(uint64_t va, platform::PhysAddr page, uint32_t prot) override {
    if (va >= kUserEnd || !is_page_aligned(va)) {
      return Errno::kEFAULT;
    }
    const std::optional<uint64_t> old = m_table.leaf(va);
    auto mapped = m_table.map(va, page, Format::user_entry_bits(prot));
    if (old && (*old & Format::kValid) != 0) {
      // The old translation may be cached: by this vCPU's TLB, by others'.
      platform::PhysAddr old_page = *old & Format::kAddressMask;
      bump_generation();
      m_memory.invalidate(std::span(&old_page, 1));
    }
    return mapped;
  }

  void unmap(uint64_t va, uint64_t len,
             const std::function<void(platform::PhysAddr)>& release) override {
    if (!clamp(va, len)) {
      return;
    }
    // Freeing a page drops every vCPU's translations of it
    // (PhysicalMemory::invalidate); the generation makes this vCPU flush too.
    m_table.unmap(va, len, release);
    bump_generation();
  }

  void protect(uint64_t va, uint64_t len, uint32_t prot) override {
    if (!clamp(va, len)) {
      return;
    }
    std::vector<platform::PhysAddr> pages;
    m_table.protect(va, len, Format::user_entry_bits(prot),
                    [&pages](platform::PhysAddr page) { pages.push_back(page); });
    bump_generation();
    m_memory.invalidate(pages);
  }

  void visit(uint64_t va, uint64_t len,
             const std::function<void(uint64_t, const platform::Translation&)>& fn) const override {
    if (!clamp(va, len)) {
      return;
    }
    m_table.visit(va, len, [&](uint64_t at, uint64_t entry) {
      fn(at, platform::Translation{entry & Format::kAddressMask, Format::prot_of(entry)});
    });
  }

  std::optional<platform::Translation> translate(uint64_t va) const override {
    if (va >= kUserEnd) {
      return std::nullopt;
    }
    auto entry = m_table.leaf(page_round_down(va));
    if (!entry) {
      return std::nullopt;
    }
    return platform::Translation{*entry & Format::kAddressMask, Format::prot_of(*entry)};
  }

 private:
  // Restricts [va, va + len) to the user half; false if nothing is left.
  static bool clamp(uint64_t va, uint64_t& len) {
    if (va >= kUserEnd) {
      return false;
    }
    len = std::min(len, kUserEnd - va);
    return len > 0;
  }

  platform::PhysicalMemory& m_memory;
  PageTable<Format> m_table;
};

}  // namespace moat::kvm
