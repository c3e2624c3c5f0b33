#include "sentry/fs/pipe/pipe.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "sentry/kernel/task.h"
#include "sentry/vfs/dentry.h"

namespace moat::sentry {
namespace {

// pipefs's device number; moat's other file systems have theirs in
// sentry/fs/sandbox_tree.h.
constexpr uint64_t kPipeDev = 0xd;
// FIONREAD, the same number on amd64 and arm64.
constexpr uint32_t kFionread = 0x541b;

// What a reader and a writer wait for: data or the last writer gone; room
// or the last reader gone.
constexpr uint32_t kReaderEvents = POLLIN | POLLRDNORM | POLLHUP;
constexpr uint32_t kWriterEvents = POLLOUT | POLLWRNORM | POLLERR;

std::atomic<uint64_t> g_next_ino{1};

size_t total_length(std::span<const iovec> iov) {
  size_t total = 0;
  for (const iovec& v : iov) {
    total += v.iov_len;
  }
  return total;
}

timespec now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

}  // namespace

Pipe::Pipe(uint32_t uid, uint32_t gid)
    : m_ino(g_next_ino.fetch_add(1, std::memory_order_relaxed)),
      m_uid(uid),
      m_gid(gid),
      m_created(now()) {}

Result<Pipe::Ends> Pipe::attach(bool reader, bool writer, bool fail_without_reader) {
  Ends ends;
  {
    std::lock_guard guard(m_lock);
    if (fail_without_reader && m_readers == 0) {
      return Errno::kENXIO;
    }
    if (reader) {
      ++m_readers;
      m_reader_opens.fetch_add(1, std::memory_order_release);
    }
    if (writer) {
      ++m_writers;
      m_writer_opens.fetch_add(1, std::memory_order_release);
    }
    changed_locked();
    ends = Ends{m_readers, m_writers, m_reader_opens.load(std::memory_order_relaxed),
                m_writer_opens.load(std::memory_order_relaxed)};
  }
  m_waiters.notify_all();
  return ends;
}

void Pipe::detach(bool reader, bool writer) {
  uint32_t events = 0;
  {
    std::lock_guard guard(m_lock);
    if (reader && --m_readers == 0) {
      events |= kWriterEvents;
    }
    if (writer && --m_writers == 0) {
      events |= kReaderEvents;
    }
    changed_locked();
  }
  if (events != 0) {
    m_waiters.notify(events);
  }
}

Result<void> Pipe::wait_for_open(bool reader, uint64_t seen, Task* waiter) {
  if (waiter == nullptr) {
    return Errno::kEAGAIN;
  }
  const std::atomic<uint64_t>& opens = reader ? m_reader_opens : m_writer_opens;
  WaiterQueue::Scoped registered(m_waiters, waiter);
  const WakeReason reason = waiter->sleep(
      std::nullopt, [&opens, seen] { return opens.load(std::memory_order_acquire) != seen; });
  if (reason == WakeReason::kInterrupted) {
    return Errno::kERESTARTSYS;
  }
  return {};
}

bool Pipe::sleep_for_change(Task& waiter, uint64_t seen, uint32_t events) {
  // Registered after `seen` was read: a change in between shows in the
  // generation, one after it also wakes the task.
  WaiterQueue::Scoped registered(m_waiters, &waiter, events);
  const WakeReason reason = waiter.sleep(
      std::nullopt, [this, seen] { return m_generation.load(std::memory_order_acquire) != seen; });
  return reason != WakeReason::kInterrupted;
}

Result<size_t> Pipe::read(std::span<const iovec> dst, Task* waiter) {
  const size_t want = total_length(dst);
  if (want == 0) {
    return 0;
  }
  for (;;) {
    std::unique_lock lock(m_lock);
    if (m_size > 0) {
      const size_t n = copy_out_locked(dst, std::min(want, m_size));
      changed_locked();
      lock.unlock();
      m_waiters.notify(kWriterEvents);
      return n;
    }
    if (m_writers == 0) {
      return 0;  // end of file
    }
    if (waiter == nullptr) {
      return Errno::kEAGAIN;
    }
    const uint64_t seen = m_generation.load(std::memory_order_relaxed);
    lock.unlock();
    if (!sleep_for_change(*waiter, seen, kReaderEvents)) {
      return Errno::kERESTARTSYS;
    }
  }
}

// FIXME: Linux raises SIGPIPE also when the last reader goes in the middle of
// a long write that already moved some bytes; here that write only returns
// the count.
Result<size_t> Pipe::write(std::span<const iovec> src, Task* waiter) {
  const size_t total = total_length(src);
  if (total == 0) {
    return 0;
  }
  const bool atomic = total <= kAtomicWrite;
  size_t done = 0;
  for (;;) {
    std::unique_lock lock(m_lock);
    if (m_readers == 0) {
      return done > 0 ? Result<size_t>(done) : Errno::kEPIPE;
    }
    const size_t room = m_capacity - m_size;
    const size_t left = total - done;
    if (room > 0 && (!atomic || room >= left)) {
      const size_t n = std::min(room, left);
      copy_in_locked(src, done, n);
      done += n;
      changed_locked();
      lock.unlock();
      m_waiters.notify(kReaderEvents);
      if (done == total) {
        return done;
      }
      continue;
    }
    if (waiter == nullptr) {
      return done > 0 ? Result<size_t>(done) : Errno::kEAGAIN;
    }
    const uint64_t seen = m_generation.load(std::memory_order_relaxed);
    lock.unlock();
    if (!sleep_for_change(*waiter, seen, kWriterEvents)) {
      return done > 0 ? Result<size_t>(done) : Errno::kERESTARTSYS;
    }
  }
}

size_t Pipe::copy_in_locked(std::span<const iovec> src, size_t skip, size_t count) {
  if (m_buffer.empty()) {
    m_buffer.resize(m_capacity);
  }
  size_t copied = 0;
  for (const iovec& v : src) {
    if (copied == count) {
      break;
    }
    if (skip >= v.iov_len) {
      skip -= v.iov_len;
      continue;
    }
    const auto* from = static_cast<const std::byte*>(v.iov_base) + skip;
    size_t n = std::min(v.iov_len - skip, count - copied);
    skip = 0;
    while (n > 0) {
      const size_t tail = (m_head + m_size) % m_capacity;
      const size_t chunk = std::min(n, m_capacity - tail);
      std::memcpy(m_buffer.data() + tail, from, chunk);
      m_size += chunk;
      from += chunk;
      copied += chunk;
      n -= chunk;
    }
  }
  return copied;
}

size_t Pipe::copy_out_locked(std::span<const iovec> dst, size_t count) {
  size_t copied = 0;
  for (const iovec& v : dst) {
    if (copied == count) {
      break;
    }
    auto* to = static_cast<std::byte*>(v.iov_base);
    size_t n = std::min(v.iov_len, count - copied);
    while (n > 0) {
      const size_t chunk = std::min(n, m_capacity - m_head);
      std::memcpy(to, m_buffer.data() + m_head, chunk);
      m_head = (m_head + chunk) % m_capacity;
      m_size -= chunk;
      to += chunk;
      copied += chunk;
      n -= chunk;
    }
  }
  if (m_size == 0) {
    m_head = 0;
  }
  return copied;
}

size_t Pipe::capacity() const {
  std::lock_guard guard(m_lock);
  return m_capacity;
}

Result<size_t> Pipe::set_capacity(uint64_t size) {
  // Linux's pipe_fcntl takes the argument as an unsigned int.
  const auto asked = static_cast<uint32_t>(size);
  if (asked > (uint32_t{1} << 31)) {
    return Errno::kEINVAL;
  }
  const size_t rounded = std::bit_ceil(std::max<size_t>(asked, kPageSize));
  // Linux lets CAP_SYS_RESOURCE go past pipe-max-size; moat does not.
  if (rounded > kMaxCapacity) {
    return Errno::kEPERM;
  }
  bool grew = false;
  {
    std::lock_guard guard(m_lock);
    if (rounded < m_size) {
      return Errno::kEBUSY;
    }
    if (!m_buffer.empty()) {
      std::vector<std::byte> buffer(rounded);
      const size_t first = std::min(m_size, m_capacity - m_head);
      std::memcpy(buffer.data(), m_buffer.data() + m_head, first);
      std::memcpy(buffer.data() + first, m_buffer.data(), m_size - first);
      m_buffer = std::move(buffer);
      m_head = 0;
    }
    grew = rounded > m_capacity;
    m_capacity = rounded;
    changed_locked();
  }
  if (grew) {
    m_waiters.notify(kWriterEvents);
  }
  return rounded;
}

size_t Pipe::available() const {
  std::lock_guard guard(m_lock);
  return m_size;
}

uint32_t Pipe::readiness(uint32_t events, bool reader, bool writer,
                         uint64_t writer_opens_at_open) const {
  std::lock_guard guard(m_lock);
  uint32_t ready = 0;
  if (reader) {
    if (m_size > 0) {
      ready |= POLLIN | POLLRDNORM;
    }
    if (m_writers == 0 && m_writer_opens.load(std::memory_order_relaxed) != writer_opens_at_open) {
      ready |= POLLHUP;
    }
  }
  if (writer) {
    // Linux counts room in pages: POLLOUT once a page is free, which is
    // what a PIPE_BUF write needs.
    if (m_capacity - m_size >= kAtomicWrite) {
      ready |= POLLOUT | POLLWRNORM;
    }
    if (m_readers == 0) {
      ready |= POLLERR;
    }
  }
  return ready & (events | POLLERR | POLLHUP);
}

FileStat Pipe::stat() const {
  FileStat st;
  st.dev = kPipeDev;
  st.ino = m_ino;
  st.mode = S_IFIFO | S_IRUSR | S_IWUSR;
  st.nlink = 1;
  st.uid = m_uid;
  st.gid = m_gid;
  st.blksize = kPageSize;
  st.atime = st.mtime = st.ctime = m_created;
  return st;
}

PipeFile::PipeFile(std::shared_ptr<Pipe> pipe, uint32_t flags, std::shared_ptr<Dentry> dentry,
                   uint64_t writer_opens_at_open)
    : FileDescription(flags, std::move(dentry)),
      m_pipe(std::move(pipe)),
      m_writer_opens_at_open(writer_opens_at_open) {}

PipeFile::~PipeFile() {
  m_pipe->detach(readable(), writable());
}

Task* PipeFile::waiter() const {
  return non_blocking() ? nullptr : Task::current();
}

Result<size_t> PipeFile::read(std::span<const iovec> dst) {
  return m_pipe->read(dst, waiter());
}

Result<size_t> PipeFile::write(std::span<const iovec> src) {
  return m_pipe->write(src, waiter());
}

Result<FileStat> PipeFile::stat() {
  if (dentry()) {
    return FileDescription::stat();  // the FIFO's inode
  }
  return m_pipe->stat();
}

Result<uint64_t> PipeFile::ioctl(Task& task, uint32_t request, uint64_t arg) {
  if (request != kFionread) {
    return Errno::kENOTTY;
  }
  const auto count = static_cast<int32_t>(m_pipe->available());
  TRY(task.mm().copy_out(arg, std::as_bytes(std::span(&count, 1))));
  return 0;
}

Result<uint64_t> PipeFile::fcntl(int cmd, uint64_t arg) {
  switch (cmd) {
    case F_GETPIPE_SZ:
      return m_pipe->capacity();
    case F_SETPIPE_SZ:
      return TRY(m_pipe->set_capacity(arg));
    default:
      return Errno::kEINVAL;
  }
}

uint32_t PipeFile::readiness(uint32_t events) {
  return m_pipe->readiness(events, readable(), writable(), m_writer_opens_at_open);
}

std::string PipeFile::link_name() const {
  if (dentry()) {
    return FileDescription::link_name();
  }
  return "pipe:[" + std::to_string(m_pipe->ino()) + "]";
}

PipeEnds make_pipe(uint32_t flags, uint32_t uid, uint32_t gid) {
  auto pipe = std::make_shared<Pipe>(uid, gid);
  // One reader and one writer, which the two ends detach.
  (void)pipe->attach(true, true);
  PipeEnds ends;
  ends.read = std::make_shared<PipeFile>(pipe, O_RDONLY | (flags & O_NONBLOCK));
  ends.write = std::make_shared<PipeFile>(pipe, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)));
  return ends;
}

