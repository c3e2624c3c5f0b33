#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

constexpr uint64_t kRobustListHeadSize = 24;  // struct robust_list_head
constexpr uint32_t kRseqMinSize = 32;         // the original struct rseq
constexpr uint64_t kRseqAlign = 32;
constexpr int kRseqFlagUnregister = 1;
constexpr uint32_t kRseqCpuIdUninitialized = static_cast<uint32_t>(-1);

// Writes cpu_id_start, cpu_id, (rseq_cs is the program's), node_id, mm_cid.
Result<void> write_rseq_ids(Task& t, uint64_t area, uint32_t cpu) {
  std::array<uint32_t, 2> ids{cpu, cpu};
  TRY(t.mm().copy_out(area, std::as_bytes(std::span(ids))));
  std::array<uint32_t, 2> node_cid{0, 0};
  TRY(t.mm().copy_out(area + 20, std::as_bytes(std::span(node_cid))));
  return {};
}

}  // namespace

// Implements Linux syscall exit(2).
SysResult sys_exit(Task& t, int code) {
  t.exit_thread(code);
  return 0;
}

// Implements Linux syscall exit_group(2).
SysResult sys_exit_group(Task& t, int code) {
  t.exit_group(ExitStatus::exited(code));
  return 0;
}

// Implements Linux syscall set_tid_address(2).
SysResult sys_set_tid_address(Task& t, UserAddr tidptr) {
  t.clear_child_tid = tidptr.value;
  return static_cast<uint64_t>(t.tid());
}

// Implements Linux syscall set_robust_list(2).
// FIXME: the list is recorded; walking it at thread death comes with threads.
SysResult sys_set_robust_list(Task& t, UserAddr head, uint64_t len) {
  if (len != kRobustListHeadSize) {
    return Errno::kEINVAL;
  }
  t.robust_list_head = head.value;
  t.robust_list_len = len;
  return 0;
}

// Implements Linux syscall rseq(2). Registration and the cpu/node ids work;
// moat never preempts a thread inside a critical section without a trap, and
// FIXME: critical sections are not yet aborted on signal delivery.
SysResult sys_rseq(Task& t, UserAddr rseq, uint32_t len, int flags, uint32_t sig) {
  if (flags & kRseqFlagUnregister) {
    if ((flags & ~kRseqFlagUnregister) != 0) {
      return Errno::kEINVAL;
    }
    if (t.rseq_area != rseq.value || t.rseq_len != len) {
      return Errno::kEINVAL;
    }
    if (t.rseq_signature != sig) {
      return Errno::kEPERM;
    }
    std::array<uint32_t, 2> ids{0, kRseqCpuIdUninitialized};
    TRY(t.mm().copy_out(rseq.value, std::as_bytes(std::span(ids))));
    t.rseq_area = 0;
    t.rseq_len = 0;
    t.rseq_signature = 0;
    return 0;
  }
  if (flags != 0) {
    return Errno::kEINVAL;
  }
  if (t.rseq_area != 0) {
    if (t.rseq_area != rseq.value || t.rseq_len != len) {
      return Errno::kEINVAL;
    }
    if (t.rseq_signature != sig) {
      return Errno::kEPERM;
    }
    return Errno::kEBUSY;
  }
  if ((rseq.value & (kRseqAlign - 1)) != 0 || len < kRseqMinSize) {
    return Errno::kEINVAL;
  }
  TRY(write_rseq_ids(t, rseq.value, 0));
  t.rseq_area = rseq.value;
  t.rseq_len = len;
  t.rseq_signature = sig;
  return 0;
}

// Implements Linux syscall gettid(2).
SysResult sys_gettid(Task& t) {
  return static_cast<uint64_t>(t.tid());
}

// Implements Linux syscall sched_yield(2).
SysResult sys_sched_yield(Task&) {
  ::sched_yield();
  return 0;
}

// Implements Linux syscall sched_getaffinity(2): the CPUs the host lets this
// thread's vCPU run on, in the host's numbering.
SysResult sys_sched_getaffinity(Task& t, int pid, uint64_t size, UserAddr mask) {
  if (pid < 0 || (pid != 0 && pid != t.tid())) {
    return Errno::kESRCH;
  }
  // The host answers the size checks (a multiple of 8 bytes holding every
  // possible CPU); a larger buffer than its mask is filled only in part.
  constexpr uint64_t kMaxBytes = 8192;
  std::vector<unsigned long> host((std::min(size, kMaxBytes) + sizeof(unsigned long) - 1) /
                                  sizeof(unsigned long));
  const long got = ::syscall(SYS_sched_getaffinity, 0, std::min(size, kMaxBytes), host.data());
  if (got < 0) {
    return static_cast<Errno>(errno);
  }
  TRY(t.mm().copy_out(mask.value, std::as_bytes(std::span(host)).first(static_cast<size_t>(got))));
  return static_cast<uint64_t>(got);
}

// Implements Linux syscall getcpu(2): the host CPU this vCPU's thread is on.
SysResult sys_getcpu(Task& t, UserAddr cpu, UserAddr node, UserAddr /*cache*/) {
  unsigned host_cpu = 0;
  unsigned host_node = 0;
  if (::syscall(SYS_getcpu, &host_cpu, &host_node, nullptr) != 0) {
    return static_cast<Errno>(errno);
  }
  if (!cpu.null()) {
    TRY(t.mm().copy_out(cpu.value, std::as_bytes(std::span(&host_cpu, 1))));
  }
  if (!node.null()) {
    TRY(t.mm().copy_out(node.value, std::as_bytes(std::span(&host_node, 1))));
  }
  return 0;
}

}  // namespace moat::sentry
