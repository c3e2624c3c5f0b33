#include "sentry/mm/memory_manager.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <map>

namespace moat::sentry {
namespace {

// An address space kept in a map, so the memory manager can be tested
// without a hypervisor.
class FakeAddressSpace final : public platform::AddressSpace {
 public:
  Result<void> map(uint64_t va, platform::PhysAddr page, uint32_t prot) override {
    m_pages[va] = platform::Translation{page, prot};
    return {};
  }
  void unmap(uint64_t va, uint64_t len,
             const std::function<void(platform::PhysAddr)>& release) override {
    auto it = m_pages.lower_bound(va);
    while (it != m_pages.end() && it->first < va + len) {
      release(it->second.page);
      it = m_pages.erase(it);
    }
  }
  void protect(uint64_t va, uint64_t len, uint32_t prot) override {
    for (auto it = m_pages.lower_bound(va); it != m_pages.end() && it->first < va + len; ++it) {
      it->second.prot = prot;
    }
  }
  std::optional<platform::Translation> translate(uint64_t va) const override {
    auto it = m_pages.find(page_round_down(va));
    if (it == m_pages.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  void visit(uint64_t va, uint64_t len,
             const std::function<void(uint64_t, const platform::Translation&)>& fn) const override {
    for (auto it = m_pages.lower_bound(va); it != m_pages.end() && it->first < va + len; ++it) {
      fn(it->first, it->second);
    }
  }

 private:
  std::map<uint64_t, platform::Translation> m_pages;
};

constexpr uint64_t kMmapBase = 0x7f00'0000'0000ull;
constexpr uint64_t kRw = PROT_READ | PROT_WRITE;

class MemoryManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = platform::PhysicalMemory::create(1ull << 32, 4096 * kPageSize);
    ASSERT_TRUE(memory.has_value());
    m_memory = std::move(*memory);
    MemoryLayout layout;
    layout.mmap_base = kMmapBase;
    layout.stack_top = 0x7ffd'0000'0000ull;
    layout.stack_limit = 64 * kPageSize;
    auto as = std::make_unique<FakeAddressSpace>();
    m_as = as.get();
    m_mm = std::make_unique<MemoryManager>(*m_memory, std::move(as), layout);
  }

  uint64_t map(uint64_t addr, uint64_t len, uint32_t prot, bool fixed = false) {
    auto r = m_mm->map(
        MapRequest{.addr = addr, .length = len, .prot = prot, .fixed = fixed, .name = {}});
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? *r : 0;
  }

  static void put(MemoryManager& mm, uint64_t addr, char c) {
    ASSERT_TRUE(mm.copy_out(addr, std::as_bytes(std::span(&c, 1))).has_value());
  }
  static char get(MemoryManager& mm, uint64_t addr) {
    char c = 0;
    EXPECT_TRUE(mm.copy_in(addr, std::as_writable_bytes(std::span(&c, 1))).has_value());
    return c;
  }
  std::shared_ptr<MemoryManager> fork() {
    auto child = m_mm->fork(std::make_unique<FakeAddressSpace>());
    EXPECT_TRUE(child.has_value());
    return child.has_value() ? *child : nullptr;
  }

