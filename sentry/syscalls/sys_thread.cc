#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "base/bits.h"
#include "sentry/kernel/kernel.h"
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

constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
constexpr uint64_t kCloneClearSighand = 0x100000000ull;
constexpr uint64_t kCloneIntoCgroup = 0x200000000ull;
constexpr uint64_t kCloneNewTime = 0x80;  // clone3 only: clone()'s low byte is the signal

}  // namespace

// The flag checks of Linux's copy_process, then a new thread or process.
SysResult clone_common(Task& t, const CloneRequest& request) {
  const uint64_t flags = request.flags;
  if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
      (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS)) {
    return Errno::kEINVAL;
  }
  if ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0) {
    return Errno::kEINVAL;
  }
  if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) {
    return Errno::kEINVAL;
  }
  if ((flags & CLONE_THREAD) != 0 && (flags & (CLONE_NEWUSER | CLONE_NEWPID | CLONE_PIDFD)) != 0) {
    return Errno::kEINVAL;
  }
  if ((flags & (kNamespaceFlags | kCloneNewTime)) != 0) {
    return Errno::kEPERM;  // moat offers no namespaces
  }
  if ((flags & CLONE_PIDFD) != 0) {
    // FIXME: moat has no pidfds yet.
    t.kernel().note_unsupported_syscall(arch::syscall_number(t.regs()), "clone (CLONE_PIDFD)");
    return Errno::kENOSYS;
  }
  if ((flags & CLONE_THREAD) == 0) {
    return static_cast<uint64_t>(TRY(t.kernel().clone_process(t, request)));
  }
  return static_cast<uint64_t>(TRY(t.kernel().clone_thread(t, request)));
}

namespace {

// Linux's struct clone_args, as far as moat knows it (CLONE_ARGS_SIZE_VER2).
struct CloneArgs {
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};
constexpr uint64_t kCloneArgsSizeVer0 = 64;

}  // namespace

// Implements Linux syscall clone(2). The order of the last two arguments is
// the architecture's (arch::kCloneTlsArg).
SysResult sys_clone(Task& t, uint64_t flags, UserAddr stack, UserAddr parent_tid, uint64_t arg3,
                    uint64_t arg4) {
  CloneRequest request;
  // The low byte is the exit signal, for a new process; a thread has none.
  request.flags = flags & ~uint64_t{CSIGNAL};
  // Linux takes any number here; one that is no signal is never sent.
  request.exit_signal = (flags & CLONE_THREAD) != 0 ? 0 : static_cast<int>(flags & CSIGNAL);
  request.stack = stack.value;
  request.parent_tid = parent_tid.value;
  request.tls = arch::kCloneTlsArg == 3 ? arg3 : arg4;
  request.child_tid = arch::kCloneChildTidArg == 3 ? arg3 : arg4;
  if ((flags & CLONE_PIDFD) != 0 && (flags & CLONE_DETACHED) != 0) {
    return Errno::kEINVAL;
  }
  if ((flags & ~uint64_t{0xffffffff}) != 0) {
    return Errno::kEINVAL;  // clone() takes 32 bits of flags; clone3 has the rest
  }
  return clone_common(t, request);
}

// Implements Linux syscall clone3(2).
SysResult sys_clone3(Task& t, UserAddr uargs, uint64_t size) {
  if (size < kCloneArgsSizeVer0) {
    return Errno::kEINVAL;
  }
  if (size > kPageSize) {
    return Errno::kE2BIG;
  }
  CloneArgs args{};
  const uint64_t known = std::min<uint64_t>(size, sizeof(args));
  TRY(t.mm().copy_in(uargs.value, std::as_writable_bytes(std::span(&args, 1)).first(known)));
  // A newer struct's extra fields must be zero (Linux's copy_struct_from_user).
  for (uint64_t off = sizeof(args); off < size; off += 8) {
    uint64_t extra = 0;
    const uint64_t n = std::min<uint64_t>(8, size - off);
    TRY(t.mm().copy_in(uargs.value + off, std::as_writable_bytes(std::span(&extra, 1)).first(n)));
    if (extra != 0) {
      return Errno::kE2BIG;
    }
  }
  if ((args.flags & ~(uint64_t{0xffffffff} | kCloneClearSighand | kCloneIntoCgroup)) != 0) {
    return Errno::kEINVAL;
  }
  if ((args.exit_signal & ~uint64_t{CSIGNAL}) != 0 || args.exit_signal > kNumSignals) {
    return Errno::kEINVAL;
  }
  if ((args.flags & (CLONE_THREAD | CLONE_PARENT)) != 0 && args.exit_signal != 0) {
    return Errno::kEINVAL;
  }
  if ((args.flags & (kCloneClearSighand | CLONE_SIGHAND)) == (kCloneClearSighand | CLONE_SIGHAND)) {
    return Errno::kEINVAL;
  }
  if (args.set_tid_size > 32 || (args.set_tid == 0 && args.set_tid_size != 0)) {
    return Errno::kEINVAL;
  }
  if ((args.stack == 0) != (args.stack_size == 0)) {
    return Errno::kEINVAL;
  }
  if ((args.flags & (CLONE_DETACHED | (CSIGNAL & ~kCloneNewTime))) != 0) {
    return Errno::kEINVAL;
  }
  if (args.set_tid_size != 0) {
    return Errno::kEPERM;  // choosing a pid needs CAP_SYS_ADMIN
  }
  if ((args.flags & kCloneIntoCgroup) != 0) {
    return Errno::kEBADF;  // moat has no cgroup descriptors
  }
  CloneRequest request;
  request.flags = args.flags & ~kCloneClearSighand;
  request.exit_signal = static_cast<int>(args.exit_signal);
  request.stack = args.stack == 0 ? 0 : args.stack + args.stack_size;
  request.tls = args.tls;
  request.parent_tid = args.parent_tid;
  request.child_tid = args.child_tid;
  return clone_common(t, request);
}

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
  if (pid < 0 || (pid != 0 && pid != t.tid() && !t.kernel().find_task(pid))) {
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