Result<std::shared_ptr<FileDescription>> open_fifo(const std::shared_ptr<Pipe>& pipe,
                                                   uint32_t flags, std::shared_ptr<Dentry> dentry) {
  const uint32_t access = flags & O_ACCMODE;
  const bool non_blocking = (flags & O_NONBLOCK) != 0;
  const bool reader = access == O_RDONLY || access == O_RDWR;
  const bool writer = access == O_WRONLY || access == O_RDWR;
  if (!reader && !writer) {
    return Errno::kEINVAL;
  }
  const Pipe::Ends ends = TRY(pipe->attach(reader, writer, access == O_WRONLY && non_blocking));
  // A reader that opens without waiting for a writer sees no POLLHUP until a
  // writer has come and gone.
  const uint64_t writer_opens_at_open =
      access == O_RDONLY && ends.writers == 0 ? ends.writer_opens : 0;
  // From here the description owns the counted end: an interrupted wait
  // detaches it when `file` goes.
  auto file = std::make_shared<PipeFile>(pipe, flags, std::move(dentry), writer_opens_at_open);
  if (!non_blocking && access == O_RDONLY && ends.writers == 0) {
    TRY(pipe->wait_for_open(false, ends.writer_opens, Task::current()));
  }
  if (!non_blocking && access == O_WRONLY && ends.readers == 0) {
    TRY(pipe->wait_for_open(true, ends.reader_opens, Task::current()));
  }
  return std::shared_ptr<FileDescription>(std::move(file));
}

}  // namespace moat::sentry
