#pragma once

#include <memory>

#include "base/unique_fd.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

// A host file descriptor passed through to the guest: moat's own stdin,
// stdout and stderr. Reads and writes go to the host descriptor; terminal
// ioctls that only query or set the terminal's modes are forwarded.
class HostFile final : public FileDescription {
 public:
  explicit HostFile(UniqueFd fd) : m_fd(std::move(fd)) {}

  // Duplicates a host descriptor (close-on-exec on the host side).
  static Result<std::shared_ptr<HostFile>, Error> dup_of(int host_fd);

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<FileStat> stat() override;
  Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg) override;

 private:
  UniqueFd m_fd;
};

}  // namespace moat::sentry
