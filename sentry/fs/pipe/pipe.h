#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/bits.h"
#include "base/result.h"
#include "sentry/kernel/waiter_queue.h"
#include "sentry/vfs/file_description.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {

class Dentry;
class Task;

// A pipe, as pipe2(2) makes one and a FIFO's opens share one: a byte ring
// buffer, the number of open read and write ends, and the tasks waiting on
// it. Behaves as Linux's fs/pipe.c, with room counted in bytes rather than
// in page slots:
//
// - A read takes what is there (0 at end of file: empty and no writers); an
//   empty pipe with writers is EAGAIN or a wait.
// - A write of at most PIPE_BUF bytes goes in whole or not at all (EAGAIN, or
//   a wait for room); a longer one takes what room there is and, if
//   blocking, waits for more. No reader: EPIPE (the syscall layer raises
//   SIGPIPE).
//
// A `waiter` of nullptr never blocks (O_NONBLOCK, and the unit tests, which
// have no Task). A sleep a signal interrupts returns what moved so far, or
// ERESTARTSYS if nothing did. Thread-safe.
class Pipe {
 public:
  static constexpr size_t kDefaultCapacity = 16 * kPageSize;
  // PIPE_BUF: writes up to this size are atomic.
  static constexpr size_t kAtomicWrite = 4096;
  // /proc/sys/fs/pipe-max-size: F_SETPIPE_SZ above it is EPERM.
  static constexpr size_t kMaxCapacity = 1 << 20;

  // `uid` and `gid` own the pipe's inode as fstat of an anonymous pipe shows
  // it.
  explicit Pipe(uint32_t uid = 0, uint32_t gid = 0);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // The ends open on the pipe, and how many have ever opened (Linux's
  // r_counter and w_counter, which blocking FIFO opens wait on).
  struct Ends {
    size_t readers = 0;
    size_t writers = 0;
    uint64_t reader_opens = 0;
    uint64_t writer_opens = 0;
  };
  // Counts a new end that reads, writes or both (an O_RDWR FIFO), waking
  // FIFO opens that wait for it; the counts after. With
  // `fail_without_reader`, ENXIO instead if no reader is open (O_WRONLY |
  // O_NONBLOCK open of a FIFO).
  Result<Ends> attach(bool reader, bool writer, bool fail_without_reader = false);
  // An end is gone: the last writer's close is end of file for readers, the
  // last reader's close EPIPE for writers.
  void detach(bool reader, bool writer);
  // FIFO open: waits until a reader (or a writer) opens after the count of
  // opens was `seen`.
  Result<void> wait_for_open(bool reader, uint64_t seen, Task* waiter);

  Result<size_t> read(std::span<const iovec> dst, Task* waiter);
  Result<size_t> write(std::span<const iovec> src, Task* waiter);

  // F_GETPIPE_SZ.
  size_t capacity() const;
  // F_SETPIPE_SZ: `size` rounded up to a power of two pages (one at least);
  // EBUSY if less than the bytes held, EPERM past kMaxCapacity, EINVAL past
  // 2 GiB. The new capacity.
  Result<size_t> set_capacity(uint64_t size);
  // FIONREAD: the bytes held.
  size_t available() const;
  // poll(2) of an end that reads and/or writes, as Linux's pipe_poll:
  // POLLIN with data, POLLOUT with room for a PIPE_BUF write, POLLHUP for a
  // reader once no writer is left (but not before the first writer came, if
  // `writer_opens_at_open` says none had), POLLERR for a writer with no
  // reader.
  uint32_t readiness(uint32_t events, bool reader, bool writer,
                     uint64_t writer_opens_at_open) const;

  // The tasks sleeping on the pipe; readiness changes notify it.
  WaiterQueue& waiters() { return m_waiters; }

  // What fstat shows of an anonymous pipe: S_IFIFO, 0600, pipefs's device
  // and an inode number of its own.
  FileStat stat() const;
  uint64_t ino() const { return m_ino; }

 private:
  size_t copy_in_locked(std::span<const iovec> src, size_t skip, size_t count);
  size_t copy_out_locked(std::span<const iovec> dst, size_t count);
  void changed_locked() { m_generation.fetch_add(1, std::memory_order_release); }
  // Sleeps until the pipe changes after generation `seen`; false if a
  // signal or the end of the process interrupted the sleep.
  bool sleep_for_change(Task& waiter, uint64_t seen, uint32_t events);

  const uint64_t m_ino;
  const uint32_t m_uid;
  const uint32_t m_gid;
  const timespec m_created;

  mutable std::mutex m_lock;
  std::vector<std::byte> m_buffer;  // allocated at the first write
  size_t m_capacity = kDefaultCapacity;
  size_t m_head = 0;  // where the oldest byte is
  size_t m_size = 0;  // bytes held
  size_t m_readers = 0;
  size_t m_writers = 0;
  // Written under m_lock; read without it by sleeping tasks' predicates,
  // which must not take m_lock (WaiterQueue).
  std::atomic<uint64_t> m_reader_opens{0};
  std::atomic<uint64_t> m_writer_opens{0};
  std::atomic<uint64_t> m_generation{0};  // bumped by every change of state
  WaiterQueue m_waiters;
};

// An open end of a pipe or FIFO: it reads if its access mode is O_RDONLY or
// O_RDWR, writes if O_WRONLY or O_RDWR (an O_RDWR FIFO is both ends in one
// description, so one class serves every end, as Linux's pipefifo_fops).
// pread, pwrite and lseek are ESPIPE; fstat is the FIFO's inode, or the
// anonymous pipe's.
class PipeFile final : public FileDescription {
 public:
  // Takes over an end that Pipe::attach already counted; detaches it when
  // the last descriptor closes. `dentry`: the FIFO's name, or nullptr for
  // pipe2's ends. `writer_opens_at_open`: see Pipe::readiness.
  PipeFile(std::shared_ptr<Pipe> pipe, uint32_t flags, std::shared_ptr<Dentry> dentry = nullptr,
           uint64_t writer_opens_at_open = 0);
  ~PipeFile() override;

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<FileStat> stat() override;
  Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg) override;
  Result<uint64_t> fcntl(int cmd, uint64_t arg) override;
  uint32_t readiness(uint32_t events) override;
  std::string link_name() const override;

  Pipe& pipe() const { return *m_pipe; }

 private:
  // The task a blocking call sleeps as, or nullptr with O_NONBLOCK.
  Task* waiter() const;

  const std::shared_ptr<Pipe> m_pipe;
  const uint64_t m_writer_opens_at_open;
};

// pipe2(2)'s two ends, `flags` being O_NONBLOCK and O_DIRECT (the write end
// keeps O_DIRECT, the read end not, as Linux does).
struct PipeEnds {
  std::shared_ptr<PipeFile> read;
  std::shared_ptr<PipeFile> write;
};
PipeEnds make_pipe(uint32_t flags, uint32_t uid, uint32_t gid);

// open(2) of a FIFO whose pipe is `pipe`, as Linux's fifo_open: O_RDONLY
// waits for a writer and O_WRONLY for a reader, unless O_NONBLOCK (then
// O_WRONLY without a reader is ENXIO); O_RDWR never waits. `flags`: what the
// description keeps.
Result<std::shared_ptr<FileDescription>> open_fifo(const std::shared_ptr<Pipe>& pipe,
                                                   uint32_t flags, std::shared_ptr<Dentry> dentry);

}  // namespace moat::sentry
