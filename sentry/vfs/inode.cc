#include "sentry/vfs/inode.h"

#include <dirent.h>

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/inode_file.h"

namespace moat::sentry {

Result<struct statfs> Inode::statfs() {
  struct statfs out {};
  out.f_type = 0x01021994;  // TMPFS_MAGIC
  out.f_bsize = 4096;
  out.f_frsize = 4096;
  out.f_namelen = 255;
  return out;
}

Result<std::shared_ptr<Inode>> Inode::lookup(const std::string&) {
  return Errno::kENOTDIR;
}

Result<std::vector<DirEntry>> Inode::read_dir() {
  return Errno::kENOTDIR;
}

Result<std::shared_ptr<Inode>> Inode::create(const std::string&, uint32_t, uint32_t, uint32_t) {
  return is_dir() ? Errno::kEROFS : Errno::kENOTDIR;
}

Result<std::shared_ptr<Inode>> Inode::symlink(const std::string&, const std::string&, uint32_t,
                                              uint32_t) {
  return is_dir() ? Errno::kEROFS : Errno::kENOTDIR;
}

Result<void> Inode::link(const std::string&, const std::shared_ptr<Inode>&) {
  return is_dir() ? Errno::kEROFS : Errno::kENOTDIR;
}

Result<void> Inode::unlink(const std::string&, bool) {
  return is_dir() ? Errno::kEROFS : Errno::kENOTDIR;
}

Result<void> Inode::rename(const std::string&, Inode&, const std::string&, uint32_t) {
  return is_dir() ? Errno::kEROFS : Errno::kENOTDIR;
}

Result<std::string> Inode::read_link() {
  return Errno::kEINVAL;
}

Result<std::shared_ptr<FileDescription>> Inode::open(const std::shared_ptr<Dentry>& dentry,
                                                     uint32_t flags) {
  if (is_dir()) {
    return std::shared_ptr<FileDescription>(std::make_shared<DirectoryFile>(flags, dentry));
  }
  if (is_regular()) {
    return std::shared_ptr<FileDescription>(std::make_shared<RegularFile>(flags, dentry));
  }
  // Devices, FIFOs and sockets without a file system of their own.
  return Errno::kENXIO;
}

Result<size_t> Inode::read_at(std::span<const iovec>, uint64_t) {
  return is_dir() ? Errno::kEISDIR : Errno::kEINVAL;
}

Result<size_t> Inode::write_at(std::span<const iovec>, uint64_t) {
  return is_dir() ? Errno::kEISDIR : Errno::kEINVAL;
}

Result<uint64_t> Inode::size() {
  const FileStat st = TRY(stat());
  return static_cast<uint64_t>(st.size);
}

Result<void> Inode::truncate(uint64_t) {
  return is_dir() ? Errno::kEISDIR : Errno::kEINVAL;
}

Result<void> Inode::set_mode(uint32_t) {
  return Errno::kEROFS;
}

Result<void> Inode::set_owner(uint32_t, uint32_t) {
  return Errno::kEROFS;
}

Result<void> Inode::set_times(const timespec*, const timespec*) {
  return Errno::kEROFS;
}

uint8_t dirent_type(uint32_t type) {
  switch (type & S_IFMT) {
    case S_IFREG:
      return DT_REG;
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFBLK:
      return DT_BLK;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    default:
      return DT_UNKNOWN;
  }
}

}  // namespace moat::sentry