  std::unique_ptr<platform::PhysicalMemory> m_memory;
  FakeAddressSpace* m_as = nullptr;
  std::unique_ptr<MemoryManager> m_mm;
};

TEST_F(MemoryManagerTest, AnonymousMappingsGoTopDownBelowTheBase) {
  uint64_t a = map(0, 3 * kPageSize, kRw);
  EXPECT_EQ(a, kMmapBase - 3 * kPageSize);
  uint64_t b = map(0, 5000, PROT_READ);  // rounded up to two pages
  EXPECT_EQ(b, a - 2 * kPageSize);
  auto vmas = m_mm->vmas();
  ASSERT_EQ(vmas.size(), 2u);
  EXPECT_EQ(vmas[0].start, b);
  EXPECT_EQ(vmas[0].end, a);
  EXPECT_EQ(vmas[1].prot, kRw);
}

TEST_F(MemoryManagerTest, AdjacentCompatibleMappingsMerge) {
  uint64_t a = map(0, kPageSize, kRw);
  uint64_t b = map(0, kPageSize, kRw);
  EXPECT_EQ(b + kPageSize, a);
  ASSERT_EQ(m_mm->vmas().size(), 1u);
}

TEST_F(MemoryManagerTest, HintIsUsedWhenFree) {
  EXPECT_EQ(map(0x200000, kPageSize, kRw), 0x200000u);
  // Taken now: the hint is ignored, not an error.
  EXPECT_NE(map(0x200000, kPageSize, kRw), 0x200000u);
}

TEST_F(MemoryManagerTest, FixedReplacesAndNoreplaceRefuses) {
  uint64_t a = map(0x300000, 4 * kPageSize, kRw, true);
  ASSERT_EQ(a, 0x300000u);
  ASSERT_TRUE(m_mm->copy_out(a + kPageSize, std::as_bytes(std::span("x", 1))).has_value());
  auto again = m_mm->map(MapRequest{.addr = a + kPageSize,
                                    .length = kPageSize,
                                    .prot = PROT_READ,
                                    .noreplace = true,
                                    .name = {}});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), Errno::kEEXIST);
  // MAP_FIXED over it: the old page is gone and the new one reads zero.
  EXPECT_EQ(map(a + kPageSize, kPageSize, kRw, true), a + kPageSize);
  char c = 'y';
  ASSERT_TRUE(m_mm->copy_in(a + kPageSize, std::as_writable_bytes(std::span(&c, 1))).has_value());
  EXPECT_EQ(c, 0);
  EXPECT_EQ(m_mm->vmas().size(), 1u);  // same attributes: merged back
}

