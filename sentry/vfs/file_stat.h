#pragma once

#include <cstdint>
#include <ctime>

namespace moat::sentry {

// A file's attributes, independent of any architecture's struct stat.
struct FileStat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  int64_t size = 0;
  int64_t blksize = 0;
  int64_t blocks = 0;
  timespec atime{};
  timespec mtime{};
  timespec ctime{};
};

}  // namespace moat::sentry
