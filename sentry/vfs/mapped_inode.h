#pragma once

#include <sys/uio.h>

#include <memory>

#include "sentry/mm/vma.h"
#include "sentry/vfs/inode.h"

namespace moat::sentry {

// A regular file's inode as the memory manager reads a file mapping.
class MappedInode final : public MappedFile {
 public:
  MappedInode(std::shared_ptr<Inode> inode, uint64_t dev, uint64_t ino)
      : m_inode(std::move(inode)), m_dev(dev), m_ino(ino) {}

  static Result<std::shared_ptr<MappedInode>> of(std::shared_ptr<Inode> inode) {
    const FileStat st = TRY(inode->stat());
    return std::make_shared<MappedInode>(std::move(inode), st.dev, st.ino);
  }

  Result<size_t> read(std::span<std::byte> dst, uint64_t offset) override {
    size_t done = 0;
    while (done < dst.size()) {
      iovec v{dst.data() + done, dst.size() - done};
      const size_t n = TRY(m_inode->read_at(std::span(&v, 1), offset + done));
      if (n == 0) {
        break;
      }
      done += n;
    }
    return done;
  }
  uint64_t dev() const override { return m_dev; }
  uint64_t ino() const override { return m_ino; }

 private:
  std::shared_ptr<Inode> m_inode;
  uint64_t m_dev;
  uint64_t m_ino;
};

}  // namespace moat::sentry