TEST_F(MemoryManagerTest, BadRequestsGetLinuxErrors) {
  auto zero = m_mm->map(MapRequest{.length = 0, .prot = kRw, .name = {}});
  EXPECT_EQ(zero.error(), Errno::kEINVAL);
  auto huge = m_mm->map(MapRequest{.length = ~uint64_t{0}, .prot = kRw, .name = {}});
  EXPECT_EQ(huge.error(), Errno::kENOMEM);
  auto unaligned = m_mm->map(
      MapRequest{.addr = 0x300001, .length = kPageSize, .prot = kRw, .fixed = true, .name = {}});
  EXPECT_EQ(unaligned.error(), Errno::kEINVAL);
  auto beyond = m_mm->map(MapRequest{.addr = MemoryManager::kTaskSize,
                                     .length = kPageSize,
                                     .prot = kRw,
                                     .fixed = true,
                                     .name = {}});
  EXPECT_EQ(beyond.error(), Errno::kENOMEM);
  EXPECT_EQ(m_mm->unmap(0x300001, kPageSize).error(), Errno::kEINVAL);
  EXPECT_EQ(m_mm->unmap(0x300000, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(m_mm->protect(0x300000, kPageSize, PROT_READ).error(), Errno::kENOMEM);
  EXPECT_EQ(m_mm->protect(0x300000, kPageSize, 0x100).error(), Errno::kEINVAL);
}

TEST_F(MemoryManagerTest, UnmapSplitsAndFreesPages) {
  uint64_t a = map(0x400000, 4 * kPageSize, kRw, true);
  std::vector<std::byte> ones(4 * kPageSize, std::byte{1});
  ASSERT_TRUE(m_mm->copy_out(a, ones).has_value());
  uint64_t before = m_memory->allocated_pages();
  ASSERT_TRUE(m_mm->unmap(a + kPageSize, 2 * kPageSize).has_value());
  EXPECT_EQ(m_memory->allocated_pages(), before - 2);
  auto vmas = m_mm->vmas();
  ASSERT_EQ(vmas.size(), 2u);
  EXPECT_EQ(vmas[0].end, a + kPageSize);
  EXPECT_EQ(vmas[1].start, a + 3 * kPageSize);
  std::byte b{};
  EXPECT_EQ(m_mm->copy_in(a + kPageSize, std::span(&b, 1)).error(), Errno::kEFAULT);
  ASSERT_TRUE(m_mm->copy_in(a + 3 * kPageSize, std::span(&b, 1)).has_value());
  EXPECT_EQ(b, std::byte{1});
}

TEST_F(MemoryManagerTest, ProtectSplitsMergesAndGovernsFaults) {
  uint64_t a = map(0x500000, 3 * kPageSize, kRw, true);
  ASSERT_TRUE(m_mm->protect(a + kPageSize, kPageSize, PROT_READ).has_value());
  EXPECT_EQ(m_mm->vmas().size(), 3u);
  bool mapped = false;
  auto write = m_mm->handle_fault(a + kPageSize + 8, platform::Access::kWrite, &mapped);
  EXPECT_EQ(write.error(), Errno::kEFAULT);
  EXPECT_TRUE(mapped);  // SEGV_ACCERR
  EXPECT_TRUE(m_mm->handle_fault(a + kPageSize, platform::Access::kRead).has_value());
  auto exec = m_mm->handle_fault(a, platform::Access::kExecute, &mapped);
  EXPECT_EQ(exec.error(), Errno::kEFAULT);
  ASSERT_TRUE(m_mm->protect(a + kPageSize, kPageSize, kRw).has_value());
  EXPECT_EQ(m_mm->vmas().size(), 1u);
  EXPECT_TRUE(m_mm->handle_fault(a + kPageSize, platform::Access::kWrite).has_value());
  auto unmapped = m_mm->handle_fault(0x10000, platform::Access::kRead, &mapped);
  EXPECT_EQ(unmapped.error(), Errno::kEFAULT);
  EXPECT_FALSE(mapped);  // SEGV_MAPERR
}

TEST_F(MemoryManagerTest, ProtNoneKeepsContents) {
  uint64_t a = map(0x600000, kPageSize, kRw, true);
  ASSERT_TRUE(m_mm->copy_out(a, std::as_bytes(std::span("data", 4))).has_value());
  ASSERT_TRUE(m_mm->protect(a, kPageSize, PROT_NONE).has_value());
  char buf[4];
  EXPECT_EQ(m_mm->copy_in(a, std::as_writable_bytes(std::span(buf))).error(), Errno::kEFAULT);
  ASSERT_TRUE(m_mm->protect(a, kPageSize, PROT_READ).has_value());
  ASSERT_TRUE(m_mm->copy_in(a, std::as_writable_bytes(std::span(buf))).has_value());
  EXPECT_EQ(std::memcmp(buf, "data", 4), 0);
}

TEST_F(MemoryManagerTest, FaultAroundStaysInsideTheVma) {
  uint64_t a = map(0x700000, 4 * kPageSize, kRw, true);
  ASSERT_TRUE(m_mm->handle_fault(a, platform::Access::kWrite).has_value());
  EXPECT_EQ(m_mm->resident_pages(), 4u);
  uint64_t b = map(0x800000, 64 * kPageSize, kRw, true);
  ASSERT_TRUE(m_mm->handle_fault(b, platform::Access::kRead).has_value());
  EXPECT_EQ(m_mm->resident_pages(), 4u + MemoryManager::kFaultAround);
}

TEST_F(MemoryManagerTest, CopiesCrossPagesAndRespectProtection) {
  uint64_t a = map(0x900000, 2 * kPageSize, kRw, true);
  std::string text(6000, 'q');
  ASSERT_TRUE(m_mm->copy_out(a + 100, std::as_bytes(std::span(text))).has_value());
  std::string back(6000, '\0');
  ASSERT_TRUE(m_mm->copy_in(a + 100, std::as_writable_bytes(std::span(back))).has_value());
  EXPECT_EQ(back, text);
  // Running off the end of the mapping fails as a whole.
  EXPECT_EQ(m_mm->copy_out(a + kPageSize, std::as_bytes(std::span(text))).error(), Errno::kEFAULT);
  ASSERT_TRUE(m_mm->protect(a, 2 * kPageSize, PROT_READ).has_value());
  EXPECT_EQ(m_mm->copy_out(a, std::as_bytes(std::span("z", 1))).error(), Errno::kEFAULT);
  // Addresses that wrap or leave the user half.
  char c;
  EXPECT_EQ(m_mm->copy_in(~uint64_t{0} - 1, std::as_writable_bytes(std::span(&c, 1))).error(),
            Errno::kEFAULT);
  EXPECT_EQ(
      m_mm->copy_in(0xffff'8000'0000'0000ull, std::as_writable_bytes(std::span(&c, 1))).error(),
      Errno::kEFAULT);
}

TEST_F(MemoryManagerTest, Strings) {
  uint64_t a = map(0xa00000, 2 * kPageSize, kRw, true);
  // A string that crosses a page boundary.
  std::string s(100, 'a');
  ASSERT_TRUE(m_mm->copy_out(a + kPageSize - 50, std::as_bytes(std::span(s.c_str(), 101))));
  EXPECT_EQ(*m_mm->copy_in_string(a + kPageSize - 50, 4096), s);
  EXPECT_EQ(m_mm->copy_in_string(a + kPageSize - 50, 99).error(), Errno::kENAMETOOLONG);
  // No terminator before the end of the mapping.
  std::string fill(kPageSize, 'b');
  ASSERT_TRUE(m_mm->copy_out(a + kPageSize, std::as_bytes(std::span(fill))));
  EXPECT_EQ(m_mm->copy_in_string(a + kPageSize, 1 << 20).error(), Errno::kEFAULT);
  EXPECT_EQ(m_mm->copy_in_string(0, 10).error(), Errno::kEFAULT);
}

TEST_F(MemoryManagerTest, BrkGrowsShrinksAndRefusesOverlap) {
  m_mm->set_brk_base(0x1000000);
  EXPECT_EQ(m_mm->brk(0), 0x1000000u);
  EXPECT_EQ(m_mm->brk(0x1000000 + 3 * kPageSize + 1), 0x1000000u + 3 * kPageSize + 1);
  ASSERT_TRUE(m_mm->handle_fault(0x1000000 + 3 * kPageSize, platform::Access::kWrite));
  auto vmas = m_mm->vmas();
  ASSERT_EQ(vmas.size(), 1u);
  EXPECT_EQ(vmas[0].name, "[heap]");
  EXPECT_EQ(vmas[0].end, 0x1000000u + 4 * kPageSize);
  // Shrinking unmaps.
  EXPECT_EQ(m_mm->brk(0x1000000 + kPageSize), 0x1000000u + kPageSize);
  EXPECT_EQ(m_mm->handle_fault(0x1000000 + 2 * kPageSize, platform::Access::kRead).error(),
            Errno::kEFAULT);
  // Growing into another mapping is refused: the break stays.
  map(0x1000000 + 8 * kPageSize, kPageSize, kRw, true);
  EXPECT_EQ(m_mm->brk(0x1000000 + 10 * kPageSize), 0x1000000u + kPageSize);
  // Below the base: unchanged.
  EXPECT_EQ(m_mm->brk(0x10000), 0x1000000u + kPageSize);
}

TEST_F(MemoryManagerTest, StackGrowsDownWithinItsLimit) {
  const uint64_t top = 0x7ffd'0000'0000ull;
  auto r = m_mm->map(MapRequest{.addr = top - 4 * kPageSize,
                                .length = 4 * kPageSize,
                                .prot = kRw,
                                .fixed = true,
                                .grows_down = true,
                                .name = "[stack]"});
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(m_mm->handle_fault(top - 10 * kPageSize, platform::Access::kWrite).has_value());
  EXPECT_EQ(m_mm->vmas().front().start, top - 10 * kPageSize);
  // Beyond RLIMIT_STACK (64 pages here): a plain fault.
  EXPECT_EQ(m_mm->handle_fault(top - 65 * kPageSize, platform::Access::kWrite).error(),
            Errno::kEFAULT);
}

TEST_F(MemoryManagerTest, HostIovecsMergeAdjacentHostPages) {
  uint64_t a = map(0xb00000, 3 * kPageSize, kRw, true);
  auto iov = m_mm->host_iovecs(a + 10, 3 * kPageSize - 20, platform::Access::kWrite);
  ASSERT_TRUE(iov.has_value());
  size_t total = 0;
  for (const auto& v : *iov) {
    total += v.iov_len;
  }
  EXPECT_EQ(total, 3 * kPageSize - 20);
  EXPECT_EQ(m_mm->host_iovecs(a, 4 * kPageSize, platform::Access::kRead).error(), Errno::kEFAULT);
}

}  // namespace
}  // namespace moat::sentry

namespace moat::sentry {
namespace {

TEST_F(MemoryManagerTest, ForkSharesPrivatePagesUntilOneSideWrites) {
  const uint64_t a = map(0, 2 * kPageSize, kRw);
  put(*m_mm, a, 'p');
  put(*m_mm, a + kPageSize, 'q');
  const uint64_t before = m_memory->allocated_pages();
  auto child = fork();
  ASSERT_NE(child, nullptr);
  // No page is copied by the fork itself, and both sides see the contents.
  EXPECT_EQ(m_memory->allocated_pages(), before);
  EXPECT_EQ(get(*child, a), 'p');
  EXPECT_EQ(m_as->translate(a)->prot, PROT_READ);
  const uint64_t shared = m_memory->allocated_pages();

  put(*child, a, 'c');  // the child gets its own copy of one page
  EXPECT_EQ(m_memory->allocated_pages(), shared + 1);
  EXPECT_EQ(get(*m_mm, a), 'p');
  EXPECT_EQ(get(*child, a), 'c');
  put(*m_mm, a + kPageSize, 'P');  // and the parent its own of the other
  EXPECT_EQ(get(*child, a + kPageSize), 'q');
  EXPECT_EQ(m_memory->allocated_pages(), shared + 2);
  // The parent is now the last holder of page a: it takes it back as it is.
  put(*m_mm, a, 'x');
  EXPECT_EQ(m_memory->allocated_pages(), shared + 2);
  EXPECT_EQ(get(*child, a), 'c');

  // Untouched in either, a page is populated separately in each.
  const uint64_t b = map(0, kPageSize, kRw);
  child.reset();
  put(*m_mm, b, 'b');
  EXPECT_EQ(get(*m_mm, a), 'x');
}

TEST_F(MemoryManagerTest, ForkedMemoryIsFreedWithItsLastHolder) {
  const uint64_t before = m_memory->allocated_pages();
  const uint64_t a = map(0, 8 * kPageSize, kRw);
  for (uint64_t i = 0; i < 8; ++i) {
    put(*m_mm, a + i * kPageSize, 'a');
  }
  auto child = fork();
  ASSERT_NE(child, nullptr);
  put(*child, a, 'c');
  ASSERT_TRUE(m_mm->unmap(a, 8 * kPageSize).has_value());
  EXPECT_EQ(get(*child, a + 7 * kPageSize), 'a');  // the unmap left the child's view alone
  child.reset();
  EXPECT_EQ(m_memory->allocated_pages(), before);
}

TEST_F(MemoryManagerTest, SharedAnonymousMemoryStaysSharedAcrossFork) {
  auto r = m_mm->map(MapRequest{.length = 3 * kPageSize, .prot = kRw, .shared = true, .name = {}});
  ASSERT_TRUE(r.has_value());
  const uint64_t a = *r;
  put(*m_mm, a, '1');
  auto child = fork();
  ASSERT_NE(child, nullptr);
  put(*child, a, '2');
  EXPECT_EQ(get(*m_mm, a), '2');
  // A page neither had touched before the fork is the same page in both.
  put(*child, a + 2 * kPageSize, '3');
  EXPECT_EQ(get(*m_mm, a + 2 * kPageSize), '3');
  // Split by mprotect, the upper part still maps the right pages.
  ASSERT_TRUE(m_mm->protect(a + kPageSize, kPageSize, PROT_READ).has_value());
  put(*m_mm, a + 2 * kPageSize, '4');
  EXPECT_EQ(get(*child, a + 2 * kPageSize), '4');
}

TEST_F(MemoryManagerTest, MprotectAfterForkKeepsSharedPagesCopyOnWrite) {
  const uint64_t a = map(0, kPageSize, kRw);
  put(*m_mm, a, 'p');
  auto child = fork();
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->protect(a, kPageSize, PROT_READ).has_value());
  ASSERT_TRUE(child->protect(a, kPageSize, kRw).has_value());
  EXPECT_EQ(child->address_space().translate(a)->prot, PROT_READ);
  put(*child, a, 'c');
  EXPECT_EQ(get(*m_mm, a), 'p');
  // A read-only mapping stays read-only: no copy makes it writable.
  const uint64_t ro = map(0, kPageSize, PROT_READ);
  EXPECT_EQ(get(*m_mm, ro), 0);
  auto again = fork();
  ASSERT_NE(again, nullptr);
  char c = 'w';
  EXPECT_EQ(again->copy_out(ro, std::as_bytes(std::span(&c, 1))).error(), Errno::kEFAULT);
}

}  // namespace
}  // namespace moat::sentry
