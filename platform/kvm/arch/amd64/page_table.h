#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/result.h"
#include "platform/physical_memory.h"
#include "platform/platform.h"

namespace moat::kvm {

// x86-64 4-level page tables with 4 KiB pages, written by the host into guest
// physical memory. Intermediate entries are permissive; the leaf decides.
class PageTable {
 public:
  // Entry bits.
  static constexpr uint64_t kPresent = 1ull << 0;
  static constexpr uint64_t kWritable = 1ull << 1;
  static constexpr uint64_t kUser = 1ull << 2;
  static constexpr uint64_t kAccessed = 1ull << 5;
  static constexpr uint64_t kDirty = 1ull << 6;
  static constexpr uint64_t kGlobal = 1ull << 8;
  // Software bit: a non-present leaf that still owns its page (PROT_NONE).
  static constexpr uint64_t kKeptPage = 1ull << 9;
  static constexpr uint64_t kNoExecute = 1ull << 63;
  static constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000ull;

  // Creates an empty top-level table.
  static Result<PageTable> create(platform::PhysicalMemory& memory);
  PageTable(platform::PhysicalMemory& memory, platform::PhysAddr root)
      : m_memory(&memory), m_root(root) {}

  platform::PhysAddr root() const { return m_root; }

  // Leaf entry bits for a user page with these PROT_* bits.
  static uint64_t user_entry_bits(uint32_t prot);
  static uint32_t prot_of(uint64_t entry);

  // Installs a leaf `entry_bits | page` at va, allocating tables on the way.
  Result<void> map(uint64_t va, platform::PhysAddr page, uint64_t entry_bits);
  // Clears every leaf in [va, va + len) and calls release on its page.
  void unmap(uint64_t va, uint64_t len, const std::function<void(platform::PhysAddr)>& release);
  // Rewrites the permission bits of every leaf in [va, va + len).
  void protect(uint64_t va, uint64_t len, uint64_t entry_bits);
  // The leaf entry for va, if one is installed (present or kept).
  std::optional<uint64_t> leaf(uint64_t va) const;
  // Points top-level slot `index` at an existing table (shared kernel half).
  void set_top_level(unsigned index, platform::PhysAddr table);
  // Frees every table page of the user half (slots 0..255); leaves are not released.
  void destroy_user_tables();

 private:
  uint64_t* table(platform::PhysAddr pa) const;
  // The entry for va at the leaf level, creating tables if `create`.
  Result<uint64_t*> walk(uint64_t va, bool create);
  uint64_t* find(uint64_t va) const;
  void free_tables(platform::PhysAddr table, int level);

  template <typename Fn>
  void for_each_leaf(uint64_t va, uint64_t len, Fn&& fn);

  platform::PhysicalMemory* m_memory;
  platform::PhysAddr m_root;
};

}  // namespace moat::kvm
