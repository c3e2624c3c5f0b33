#include "sentry/fs/tmpfs/tmpfs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/vfs/inode_file.h"

namespace moat::sentry {
namespace {

timespec now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

TmpfsInode* as_tmpfs(Inode* inode) {
  return dynamic_cast<TmpfsInode*>(inode);
}

}  // namespace

std::shared_ptr<TmpfsInode> TmpfsInode::new_fs(uint64_t dev, uint64_t max_bytes, uint32_t mode,
                                               uint32_t uid, uint32_t gid) {
  auto state = std::make_shared<TmpfsState>(dev, max_bytes);
  return std::make_shared<TmpfsInode>(std::move(state), S_IFDIR | (mode & 07777), uid, gid);
}

TmpfsInode::TmpfsInode(std::shared_ptr<TmpfsState> state, uint32_t mode, uint32_t uid, uint32_t gid)
    : Inode(mode & S_IFMT),
      m_state(std::move(state)),
      m_ino(m_state->next_ino++),
      m_mode(mode & 07777),
      m_uid(uid),
      m_gid(gid),
      m_nlink(is_dir() ? 2 : 1) {
  m_atime = m_mtime = m_ctime = now();
}

TmpfsInode::~TmpfsInode() {
  // The last reference is gone (unlinked and closed): its bytes are free.
  // It may be the lock holder's erase that drops it: no lock here.
  m_state->used_bytes -= m_data.size();
}

void TmpfsInode::add(const std::string& name, std::shared_ptr<Inode> inode) {
  std::lock_guard guard(m_state->lock);
  m_children[name] = std::move(inode);
}

void TmpfsInode::touch_locked(bool modified) {
  const timespec t = now();
  m_ctime = t;
  if (modified) {
    m_mtime = t;
  }
}

Result<struct statfs> TmpfsInode::statfs() {
  struct statfs out = TRY(Inode::statfs());
  const uint64_t used = m_state->used_bytes.load();
  out.f_blocks = static_cast<fsblkcnt_t>(m_state->max_bytes / 4096);
  out.f_bfree =
      static_cast<fsblkcnt_t>((m_state->max_bytes - std::min(used, m_state->max_bytes)) / 4096);
  out.f_bavail = out.f_bfree;
  out.f_files = out.f_blocks;
  out.f_ffree = out.f_blocks;
  return out;
}

Result<FileStat> TmpfsInode::stat() {
  std::lock_guard guard(m_state->lock);
  FileStat st;
  st.dev = m_state->dev;
  st.ino = m_ino;
  st.mode = type() | m_mode;
  st.nlink = m_nlink;
  st.uid = m_uid;
  st.gid = m_gid;
  st.blksize = 4096;
  if (is_regular()) {
    st.size = static_cast<int64_t>(m_data.size());
  } else if (is_symlink()) {
    st.size = static_cast<int64_t>(m_target.size());
  } else if (is_dir()) {
    // Linux's tmpfs: a fixed-size entry per name.
    st.size = static_cast<int64_t>((m_children.size() + 2) * 20);
  }
  st.blocks = (st.size + 511) / 512;
  st.atime = m_atime;
  st.mtime = m_mtime;
  st.ctime = m_ctime;
  return st;
}

Result<std::shared_ptr<Inode>> TmpfsInode::lookup(const std::string& name) {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  std::lock_guard guard(m_state->lock);
  auto it = m_children.find(name);
  if (it == m_children.end()) {
    return Errno::kENOENT;
  }
  return it->second;
}

Result<std::vector<DirEntry>> TmpfsInode::read_dir() {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  std::vector<DirEntry> entries;
  std::vector<std::pair<size_t, Inode*>> foreign;  // inodes of other file systems (devices)
  std::vector<std::shared_ptr<Inode>> keep;        // alive while they are asked
  {
    std::lock_guard guard(m_state->lock);
    if (m_nlink == 0) {
      return Errno::kENOENT;  // removed while open
    }
    entries.reserve(m_children.size());
    for (const auto& [name, inode] : m_children) {
      const TmpfsInode* own = as_tmpfs(inode.get());
      entries.push_back(
          DirEntry{name, own != nullptr ? own->m_ino : 0, dirent_type(inode->type())});
      if (own == nullptr) {
        foreign.emplace_back(entries.size() - 1, inode.get());
        keep.push_back(inode);
      }
    }
  }
  // Another file system's inode locks its own state, outside this one's.
  for (auto [index, inode] : foreign) {
    if (auto st = inode->stat()) {
      entries[index].ino = st->ino;
    }
  }
  return entries;
}

Result<std::shared_ptr<Inode>> TmpfsInode::create(const std::string& name, uint32_t mode,
                                                  uint32_t uid, uint32_t gid) {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  std::lock_guard guard(m_state->lock);
  if (m_nlink == 0) {
    return Errno::kENOENT;  // removed while open
  }
  if (m_children.contains(name)) {
    return Errno::kEEXIST;
  }
  auto inode = std::make_shared<TmpfsInode>(m_state, mode, uid, gid);
  m_children[name] = inode;
  if (inode->is_dir()) {
    ++m_nlink;
  }
  touch_locked(true);
  return std::shared_ptr<Inode>(std::move(inode));
}

Result<std::shared_ptr<Inode>> TmpfsInode::symlink(const std::string& name,
                                                   const std::string& target, uint32_t uid,
                                                   uint32_t gid) {
  auto inode = TRY(create(name, S_IFLNK | 0777, uid, gid));
  std::lock_guard guard(m_state->lock);
  as_tmpfs(inode.get())->m_target = target;
  return inode;
}

Result<void> TmpfsInode::link(const std::string& name, const std::shared_ptr<Inode>& target) {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  TmpfsInode* other = as_tmpfs(target.get());
  if (other == nullptr || other->m_state != m_state) {
    return Errno::kEXDEV;
  }
  if (other->is_dir()) {
    return Errno::kEPERM;
  }
  std::lock_guard guard(m_state->lock);
  if (m_children.contains(name)) {
    return Errno::kEEXIST;
  }
  if (other->m_nlink == 0) {
    return Errno::kENOENT;
  }
  m_children[name] = target;
  ++other->m_nlink;
  other->touch_locked(false);
  touch_locked(true);
  return {};
}

Result<void> TmpfsInode::unlink(const std::string& name, bool directory) {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  std::lock_guard guard(m_state->lock);
  auto it = m_children.find(name);
  if (it == m_children.end()) {
    return Errno::kENOENT;
  }
  TmpfsInode* child = as_tmpfs(it->second.get());
  const bool is_directory = it->second->is_dir();
  if (directory && !is_directory) {
    return Errno::kENOTDIR;
  }
  if (!directory && is_directory) {
    return Errno::kEISDIR;
  }
  if (is_directory) {
    if (child != nullptr && !child->m_children.empty()) {
      return Errno::kENOTEMPTY;
    }
    --m_nlink;
    if (child != nullptr) {
      child->m_nlink = 0;
    }
  } else if (child != nullptr && child->m_nlink > 0) {
    --child->m_nlink;
    child->touch_locked(false);
  }
  m_children.erase(it);
  touch_locked(true);
  return {};
}

Result<void> TmpfsInode::rename(const std::string& name, Inode& new_dir_inode,
                                const std::string& new_name, uint32_t flags) {
  TmpfsInode* new_dir = as_tmpfs(&new_dir_inode.writable_layer());
  if (!is_dir() || new_dir == nullptr || !new_dir->is_dir()) {
    return Errno::kENOTDIR;
  }
  if (new_dir->m_state != m_state) {
    return Errno::kEXDEV;
  }
  std::lock_guard guard(m_state->lock);
  auto from = m_children.find(name);
  if (from == m_children.end()) {
    return Errno::kENOENT;
  }
  std::shared_ptr<Inode> moving = from->second;
  auto to = new_dir->m_children.find(new_name);
  const bool exists = to != new_dir->m_children.end();
  if ((flags & RENAME_EXCHANGE) != 0) {
    if (!exists) {
      return Errno::kENOENT;
    }
    std::swap(from->second, to->second);
    if (this != new_dir && from->second->is_dir() != to->second->is_dir()) {
      // A directory changed parents: each parent's link count follows.
      const int delta = to->second->is_dir() ? 1 : -1;
      new_dir->m_nlink += delta;
      m_nlink -= delta;
    }
    touch_locked(true);
    new_dir->touch_locked(true);
    return {};
  }
  if (exists) {
    if ((flags & RENAME_NOREPLACE) != 0) {
      return Errno::kEEXIST;
    }
    std::shared_ptr<Inode> victim = to->second;
    if (victim == moving) {
      return {};  // two links to one file: Linux does nothing
    }
    if (moving->is_dir() && !victim->is_dir()) {
      return Errno::kENOTDIR;
    }
    if (!moving->is_dir() && victim->is_dir()) {
      return Errno::kEISDIR;
    }
    TmpfsInode* old = as_tmpfs(victim.get());
    if (victim->is_dir()) {
      if (old != nullptr && !old->m_children.empty()) {
        return Errno::kENOTEMPTY;
      }
      --new_dir->m_nlink;
      if (old != nullptr) {
        old->m_nlink = 0;
      }
    } else if (old != nullptr && old->m_nlink > 0) {
      --old->m_nlink;
    }
  }
  m_children.erase(name);
  new_dir->m_children[new_name] = moving;
  if (moving->is_dir() && this != new_dir) {
    --m_nlink;
    ++new_dir->m_nlink;
  }
  if (TmpfsInode* moved = as_tmpfs(moving.get())) {
    moved->touch_locked(false);
  }
  touch_locked(true);
  new_dir->touch_locked(true);
  return {};
}

Result<std::string> TmpfsInode::read_link() {
  if (!is_symlink()) {
    return Errno::kEINVAL;
  }
  std::lock_guard guard(m_state->lock);
  return m_target;
}

Result<std::shared_ptr<FileDescription>> TmpfsInode::open(const std::shared_ptr<Dentry>& dentry,
                                                          uint32_t flags) {
  if (type() == S_IFIFO) {
    std::shared_ptr<Pipe> pipe;
    {
      std::lock_guard guard(m_state->lock);
      pipe = m_fifo.lock();
      if (!pipe) {
        pipe = std::make_shared<Pipe>();
        m_fifo = pipe;
      }
    }
    return open_fifo(pipe, flags, dentry);
  }
  return Inode::open(dentry, flags);
}

Result<size_t> TmpfsInode::read_at(std::span<const iovec> dst, uint64_t offset) {
  if (!is_regular()) {
    return Inode::read_at(dst, offset);
  }
  std::lock_guard guard(m_state->lock);
  size_t total = 0;
  for (const iovec& v : dst) {
    if (offset + total >= m_data.size()) {
      break;
    }
    const size_t n = std::min<size_t>(v.iov_len, m_data.size() - (offset + total));
    std::memcpy(v.iov_base, m_data.data() + offset + total, n);
    total += n;
  }
  m_atime = now();
  return total;
}

Result<size_t> TmpfsInode::write_at(std::span<const iovec> src, uint64_t offset) {
  if (!is_regular()) {
    return Inode::write_at(src, offset);
  }
  size_t want = 0;
  for (const iovec& v : src) {
    want += v.iov_len;
  }
  if (want == 0) {
    return 0;
  }
  if (offset > static_cast<uint64_t>(LLONG_MAX) - want) {
    return Errno::kEFBIG;
  }
  std::lock_guard guard(m_state->lock);
  if (offset + want > m_data.size()) {
    TRY(resize_locked(offset + want));
  }
  size_t done = 0;
  for (const iovec& v : src) {
    std::memcpy(m_data.data() + offset + done, v.iov_base, v.iov_len);
    done += v.iov_len;
  }
  touch_locked(true);
  return done;
}

Result<uint64_t> TmpfsInode::size() {
  std::lock_guard guard(m_state->lock);
  return is_regular() ? m_data.size() : 0;
}

Result<void> TmpfsInode::resize_locked(uint64_t size) {
  const uint64_t old = m_data.size();
  if (size > old && size - old > m_state->max_bytes - m_state->used_bytes) {
    return Errno::kENOSPC;
  }
  try {
    m_data.resize(size);
  } catch (const std::bad_alloc&) {
    return Errno::kENOSPC;
  }
  if (size == 0) {
    m_data.shrink_to_fit();
  }
  m_state->used_bytes += size - old;  // wraps correctly when shrinking
  return {};
}

Result<void> TmpfsInode::truncate(uint64_t size) {
  if (!is_regular()) {
    return Inode::truncate(size);
  }
  if (size > static_cast<uint64_t>(LLONG_MAX)) {
    return Errno::kEFBIG;
  }
  std::lock_guard guard(m_state->lock);
  TRY(resize_locked(size));
  touch_locked(true);
  return {};
}

Result<void> TmpfsInode::set_mode(uint32_t mode) {
  std::lock_guard guard(m_state->lock);
  m_mode = mode & 07777;
  touch_locked(false);
  return {};
}

Result<void> TmpfsInode::set_owner(uint32_t uid, uint32_t gid) {
  std::lock_guard guard(m_state->lock);
  if (uid != static_cast<uint32_t>(-1)) {
    m_uid = uid;
  }
  if (gid != static_cast<uint32_t>(-1)) {
    m_gid = gid;
  }
  touch_locked(false);
  return {};
}

Result<void> TmpfsInode::set_times(const timespec* atime, const timespec* mtime) {
  std::lock_guard guard(m_state->lock);
  if (atime != nullptr) {
    m_atime = *atime;
  }
  if (mtime != nullptr) {
    m_mtime = *mtime;
  }
  touch_locked(false);
  return {};
}

}  // namespace moat::sentry
