// brk, mmap, munmap, mprotect: anonymous memory and its errors. Page
// protections are checked through EFAULT from a syscall that writes or reads
// the page (getrandom, write), since moat has no signal handlers yet.

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "tests/util/syscall_test_util.h"

namespace {

const long kPage = sysconf(_SC_PAGESIZE);

void* map_anon(size_t length, int prot) {
  return reinterpret_cast<void*>(
      syscall(SYS_mmap, nullptr, length, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

TEST(Mmap, AnonymousIsZeroedAndWritable) {
  MOAT_COVERS("mmap", "munmap");
  size_t length = 4 * kPage;
  auto* p = static_cast<unsigned char*>(map_anon(length, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  for (size_t i = 0; i < length; i += kPage) {
    EXPECT_EQ(p[i], 0);
    p[i] = 0xab;
    EXPECT_EQ(p[i], 0xab);
  }
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, length));
}

TEST(Mmap, ZeroLengthIsEinval) {
  MOAT_COVERS("mmap");
  EXPECT_FAILS_WITH(syscall(SYS_mmap, nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                    EINVAL);
}

TEST(Mmap, NeitherPrivateNorSharedIsEinval) {
  MOAT_COVERS("mmap");
  EXPECT_FAILS_WITH(syscall(SYS_mmap, nullptr, kPage, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
}

TEST(Mmap, UnalignedFixedAddressIsEinval) {
  MOAT_COVERS("mmap");
  void* p = map_anon(2 * kPage, PROT_READ);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_FAILS_WITH(syscall(SYS_mmap, static_cast<char*>(p) + 1, kPage, PROT_READ,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                    EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, 2 * kPage));
}

TEST(Mmap, FixedReplacesMapping) {
  MOAT_COVERS("mmap", "munmap");
  auto* p = static_cast<unsigned char*>(map_anon(2 * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  p[kPage] = 7;
  void* q = reinterpret_cast<void*>(syscall(SYS_mmap, p + kPage, kPage, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  EXPECT_EQ(q, p + kPage);
  EXPECT_EQ(p[kPage], 0) << "MAP_FIXED must give fresh zeroed memory";
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, 2 * kPage));
}

TEST(Mmap, FixedNoreplaceOverExistingIsEexist) {
  MOAT_COVERS("mmap");
  void* p = map_anon(kPage, PROT_READ);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_FAILS_WITH(syscall(SYS_mmap, p, kPage, PROT_READ,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
                    EEXIST);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Mmap, HugeLengthIsEnomem) {
  MOAT_COVERS("mmap");
  // Larger than any user address space.
  EXPECT_FAILS_WITH(syscall(SYS_mmap, nullptr, 1UL << 60, PROT_READ,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                    ENOMEM);
}

TEST(Mmap, FileMappingOfBadFdIsEbadf) {
  MOAT_COVERS("mmap");
  EXPECT_FAILS_WITH(syscall(SYS_mmap, nullptr, kPage, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
}

TEST(Munmap, UnalignedOrZeroLengthIsEinval) {
  MOAT_COVERS("munmap");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_FAILS_WITH(syscall(SYS_munmap, p + 1, kPage), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_munmap, p, 0), EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Munmap, UnmappedRangeSucceedsAndMemoryIsGone) {
  MOAT_COVERS("munmap", "getrandom");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
  // Unmapping it again is not an error.
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
  EXPECT_FAILS_WITH(syscall(SYS_getrandom, p, 16, 0), EFAULT);
}

TEST(Mprotect, ReadOnlyAndNoneAreEnforced) {
  MOAT_COVERS("mprotect", "getrandom", "write");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(syscall(SYS_getrandom, p, 16, 0), 16);
  ASSERT_SUCCEEDS(syscall(SYS_mprotect, p, kPage, PROT_READ));
  // The kernel cannot write a read-only page on the program's behalf...
  EXPECT_FAILS_WITH(syscall(SYS_getrandom, p, 16, 0), EFAULT);
  // ...but it can read it: a zero-length write touches nothing either way.
  EXPECT_EQ(syscall(SYS_write, 2, p, 0), 0);
  ASSERT_SUCCEEDS(syscall(SYS_mprotect, p, kPage, PROT_NONE));
  EXPECT_FAILS_WITH(syscall(SYS_uname, p), EFAULT);
  ASSERT_SUCCEEDS(syscall(SYS_mprotect, p, kPage, PROT_READ | PROT_WRITE));
  EXPECT_EQ(syscall(SYS_getrandom, p, 16, 0), 16);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Mprotect, UnalignedIsEinval) {
  MOAT_COVERS("mprotect");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_FAILS_WITH(syscall(SYS_mprotect, p + 1, kPage, PROT_READ), EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Mprotect, UnmappedIsEnomem) {
  MOAT_COVERS("mprotect");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
  EXPECT_FAILS_WITH(syscall(SYS_mprotect, p, kPage, PROT_READ), ENOMEM);
}

TEST(Mprotect, UnknownProtIsEinval) {
  MOAT_COVERS("mprotect");
  auto* p = static_cast<char*>(map_anon(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_FAILS_WITH(syscall(SYS_mprotect, p, kPage, 0x1000), EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Brk, GrowWriteAndShrink) {
  MOAT_COVERS("brk");
  auto start = static_cast<uintptr_t>(syscall(SYS_brk, 0));
  ASSERT_NE(start, 0u);
  uintptr_t want = start + 2 * kPage;
  ASSERT_EQ(static_cast<uintptr_t>(syscall(SYS_brk, want)), want);
  auto* p = reinterpret_cast<volatile char*>(start);
  p[0] = 1;
  p[2 * kPage - 1] = 2;
  EXPECT_EQ(p[0], 1);
  EXPECT_EQ(static_cast<uintptr_t>(syscall(SYS_brk, start)), start);
  EXPECT_EQ(static_cast<uintptr_t>(syscall(SYS_brk, 0)), start);
}

TEST(Brk, ImpossibleRequestReturnsCurrentBreak) {
  MOAT_COVERS("brk");
  auto current = static_cast<uintptr_t>(syscall(SYS_brk, 0));
  // brk reports failure by returning the unchanged break, not -1.
  EXPECT_EQ(static_cast<uintptr_t>(syscall(SYS_brk, current + (1UL << 60))), current);
  EXPECT_EQ(static_cast<uintptr_t>(syscall(SYS_brk, 1)), current);
}

}  // namespace
