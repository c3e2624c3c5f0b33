#include "platform/kvm/arch/amd64/page_table.h"

#include <algorithm>

namespace moat::kvm {
namespace {

constexpr int kLevels = 4;
constexpr unsigned kEntries = 512;
constexpr uint64_t kTableBits = PageTable::kPresent | PageTable::kWritable | PageTable::kUser;

constexpr unsigned index_at(uint64_t va, int level) {
  // level 3 = PML4 ... level 0 = PT
  return (va >> (12 + 9 * level)) & (kEntries - 1);
}

constexpr uint64_t span_of(int level) { return 1ull << (12 + 9 * level); }

}  // namespace

Result<PageTable> PageTable::create(platform::PhysicalMemory& memory) {
  auto root = TRY(memory.allocate_page());
  return PageTable(memory, root);
}

uint64_t PageTable::user_entry_bits(uint32_t prot) {
  if (prot == platform::kProtNone) {
    return kKeptPage;
  }
  uint64_t bits = kPresent | kUser | kAccessed;
  if (prot & platform::kProtWrite) {
    bits |= kWritable | kDirty;
  }
  if (!(prot & platform::kProtExec)) {
    bits |= kNoExecute;
  }
  return bits;
}

uint32_t PageTable::prot_of(uint64_t entry) {
  if (!(entry & kPresent)) {
    return platform::kProtNone;
  }
  uint32_t prot = platform::kProtRead;
  if (entry & kWritable) {
    prot |= platform::kProtWrite;
  }
  if (!(entry & kNoExecute)) {
    prot |= platform::kProtExec;
  }
  return prot;
}

uint64_t* PageTable::table(platform::PhysAddr pa) const {
  // SAFETY: table pages come from m_memory's allocator, so they lie inside it.
  return reinterpret_cast<uint64_t*>(m_memory->host(pa));
}

Result<uint64_t*> PageTable::walk(uint64_t va, bool create) {
  platform::PhysAddr current = m_root;
  for (int level = kLevels - 1; level > 0; --level) {
    uint64_t& entry = table(current)[index_at(va, level)];
    if (!(entry & kPresent)) {
      if (!create) {
        return Errno::kENOENT;
      }
      auto page = TRY(m_memory->allocate_page());
      entry = page | kTableBits;
    }
    current = entry & kAddressMask;
  }
  return &table(current)[index_at(va, 0)];
}

uint64_t* PageTable::find(uint64_t va) const {
  platform::PhysAddr current = m_root;
  for (int level = kLevels - 1; level > 0; --level) {
    uint64_t entry = table(current)[index_at(va, level)];
    if (!(entry & kPresent)) {
      return nullptr;
    }
    current = entry & kAddressMask;
  }
  return &table(current)[index_at(va, 0)];
}

Result<void> PageTable::map(uint64_t va, platform::PhysAddr page, uint64_t entry_bits) {
  uint64_t* entry = TRY(walk(va, true));
  *entry = (page & kAddressMask) | entry_bits;
  return {};
}

std::optional<uint64_t> PageTable::leaf(uint64_t va) const {
  const uint64_t* entry = find(va);
  if (entry == nullptr || !(*entry & (kPresent | kKeptPage))) {
    return std::nullopt;
  }
  return *entry;
}

// Visits each installed leaf in [va, va + len), skipping absent subtrees.
template <typename Fn>
void PageTable::for_each_leaf(uint64_t va, uint64_t len, Fn&& fn) {
  const uint64_t end = va + len;
  while (va < end) {
    platform::PhysAddr current = m_root;
    int level = kLevels - 1;
    bool missing = false;
    for (; level > 0; --level) {
      uint64_t entry = table(current)[index_at(va, level)];
      if (!(entry & kPresent)) {
        missing = true;
        break;
      }
      current = entry & kAddressMask;
    }
    if (missing) {
      // Skip the whole range that the absent table would have covered.
      uint64_t next = (va & ~(span_of(level) - 1)) + span_of(level);
      if (next <= va) {
        return;
      }
      va = next;
      continue;
    }
    uint64_t* leaves = table(current);
    for (unsigned i = index_at(va, 0); i < kEntries && va < end; ++i, va += kPageSize) {
      if (leaves[i] & (kPresent | kKeptPage)) {
        fn(leaves[i]);
      }
    }
  }
}

void PageTable::unmap(uint64_t va, uint64_t len,
                      const std::function<void(platform::PhysAddr)>& release) {
  for_each_leaf(va, len, [&](uint64_t& entry) {
    platform::PhysAddr page = entry & kAddressMask;
    entry = 0;
    release(page);
  });
}

void PageTable::protect(uint64_t va, uint64_t len, uint64_t entry_bits) {
  for_each_leaf(va, len, [&](uint64_t& entry) { entry = (entry & kAddressMask) | entry_bits; });
}

void PageTable::set_top_level(unsigned index, platform::PhysAddr table_page) {
  table(m_root)[index] = table_page | kPresent | kWritable;
}

void PageTable::free_tables(platform::PhysAddr table_page, int level) {
  if (level > 0) {
    for (unsigned i = 0; i < kEntries; ++i) {
      uint64_t entry = table(table_page)[i];
      if (entry & kPresent) {
        free_tables(entry & kAddressMask, level - 1);
      }
    }
  }
  m_memory->free_page(table_page);
}

void PageTable::destroy_user_tables() {
  for (unsigned i = 0; i < kEntries / 2; ++i) {
    uint64_t& entry = table(m_root)[i];
    if (entry & kPresent) {
      free_tables(entry & kAddressMask, kLevels - 2);
      entry = 0;
    }
  }
}

}  // namespace moat::kvm
