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

TEST(Madvise, DontneedZeroesPrivateAnonymousPages) {
  MOAT_COVERS("madvise");
  auto* p = static_cast<char*>(map_anon(2 * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'a';
  p[kPage + 7] = 'b';
  ASSERT_SUCCEEDS(syscall(SYS_madvise, p, 2 * kPage, MADV_DONTNEED));
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[kPage + 7], 0);
  p[0] = 'c';  // still mapped and writable
  EXPECT_EQ(p[0], 'c');
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, 2 * kPage));
}

TEST(Madvise, HintsAndErrors) {
  MOAT_COVERS("madvise");
  auto* p = static_cast<char*>(map_anon(4 * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'x';
  for (int advice : {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTDUMP,
                     MADV_DODUMP, MADV_DONTFORK, MADV_DOFORK}) {
    EXPECT_SUCCEEDS(syscall(SYS_madvise, p, 4 * kPage, advice)) << "advice " << advice;
  }
  EXPECT_EQ(p[0], 'x');  // hints keep the contents
  // A length that is not a page multiple covers the partial page.
  EXPECT_SUCCEEDS(syscall(SYS_madvise, p, 100, MADV_NORMAL));
  EXPECT_SUCCEEDS(syscall(SYS_madvise, p, 0, MADV_NORMAL));
  EXPECT_FAILS_WITH(syscall(SYS_madvise, p + 1, kPage, MADV_NORMAL), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_madvise, p, kPage, 9999), EINVAL);
  // Private anonymous memory has no backing to punch a hole in.
  EXPECT_FAILS_WITH(syscall(SYS_madvise, p, kPage, MADV_REMOVE), EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p + 2 * kPage, kPage));
  // A hole in the range: ENOMEM (after advising what is mapped).
  EXPECT_FAILS_WITH(syscall(SYS_madvise, p, 4 * kPage, MADV_NORMAL), ENOMEM);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, 4 * kPage));
}

TEST(Mincore, ReportsTouchedAndDroppedPages) {
  MOAT_COVERS("mincore", "madvise");
  constexpr size_t kPages = 64;
  auto* p = static_cast<char*>(map_anon(kPages * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 1;
  unsigned char vec[kPages] = {};
  ASSERT_SUCCEEDS(syscall(SYS_mincore, p, kPages * kPage, vec));
  EXPECT_EQ(vec[0] & 1, 1);
  EXPECT_EQ(vec[kPages - 1] & 1, 0);  // never touched
  ASSERT_SUCCEEDS(syscall(SYS_madvise, p, kPage, MADV_DONTNEED));
  ASSERT_SUCCEEDS(syscall(SYS_mincore, p, kPage, vec));
  EXPECT_EQ(vec[0] & 1, 0);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPages * kPage));
}

TEST(Mincore, Errors) {
  MOAT_COVERS("mincore");
  auto* p = static_cast<char*>(map_anon(2 * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  unsigned char vec[2] = {};
  EXPECT_FAILS_WITH(syscall(SYS_mincore, p + 1, kPage, vec), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_mincore, p, kPage, reinterpret_cast<void*>(8)), EFAULT);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p + kPage, kPage));
  EXPECT_FAILS_WITH(syscall(SYS_mincore, p, 2 * kPage, vec), ENOMEM);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

TEST(Msync, FlagsAndRanges) {
  MOAT_COVERS("msync");
  auto* p = static_cast<char*>(map_anon(2 * kPage, PROT_READ | PROT_WRITE));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_SUCCEEDS(syscall(SYS_msync, p, 2 * kPage, MS_SYNC));
  EXPECT_SUCCEEDS(syscall(SYS_msync, p, 100, MS_ASYNC | MS_INVALIDATE));
  EXPECT_SUCCEEDS(syscall(SYS_msync, p, 0, MS_SYNC));
  EXPECT_FAILS_WITH(syscall(SYS_msync, p, kPage, MS_SYNC | MS_ASYNC), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_msync, p, kPage, 0x100), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_msync, p + 1, kPage, MS_SYNC), EINVAL);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p + kPage, kPage));
  EXPECT_FAILS_WITH(syscall(SYS_msync, p, 2 * kPage, MS_SYNC), ENOMEM);
  EXPECT_SUCCEEDS(syscall(SYS_munmap, p, kPage));
}

}  // namespace
