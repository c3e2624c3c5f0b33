#include "sentry/fs/dev/dev_fs.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

enum class Device { kNull, kZero, kFull, kRandom, kTty };

// The open device: reads and writes as Linux's mem and random drivers do.
class DeviceFile final : public FileDescription {
 public:
  DeviceFile(uint32_t flags, std::shared_ptr<Dentry> dentry, Device device)
      : FileDescription(flags, std::move(dentry)), m_device(device) {}

  Result<size_t> read(std::span<const iovec> dst) override {
    size_t total = 0;
    for (const iovec& v : dst) {
      switch (m_device) {
        case Device::kNull:
          return 0;
        case Device::kZero:
        case Device::kFull:
          std::memset(v.iov_base, 0, v.iov_len);
          break;
        case Device::kRandom:
          TRY(fill_random(v));
          break;
        case Device::kTty:
          return Errno::kEIO;
      }
      total += v.iov_len;
    }
    return total;
  }
  Result<size_t> write(std::span<const iovec> src) override {
    if (m_device == Device::kFull) {
      return Errno::kENOSPC;
    }
    size_t total = 0;
    for (const iovec& v : src) {
      total += v.iov_len;
    }
    return total;
  }
  Result<size_t> pread(std::span<const iovec> dst, uint64_t) override { return read(dst); }
  Result<size_t> pwrite(std::span<const iovec> src, uint64_t) override { return write(src); }
  // The memory devices ignore seeks and stay at 0.
  Result<uint64_t> seek(int64_t, int) override { return 0; }

 private:
  static Result<void> fill_random(const iovec& v) {
    auto* p = static_cast<std::byte*>(v.iov_base);
    size_t done = 0;
    while (done < v.iov_len) {
      const ssize_t n = getrandom(p + done, v.iov_len - done, 0);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return Errno::kEIO;
      }
      done += static_cast<size_t>(n);
    }
    return {};
  }

  Device m_device;
};

// A character device node of /dev.
class DeviceInode final : public Inode {
 public:
  DeviceInode(uint64_t dev, uint64_t ino, uint32_t major, uint32_t minor, uint32_t mode,
              Device device)
      : Inode(S_IFCHR),
        m_dev(dev),
        m_ino(ino),
        m_rdev(makedev(major, minor)),
        m_mode(mode),
        m_device(device) {
    clock_gettime(CLOCK_REALTIME, &m_time);
  }

  Result<FileStat> stat() override {
    FileStat st;
    st.dev = m_dev;
    st.ino = m_ino;
    st.mode = S_IFCHR | m_mode;
    st.nlink = 1;
    st.rdev = m_rdev;
    st.blksize = 4096;
    st.atime = st.mtime = st.ctime = m_time;
    return st;
  }
  Result<std::shared_ptr<FileDescription>> open(const std::shared_ptr<Dentry>& dentry,
                                                uint32_t flags) override {
    if (m_device == Device::kTty) {
      return Errno::kENXIO;  // the sandbox has no controlling terminal
    }
    return std::shared_ptr<FileDescription>(std::make_shared<DeviceFile>(flags, dentry, m_device));
  }
  Result<void> set_mode(uint32_t) override { return Errno::kEPERM; }

 private:
  uint64_t m_dev;
  uint64_t m_ino;
  uint64_t m_rdev;
  uint32_t m_mode;
  Device m_device;
  timespec m_time{};
};

}  // namespace

std::shared_ptr<TmpfsInode> make_dev_fs(uint64_t dev, uint32_t uid, uint32_t gid) {
  auto root = TmpfsInode::new_fs(dev, 1 << 20, 0755, uid, gid);
  struct Node {
    const char* name;
    uint32_t major;
    uint32_t minor;
    Device device;
  };
  constexpr Node kNodes[] = {
      {"null", 1, 3, Device::kNull},      {"zero", 1, 5, Device::kZero},
      {"full", 1, 7, Device::kFull},      {"random", 1, 8, Device::kRandom},
      {"urandom", 1, 9, Device::kRandom}, {"tty", 5, 0, Device::kTty},
  };
  uint64_t ino = 100;
  for (const Node& node : kNodes) {
    root->add(node.name,
              std::make_shared<DeviceInode>(dev, ino++, node.major, node.minor, 0666, node.device));
  }
  (void)root->symlink("fd", "/proc/self/fd", uid, gid);
  (void)root->symlink("stdin", "/proc/self/fd/0", uid, gid);
  (void)root->symlink("stdout", "/proc/self/fd/1", uid, gid);
  (void)root->symlink("stderr", "/proc/self/fd/2", uid, gid);
  (void)root->create("shm", S_IFDIR | 01777, uid, gid);
  (void)root->create("pts", S_IFDIR | 0755, uid, gid);
  return root;
}

}  // namespace moat::sentry
