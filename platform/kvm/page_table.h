#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/bits.h"
#include "base/result.h"
#include "platform/physical_memory.h"
#include "platform/platform.h"

namespace moat::kvm {

// Four-level page tables with 4 KiB pages and 512 entries per table, written
// by the host into guest physical memory: the shape x86-64 and arm64 (4 KiB
// granule, 48-bit VA) share. `Format` supplies the descriptor bits:
//
//   kValid        the bit that makes an entry valid (table or leaf)
//   kTableBits    the bits of an entry pointing at a next-level table
//   kKeptPage     a software bit: an invalid leaf that still owns its page
//   kAddressMask  the output-address bits
//   user_entry_bits(prot), prot_of(entry)   leaf bits for user pages
//   kernel_entry_bits(writable, executable) leaf bits for the stub's pages
template <typename Format>
class PageTable {
 public:
  static constexpr int kLevels = 4;
  static constexpr unsigned kEntries = 512;

  // Creates an empty top-level table.
  static Result<PageTable> create(platform::PhysicalMemory& memory) {
    auto root = TRY(memory.allocate_page());
    return PageTable(memory, root);
  }
  PageTable(platform::PhysicalMemory& memory, platform::PhysAddr root)
      : m_memory(&memory), m_root(root) {}

  platform::PhysAddr root() const { return m_root; }

  // Installs a leaf `entry_bits | page` at va, allocating tables on the way.
  Result<void> map(uint64_t va, platform::PhysAddr page, uint64_t entry_bits) {
    uint64_t* entry = TRY(walk(va));
    *entry = (page & Format::kAddressMask) | entry_bits;
    return {};
  }

  // Clears every leaf in [va, va + len) and calls release on its page.
  void unmap(uint64_t va, uint64_t len, const std::function<void(platform::PhysAddr)>& release) {
    for_each_leaf(va, len, [&](uint64_t, uint64_t& entry) {
      platform::PhysAddr page = entry & Format::kAddressMask;
      entry = 0;
      release(page);
    });
  }

  // Rewrites the permission bits of every leaf in [va, va + len).
  // Calls `changed` with the page of each entry that was valid before.
  template <typename Changed>
  void protect(uint64_t va, uint64_t len, uint64_t entry_bits, Changed&& changed) {
    for_each_leaf(va, len, [&](uint64_t, uint64_t& entry) {
      if ((entry & Format::kValid) != 0) {
        changed(static_cast<platform::PhysAddr>(entry & Format::kAddressMask));
      }
      entry = (entry & Format::kAddressMask) | entry_bits;
    });
  }

  // Calls fn(va, entry) for each installed leaf in [va, va + len).
  template <typename Fn>
  void visit(uint64_t va, uint64_t len, Fn&& fn) const {
    for_each_leaf(va, len, [&](uint64_t at, const uint64_t& entry) { fn(at, entry); });
  }

  // The leaf entry for va, if one is installed (valid or kept).
  std::optional<uint64_t> leaf(uint64_t va) const {
    const uint64_t* entry = find(va);
    if (entry == nullptr || !(*entry & (Format::kValid | Format::kKeptPage))) {
      return std::nullopt;
    }
    return *entry;
  }

  // The table a top-level slot points at, 0 if none.
  platform::PhysAddr top_level(unsigned index) const {
    uint64_t entry = table(m_root)[index];
    return (entry & Format::kValid) ? (entry & Format::kAddressMask) : 0;
  }
  // Points top-level slot `index` at an existing table (a shared kernel half).
  void set_top_level(unsigned index, platform::PhysAddr next) {
    table(m_root)[index] = next | Format::kTableBits;
  }

  // Frees the table pages below top-level slots [first, last); leaves are
  // not released.
  void destroy_tables(unsigned first, unsigned last) {
    for (unsigned i = first; i < last; ++i) {
      uint64_t& entry = table(m_root)[i];
      if (entry & Format::kValid) {
        free_tables(entry & Format::kAddressMask, kLevels - 2);
        entry = 0;
      }
    }
  }

 private:
  static constexpr unsigned index_at(uint64_t va, int level) {
    return (va >> (kPageShift + 9 * level)) & (kEntries - 1);
  }
  static constexpr uint64_t span_of(int level) { return uint64_t{1} << (kPageShift + 9 * level); }

  uint64_t* table(platform::PhysAddr pa) const {
    // SAFETY: table pages come from m_memory's allocator, so they lie inside it.
    return reinterpret_cast<uint64_t*>(m_memory->host(pa));
  }

  // The leaf slot for va, allocating tables on the way.
  Result<uint64_t*> walk(uint64_t va) {
    platform::PhysAddr current = m_root;
    for (int level = kLevels - 1; level > 0; --level) {
      uint64_t& entry = table(current)[index_at(va, level)];
      if (!(entry & Format::kValid)) {
        auto page = TRY(m_memory->allocate_page());
        entry = page | Format::kTableBits;
      }
      current = entry & Format::kAddressMask;
    }
    return &table(current)[index_at(va, 0)];
  }

  uint64_t* find(uint64_t va) const {
    platform::PhysAddr current = m_root;
    for (int level = kLevels - 1; level > 0; --level) {
      uint64_t entry = table(current)[index_at(va, level)];
      if (!(entry & Format::kValid)) {
        return nullptr;
      }
      current = entry & Format::kAddressMask;
    }
    return &table(current)[index_at(va, 0)];
  }

  // Calls fn(va, entry) for each installed leaf in [va, va + len), skipping
  // absent subtrees.
  template <typename Fn>
  void for_each_leaf(uint64_t va, uint64_t len, Fn&& fn) const {
    const uint64_t end = va + len;
    while (va < end) {
      platform::PhysAddr current = m_root;
      int level = kLevels - 1;
      for (; level > 0; --level) {
        uint64_t entry = table(current)[index_at(va, level)];
        if (!(entry & Format::kValid)) {
          break;
        }
        current = entry & Format::kAddressMask;
      }
      if (level > 0) {
        // Skip the whole range the absent table would have covered.
        uint64_t next = (va & ~(span_of(level) - 1)) + span_of(level);
        if (next <= va) {
          return;
        }
        va = next;
        continue;
      }
      uint64_t* leaves = table(current);
      for (unsigned i = index_at(va, 0); i < kEntries && va < end; ++i, va += kPageSize) {
        if (leaves[i] & (Format::kValid | Format::kKeptPage)) {
          fn(va, leaves[i]);
        }
      }
    }
  }

  void free_tables(platform::PhysAddr table_page, int level) {
    if (level > 0) {
      for (unsigned i = 0; i < kEntries; ++i) {
        uint64_t entry = table(table_page)[i];
        if (entry & Format::kValid) {
          free_tables(entry & Format::kAddressMask, level - 1);
        }
      }
    }
    m_memory->free_page(table_page);
  }

  platform::PhysicalMemory* m_memory;
  platform::PhysAddr m_root;
};

}  // namespace moat::kvm
