#include "platform/kvm/arch/amd64/page_format.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace moat::kvm {
namespace {

using F = Amd64PageFormat;
using PageTable = Amd64PageTable;

class PageTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = platform::PhysicalMemory::create(1ull << 32, 64 * kPageSize);
    ASSERT_TRUE(memory.has_value()) << memory.error().message;
    m_memory = std::move(*memory);
    auto table = PageTable::create(*m_memory);
    ASSERT_TRUE(table.has_value());
    m_table = std::make_unique<PageTable>(*table);
  }

  // The raw entry at `index` of the table at `pa`.
  uint64_t entry(platform::PhysAddr pa, unsigned index) {
    return reinterpret_cast<uint64_t*>(m_memory->host(pa))[index];
  }

  std::unique_ptr<platform::PhysicalMemory> m_memory;
  std::unique_ptr<PageTable> m_table;
};

TEST_F(PageTableTest, MapBuildsFourLevelsWithTheRightIndices) {
  // va = PML4[1] PDPT[2] PD[3] PT[4]
  const uint64_t va = (1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12);
  auto page = m_memory->allocate_page();
  ASSERT_TRUE(page.has_value());
  ASSERT_TRUE(m_table->map(va, *page, F::user_entry_bits(platform::kProtRead)).has_value());

  uint64_t pml4e = entry(m_table->root(), 1);
  ASSERT_TRUE(pml4e & F::kPresent);
  EXPECT_TRUE(pml4e & F::kUser);
  uint64_t pdpte = entry(pml4e & F::kAddressMask, 2);
  ASSERT_TRUE(pdpte & F::kPresent);
  uint64_t pde = entry(pdpte & F::kAddressMask, 3);
  ASSERT_TRUE(pde & F::kPresent);
  uint64_t pte = entry(pde & F::kAddressMask, 4);
  EXPECT_EQ(pte & F::kAddressMask, *page);
  EXPECT_TRUE(pte & F::kPresent);
  EXPECT_TRUE(pte & F::kUser);
  EXPECT_FALSE(pte & F::kWritable);
  EXPECT_TRUE(pte & F::kNoExecute);
  // Root + PDPT + PD + PT + the mapped page.
  EXPECT_EQ(m_memory->allocated_pages(), 5u);
}

TEST_F(PageTableTest, ProtectionBits) {
  using P = F;
  EXPECT_EQ(P::prot_of(P::user_entry_bits(platform::kProtRead)), platform::kProtRead);
  EXPECT_EQ(P::prot_of(P::user_entry_bits(platform::kProtRead | platform::kProtWrite)),
            platform::kProtRead | platform::kProtWrite);
  EXPECT_EQ(P::prot_of(P::user_entry_bits(platform::kProtRead | platform::kProtExec)),
            platform::kProtRead | platform::kProtExec);
  // x86 cannot express write-only or exec-only: they imply read, as on Linux.
  EXPECT_EQ(P::prot_of(P::user_entry_bits(platform::kProtWrite)),
            platform::kProtRead | platform::kProtWrite);
  uint64_t none = P::user_entry_bits(platform::kProtNone);
  EXPECT_FALSE(none & P::kPresent);
  EXPECT_TRUE(none & P::kKeptPage);
}

TEST_F(PageTableTest, ProtNoneKeepsThePage) {
  auto page = m_memory->allocate_page();
  ASSERT_TRUE(page.has_value());
  ASSERT_TRUE(m_table->map(0x400000, *page, F::user_entry_bits(platform::kProtRead)));
  m_table->protect(0x400000, kPageSize, F::user_entry_bits(platform::kProtNone),
                   [](platform::PhysAddr) {});
  auto leaf = m_table->leaf(0x400000);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(*leaf & F::kAddressMask, *page);
  EXPECT_FALSE(*leaf & F::kPresent);
  m_table->protect(0x400000, kPageSize, F::user_entry_bits(platform::kProtWrite),
                   [](platform::PhysAddr) {});
  EXPECT_TRUE(*m_table->leaf(0x400000) & F::kWritable);
}

TEST_F(PageTableTest, UnmapReleasesExactlyTheMappedPagesAndSkipsHoles) {
  std::set<platform::PhysAddr> mapped;
  // Two pages far apart (different top-level slots) and one in between range.
  const uint64_t addresses[] = {0x1000, 0x7fff'ffff'f000ull, 0x5555'0000'0000ull};
  for (uint64_t va : addresses) {
    auto page = m_memory->allocate_page();
    ASSERT_TRUE(page.has_value());
    ASSERT_TRUE(m_table->map(va, *page, F::user_entry_bits(platform::kProtRead)));
    mapped.insert(*page);
  }
  std::set<platform::PhysAddr> released;
  m_table->unmap(0, 0x8000'0000'0000ull, [&](platform::PhysAddr page) { released.insert(page); });
  EXPECT_EQ(released, mapped);
  for (uint64_t va : addresses) {
    EXPECT_FALSE(m_table->leaf(va).has_value());
  }
}

TEST_F(PageTableTest, UnmapOfPartialRangeLeavesNeighbours) {
  for (uint64_t va = 0x10000; va < 0x14000; va += kPageSize) {
    auto page = m_memory->allocate_page();
    ASSERT_TRUE(page.has_value());
    ASSERT_TRUE(m_table->map(va, *page, F::user_entry_bits(platform::kProtRead)));
  }
  int count = 0;
  m_table->unmap(0x11000, 2 * kPageSize, [&](platform::PhysAddr) { ++count; });
  EXPECT_EQ(count, 2);
  EXPECT_TRUE(m_table->leaf(0x10000).has_value());
  EXPECT_FALSE(m_table->leaf(0x11000).has_value());
  EXPECT_FALSE(m_table->leaf(0x12000).has_value());
  EXPECT_TRUE(m_table->leaf(0x13000).has_value());
}

TEST_F(PageTableTest, MapFailsCleanlyWhenMemoryRunsOut) {
  // Exhaust the pool; the next map needing tables reports ENOMEM.
  std::vector<platform::PhysAddr> pages;
  while (auto page = m_memory->allocate_page()) {
    pages.push_back(*page);
  }
  auto result = m_table->map(0x1000, pages.front(), F::user_entry_bits(platform::kProtRead));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), Errno::kENOMEM);
}

TEST_F(PageTableTest, DestroyFreesTablePages) {
  auto page = m_memory->allocate_page();
  ASSERT_TRUE(page.has_value());
  ASSERT_TRUE(m_table->map(0x1000, *page, F::user_entry_bits(platform::kProtRead)));
  uint64_t before = m_memory->allocated_pages();
  m_table->destroy_tables(0, 256);
  EXPECT_EQ(m_memory->allocated_pages(), before - 3);  // PDPT, PD, PT
}

}  // namespace
}  // namespace moat::kvm
