#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>

#include "base/result.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {

class Task;

// An open file description: what a file descriptor refers to. Shared by
// dup'd descriptors. Data moves through host iovecs that point straight into
// guest memory (MemoryManager::host_iovecs), so large transfers copy once.
class FileDescription {
 public:
  virtual ~FileDescription() = default;

  virtual Result<size_t> read(std::span<const iovec> dst) = 0;
  virtual Result<size_t> write(std::span<const iovec> src) = 0;
  virtual Result<FileStat> stat() = 0;
  // ENOTTY unless the file implements `request`.
  virtual Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg);
};

}  // namespace moat::sentry
