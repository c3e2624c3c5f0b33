// The calls a C library makes for its thread at start-up: set_tid_address,
// set_robust_list, rseq, arch_prctl (amd64), and sched_yield.

#include <linux/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "tests/util/syscall_test_util.h"

#if defined(__x86_64__)
#include <asm/prctl.h>
#endif

// glibc's registration of this thread's rseq area (glibc 2.35 and later).
extern "C" {
extern const ptrdiff_t __rseq_offset;
extern const unsigned int __rseq_size;
}

namespace {

constexpr uint32_t kRseqSignature =
#if defined(__x86_64__)
    0x53053053;
#else
    0xd428bc00;
#endif

TEST(SetTidAddress, ReturnsTid) {
  MOAT_COVERS("set_tid_address", "gettid");
  static int word;
  EXPECT_EQ(syscall(SYS_set_tid_address, &word), syscall(SYS_gettid));
}

struct RobustListHead {
  void* next;
  long futex_offset;
  void* pending;
};

TEST(SetRobustList, AcceptsItsOwnSizeOnly) {
  MOAT_COVERS("set_robust_list");
  static RobustListHead head = {&head, 0, nullptr};
  EXPECT_SUCCEEDS(syscall(SYS_set_robust_list, &head, sizeof head));
  EXPECT_FAILS_WITH(syscall(SYS_set_robust_list, &head, sizeof head + 1), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_set_robust_list, &head, 0), EINVAL);
}

// The thread pointer: where glibc's rseq area is found.
char* thread_pointer() {
  return static_cast<char*>(__builtin_thread_pointer());
}

TEST(Rseq, GlibcRegisteredAtStartup) {
  MOAT_COVERS("rseq");
  ASSERT_GE(__rseq_size, 20u) << "glibc did not register rseq";
  auto* area = reinterpret_cast<struct rseq*>(thread_pointer() + __rseq_offset);
  // Registered areas hold the current cpu.
  EXPECT_GE(static_cast<int32_t>(area->cpu_id_start), 0);
  EXPECT_GE(static_cast<int32_t>(area->cpu_id), 0);
}

TEST(Rseq, SecondRegistrationIsEbusy) {
  MOAT_COVERS("rseq");
  ASSERT_GE(__rseq_size, 20u);
  auto* area = reinterpret_cast<struct rseq*>(thread_pointer() + __rseq_offset);
  unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
  EXPECT_FAILS_WITH(syscall(SYS_rseq, area, len, 0, kRseqSignature), EBUSY);
}

TEST(Rseq, Errors) {
  MOAT_COVERS("rseq");
  ASSERT_GE(__rseq_size, 20u);
  auto* area = reinterpret_cast<struct rseq*>(thread_pointer() + __rseq_offset);
  unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
  // Another area while one is registered.
  alignas(32) static struct rseq other;
  EXPECT_FAILS_WITH(syscall(SYS_rseq, &other, sizeof other, 0, kRseqSignature), EINVAL);
  // Unknown flags.
  EXPECT_FAILS_WITH(syscall(SYS_rseq, area, len, 0x100, kRseqSignature), EINVAL);
  // Unregistering with the wrong signature.
  EXPECT_FAILS_WITH(syscall(SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, kRseqSignature + 1), EPERM);
}

TEST(SchedYield, Succeeds) {
  MOAT_COVERS("sched_yield");
  EXPECT_EQ(syscall(SYS_sched_yield), 0);
  EXPECT_EQ(syscall(SYS_sched_yield), 0);
}

#if defined(__x86_64__)
TEST(ArchPrctl, GetAndSetFs) {
  MOAT_COVERS("arch_prctl");
  unsigned long fs = 0;
  ASSERT_SUCCEEDS(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
  EXPECT_EQ(fs, reinterpret_cast<unsigned long>(thread_pointer()));
  // Setting it to the same value keeps the thread's TLS working.
  ASSERT_SUCCEEDS(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
  unsigned long again = 0;
  ASSERT_SUCCEEDS(syscall(SYS_arch_prctl, ARCH_GET_FS, &again));
  EXPECT_EQ(again, fs);
}

TEST(ArchPrctl, Errors) {
  MOAT_COVERS("arch_prctl");
  EXPECT_FAILS_WITH(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_arch_prctl, ARCH_GET_FS, reinterpret_cast<void*>(8)), EFAULT);
  // A non-canonical base.
  EXPECT_FAILS_WITH(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL), EPERM);
}
#endif

TEST(SchedGetaffinity, ReturnsAMaskWithTheCurrentCpu) {
  MOAT_COVERS("sched_getaffinity", "getcpu");
  uint64_t mask[16] = {};
  const long size = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
  ASSERT_GT(size, 0);
  EXPECT_EQ(size % 8, 0);
  unsigned cpu = ~0u;
  unsigned node = ~0u;
  ASSERT_SUCCEEDS(syscall(SYS_getcpu, &cpu, &node, nullptr));
  ASSERT_LT(cpu, static_cast<unsigned>(size) * 8);
  EXPECT_NE(mask[cpu / 64] & (uint64_t{1} << (cpu % 64)), 0u);
  EXPECT_NE(node, ~0u);
  // Its own tid names the caller too.
  uint64_t again[16] = {};
  EXPECT_EQ(syscall(SYS_sched_getaffinity, syscall(SYS_gettid), sizeof(again), again), size);
  EXPECT_SUCCEEDS(syscall(SYS_getcpu, nullptr, nullptr, nullptr));
}

TEST(SchedGetaffinity, Errors) {
  MOAT_COVERS("sched_getaffinity", "getcpu");
  uint64_t mask[16] = {};
  EXPECT_FAILS_WITH(syscall(SYS_sched_getaffinity, 0, 1, mask), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_sched_getaffinity, 0, sizeof(mask) - 1, mask), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_sched_getaffinity, 0x7fffffff, sizeof(mask), mask), ESRCH);
  EXPECT_FAILS_WITH(syscall(SYS_sched_getaffinity, -1, sizeof(mask), mask), ESRCH);
  EXPECT_FAILS_WITH(syscall(SYS_sched_getaffinity, 0, sizeof(mask), reinterpret_cast<void*>(8)),
                    EFAULT);
  EXPECT_FAILS_WITH(syscall(SYS_getcpu, reinterpret_cast<void*>(8), nullptr, nullptr), EFAULT);
}

}  // namespace
