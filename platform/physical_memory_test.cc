#include "platform/physical_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

namespace moat::platform {
namespace {

TEST(PhysicalMemory, AllocatesDistinctZeroedPagesUntilExhausted) {
  auto memory = PhysicalMemory::create(1ull << 32, 8 * kPageSize);
  ASSERT_TRUE(memory.has_value());
  std::set<PhysAddr> seen;
  for (int i = 0; i < 8; ++i) {
    auto page = (*memory)->allocate_page();
    ASSERT_TRUE(page.has_value());
    EXPECT_TRUE((*memory)->contains(*page, kPageSize));
    EXPECT_TRUE(seen.insert(*page).second);
    EXPECT_EQ((*memory)->host(*page)[100], std::byte{0});
  }
  auto none = (*memory)->allocate_page();
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error(), Errno::kENOMEM);
  EXPECT_EQ((*memory)->allocated_pages(), 8u);
}

TEST(PhysicalMemory, FreedPagesComeBackZeroed) {
  auto memory = PhysicalMemory::create(1ull << 32, 8 * kPageSize);
  ASSERT_TRUE(memory.has_value());
  auto& mem = **memory;
  std::vector<PhysAddr> pages;
  for (int i = 0; i < 6; ++i) {
    pages.push_back(*mem.allocate_page());
    std::memset(mem.host(pages.back()), 0xab, kPageSize);
  }
  // One page alone, then a batch with a contiguous run and a stray page.
  mem.free_page(pages[5]);
  std::vector<PhysAddr> batch = {pages[3], pages[0], pages[1], pages[2]};
  mem.free_pages(batch);
  EXPECT_EQ(mem.allocated_pages(), 1u);
  for (int i = 0; i < 7; ++i) {
    auto page = mem.allocate_page();
    ASSERT_TRUE(page.has_value());
    for (size_t off = 0; off < kPageSize; off += 512) {
      ASSERT_EQ(mem.host(*page)[off], std::byte{0}) << "page " << *page << " offset " << off;
    }
  }
  EXPECT_FALSE(mem.allocate_page().has_value());
}

TEST(PhysicalMemory, AnnouncesMemoryInGrowingChunks) {
  const uint64_t size = 256ull << 20;
  auto memory = PhysicalMemory::create(1ull << 32, size);
  ASSERT_TRUE(memory.has_value());
  auto& mem = **memory;
  ASSERT_TRUE(mem.allocate_page().has_value());  // before the hook: announced when it is set
  std::vector<std::pair<PhysAddr, uint64_t>> chunks;
  bool refuse = false;
  ASSERT_TRUE(mem.set_grow_hook([&](PhysAddr start, uint64_t len) -> Result<void, Error> {
    if (refuse) {
      return make_error("no more slots");
    }
    chunks.emplace_back(start, len);
    return {};
  }));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0], std::make_pair(mem.base(), kPageSize));
  // Allocate 40 MiB: chunks are contiguous, the first 32 MiB, then doubling.
  for (uint64_t i = 1; i < (40ull << 20) / kPageSize; ++i) {
    ASSERT_TRUE(mem.allocate_page().has_value());
  }
  ASSERT_GE(chunks.size(), 3u);
  uint64_t covered = 0;
  for (const auto& [start, len] : chunks) {
    EXPECT_EQ(start, mem.base() + covered);
    covered += len;
  }
  EXPECT_GE(covered, 40ull << 20);
  EXPECT_LE(covered, size);
  // A hook that refuses turns into ENOMEM for the guest, not a crash.
  refuse = true;
  Result<PhysAddr> page = PhysAddr{0};
  while ((page = mem.allocate_page()).has_value()) {
  }
  EXPECT_EQ(page.error(), Errno::kENOMEM);
}

TEST(PhysicalMemory, RejectsBadGeometry) {
  EXPECT_FALSE(PhysicalMemory::create(1ull << 32, 0).has_value());
  EXPECT_FALSE(PhysicalMemory::create(123, kPageSize).has_value());
  EXPECT_FALSE(PhysicalMemory::create(1ull << 32, kPageSize + 1).has_value());
}

}  // namespace
}  // namespace moat::platform
