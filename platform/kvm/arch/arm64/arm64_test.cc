// Host-side tests of the arm64 platform's pure parts: the page-table format
// and ESR decoding. They run on any build machine, no VM needed.

#include <gtest/gtest.h>

#include "platform/kvm/arch/arm64/esr.h"
#include "platform/kvm/arch/arm64/page_format.h"

namespace moat::kvm {
namespace {

using F = Arm64PageFormat;

constexpr uint64_t esr_of(ExceptionClass ec, uint32_t iss) {
  return (uint64_t{static_cast<uint32_t>(ec)} << 26) | (1u << 25) | iss;
}

TEST(Arm64Esr, SvcIsASyscall) {
  auto trap = decode_esr(esr_of(ExceptionClass::kSvc64, 0), 0);
  EXPECT_EQ(trap.kind, platform::Trap::Kind::kSyscall);
}

TEST(Arm64Esr, DataAborts) {
  // Translation fault, level 3, read.
  auto read = decode_esr(esr_of(ExceptionClass::kDataAbortLower, 0x07), 0x1234);
  EXPECT_EQ(read.kind, platform::Trap::Kind::kPageFault);
  EXPECT_EQ(read.address, 0x1234u);
  EXPECT_EQ(read.access, platform::Access::kRead);
  EXPECT_FALSE(read.protection);
  // Permission fault, level 3, write (WnR).
  auto write = decode_esr(esr_of(ExceptionClass::kDataAbortLower, (1u << 6) | 0x0f), 0x5000);
  EXPECT_EQ(write.kind, platform::Trap::Kind::kPageFault);
  EXPECT_EQ(write.access, platform::Access::kWrite);
  EXPECT_TRUE(write.protection);
  // Translation fault at level 0 (an address no table covers).
  auto level0 = decode_esr(esr_of(ExceptionClass::kDataAbortLower, 0x04), 0);
  EXPECT_EQ(level0.kind, platform::Trap::Kind::kPageFault);
  EXPECT_EQ(level0.address, 0u);
  // Access flag fault counts as present.
  auto af = decode_esr(esr_of(ExceptionClass::kDataAbortLower, 0x0b), 0x7000);
  EXPECT_TRUE(af.protection);
  // Cache maintenance with WnR set is a read.
  auto cm = decode_esr(esr_of(ExceptionClass::kDataAbortLower, (1u << 8) | (1u << 6) | 0x07), 1);
  EXPECT_EQ(cm.access, platform::Access::kRead);
}

TEST(Arm64Esr, InstructionAbortIsAnExecuteFault) {
  auto trap = decode_esr(esr_of(ExceptionClass::kInstructionAbortLower, 0x0f), 0x400000);
  EXPECT_EQ(trap.kind, platform::Trap::Kind::kPageFault);
  EXPECT_EQ(trap.access, platform::Access::kExecute);
  EXPECT_TRUE(trap.protection);
}

TEST(Arm64Esr, OtherAbortsAndClassesAreExceptions) {
  // Alignment fault (DFSC 0x21) is not a page fault: SIGBUS territory.
  auto align = decode_esr(esr_of(ExceptionClass::kDataAbortLower, 0x21), 0x1001);
  EXPECT_EQ(align.kind, platform::Trap::Kind::kException);
  EXPECT_EQ(align.vector, static_cast<uint32_t>(ExceptionClass::kDataAbortLower));
  EXPECT_EQ(align.address, 0x1001u);
  auto undefined = decode_esr(esr_of(ExceptionClass::kUnknown, 0), 0);
  EXPECT_EQ(undefined.kind, platform::Trap::Kind::kException);
  EXPECT_EQ(undefined.vector, 0u);
  auto brk = decode_esr(esr_of(ExceptionClass::kBrk64, 0x3e8), 0);
  EXPECT_EQ(brk.vector, static_cast<uint32_t>(ExceptionClass::kBrk64));
  EXPECT_EQ(brk.error_code & 0xffff, 0x3e8u);
}

TEST(Arm64PageFormat, UserPages) {
  uint64_t ro = F::user_entry_bits(platform::kProtRead);
  EXPECT_EQ(ro & 3, 3u);  // valid page descriptor
  EXPECT_TRUE(ro & F::kApEl0);
  EXPECT_TRUE(ro & F::kApReadOnly);
  EXPECT_TRUE(ro & F::kUserNoExec);
  EXPECT_TRUE(ro & F::kPrivilegedNoExec);
  EXPECT_TRUE(ro & F::kAccessFlag);
  EXPECT_TRUE(ro & F::kNotGlobal);
  EXPECT_EQ(F::prot_of(ro), platform::kProtRead);
  uint64_t rwx =
      F::user_entry_bits(platform::kProtRead | platform::kProtWrite | platform::kProtExec);
  EXPECT_FALSE(rwx & F::kApReadOnly);
  EXPECT_FALSE(rwx & F::kUserNoExec);
  EXPECT_TRUE(rwx & F::kPrivilegedNoExec);
  EXPECT_EQ(F::prot_of(rwx), platform::kProtRead | platform::kProtWrite | platform::kProtExec);
  uint64_t none = F::user_entry_bits(platform::kProtNone);
  EXPECT_FALSE(none & F::kValidBit);
  EXPECT_TRUE(none & F::kKeptPage);
  EXPECT_EQ(F::prot_of(none), platform::kProtNone);
}

TEST(Arm64PageFormat, KernelPagesAreInvisibleToEl0) {
  uint64_t code = F::kernel_entry_bits(false, true);
  EXPECT_FALSE(code & F::kApEl0);
  EXPECT_TRUE(code & F::kApReadOnly);
  EXPECT_TRUE(code & F::kUserNoExec);
  EXPECT_FALSE(code & F::kPrivilegedNoExec);
  EXPECT_FALSE(code & F::kNotGlobal);
  EXPECT_EQ(F::prot_of(code), platform::kProtNone);
  uint64_t data = F::kernel_entry_bits(true, false);
  EXPECT_FALSE(data & F::kApReadOnly);
  EXPECT_TRUE(data & F::kPrivilegedNoExec);
}

TEST(Arm64PageTable, WalkUsesTableDescriptorsAndLevelThreePages) {
  auto memory = platform::PhysicalMemory::create(1ull << 32, 32 * kPageSize);
  ASSERT_TRUE(memory.has_value());
  auto table = Arm64PageTable::create(**memory);
  ASSERT_TRUE(table.has_value());
  auto page = (*memory)->allocate_page();
  ASSERT_TRUE(page.has_value());
  const uint64_t va = (1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12);
  ASSERT_TRUE(table->map(va, *page, F::user_entry_bits(platform::kProtRead)));
  auto* l0 = reinterpret_cast<uint64_t*>((*memory)->host(table->root()));
  EXPECT_EQ(l0[1] & 3, 3u);  // table descriptor
  auto* l1 = reinterpret_cast<uint64_t*>((*memory)->host(l0[1] & F::kAddressMask));
  auto* l2 = reinterpret_cast<uint64_t*>((*memory)->host(l1[2] & F::kAddressMask));
  auto* l3 = reinterpret_cast<uint64_t*>((*memory)->host(l2[3] & F::kAddressMask));
  EXPECT_EQ(l3[4] & F::kAddressMask, *page);
  EXPECT_EQ(l3[4] & 3, 3u);  // page descriptor
  EXPECT_EQ(table->leaf(va).value(), l3[4]);
  int released = 0;
  table->unmap(va, kPageSize, [&](platform::PhysAddr) { ++released; });
  EXPECT_EQ(released, 1);
  EXPECT_FALSE(table->leaf(va).has_value());
}

}  // namespace
}  // namespace moat::kvm
