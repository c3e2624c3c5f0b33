#pragma once

#include <sys/stat.h>

#include <memory>

#include "base/unique_fd.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

// A host file descriptor passed through to the guest: moat's own stdin,
// stdout and stderr. Reads and writes go to the host descriptor; terminal
// ioctls that only query or set the terminal's modes are forwarded.
class HostFile final : public FileDescription {
 public:
  // `flags`: the access mode and status flags the host descriptor has.
  HostFile(UniqueFd fd, uint32_t flags) : FileDescription(flags), m_fd(std::move(fd)) {}

  // Duplicates a host descriptor (close-on-exec on the host side).
  static Result<std::shared_ptr<HostFile>, Error> dup_of(int host_fd);

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<size_t> pread(std::span<const iovec> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const iovec> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  Result<FileStat> stat() override;
  Result<void> sync() override;
  std::string link_name() const override;
  Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg) override;

 private:
  UniqueFd m_fd;
};

// A host struct stat as the sentry's FileStat.
FileStat file_stat_of(const struct stat& st);

}  // namespace moat::sentry
