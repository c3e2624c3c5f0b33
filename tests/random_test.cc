// getrandom: flags, errors and that it returns random bytes.

#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "tests/util/syscall_test_util.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

namespace {

TEST(Getrandom, FillsTheBuffer) {
  MOAT_COVERS("getrandom");
  unsigned char a[64] = {};
  unsigned char b[64] = {};
  ASSERT_EQ(syscall(SYS_getrandom, a, sizeof a, 0), static_cast<long>(sizeof a));
  ASSERT_EQ(syscall(SYS_getrandom, b, sizeof b, 0), static_cast<long>(sizeof b));
  EXPECT_NE(memcmp(a, b, sizeof a), 0);
  static const unsigned char kZero[64] = {};
  EXPECT_NE(memcmp(a, kZero, sizeof a), 0);
}

TEST(Getrandom, EveryValidFlag) {
  MOAT_COVERS("getrandom");
  unsigned char buf[16];
  for (unsigned flags :
       {0u, unsigned{GRND_NONBLOCK}, unsigned{GRND_RANDOM}, unsigned{GRND_NONBLOCK | GRND_RANDOM},
        unsigned{GRND_INSECURE}, unsigned{GRND_INSECURE | GRND_NONBLOCK}}) {
    EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof buf, flags), static_cast<long>(sizeof buf))
        << "flags " << flags;
  }
}

TEST(Getrandom, ZeroLengthReturnsZero) {
  MOAT_COVERS("getrandom");
  EXPECT_EQ(syscall(SYS_getrandom, nullptr, 0, 0), 0);
}

TEST(Getrandom, BadFlagsAreEinval) {
  MOAT_COVERS("getrandom");
  unsigned char buf[16];
  EXPECT_FAILS_WITH(syscall(SYS_getrandom, buf, sizeof buf, 0x8), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_getrandom, buf, sizeof buf, GRND_INSECURE | GRND_RANDOM), EINVAL);
}

TEST(Getrandom, BadPointerIsEfault) {
  MOAT_COVERS("getrandom");
  EXPECT_FAILS_WITH(syscall(SYS_getrandom, reinterpret_cast<void*>(8), 16, 0), EFAULT);
}

}  // namespace
