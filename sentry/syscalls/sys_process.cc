// Processes: fork and vfork, waiting for children, process groups and
// sessions.

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <climits>
#include <csignal>
#include <optional>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// Which children a wait4/waitid call is about, and what of theirs.
struct WaitRequest {
  enum class By { kAny, kPid, kPgid, kOwnPgid } by = By::kAny;
  int id = 0;
  int options = 0;
  bool exits = true;  // ended children count (waitid without WEXITED: not)
  bool keep = false;  // WNOWAIT: report, leave the zombie
};

struct Reaped {
  int pid = 0;
  ExitStatus status;
};

bool selects(const WaitRequest& request, ThreadGroup& child, int own_pgid) {
  ThreadGroup::Family& family = child.family();
  switch (request.by) {
    case WaitRequest::By::kAny:
      break;
    case WaitRequest::By::kPid:
      if (child.pid() != request.id) {
        return false;
      }
      break;
    case WaitRequest::By::kPgid:
      if (family.pgid != request.id) {
        return false;
      }
      break;
    case WaitRequest::By::kOwnPgid:
      if (family.pgid != own_pgid) {
        return false;
      }
      break;
  }
  // A "clone child" reports to its parent with another signal than SIGCHLD
  // (or none): __WCLONE waits for those only, __WALL for every child.
  if ((request.options & __WALL) != 0) {
    return true;
  }
  const bool clone_child = family.exit_signal != SIGCHLD;
  return clone_child == ((request.options & __WCLONE) != 0);
}

// A matching zombie, reaped unless the request keeps it; nullopt while
// matching children live on; ECHILD when none matches.
Result<std::optional<Reaped>> find_zombie(Task& t, const WaitRequest& request) {
  Kernel& kernel = t.kernel();
  std::lock_guard tree(kernel.tree_lock());
  ThreadGroup::Family& family = t.group().family();
  bool any = false;
  for (const auto& child : family.children) {
    if (!selects(request, *child, family.pgid)) {
      continue;
    }
    any = true;
    if (!child->family().zombie || !request.exits) {
      continue;
    }
    Reaped reaped{child->pid(), child->exit_status().value_or(ExitStatus::exited(0))};
    if (!request.keep) {
      kernel.reap_locked(t.group(), std::shared_ptr<ThreadGroup>(child));
    }
    return std::optional(reaped);
  }
  if (!any) {
    return Errno::kECHILD;
  }
  return std::optional<Reaped>();
}

// Waits until a matching child has ended; nullopt at once with WNOHANG if
// none has yet. A signal ends the wait (restarted under SA_RESTART), unless
// a child is there to report first, as in Linux's do_wait.
Result<std::optional<Reaped>> wait_for_child(Task& t, const WaitRequest& request) {
  for (;;) {
    const uint64_t seen = t.group().child_events();
    auto found = TRY(find_zombie(t, request));
    if (found || (request.options & WNOHANG) != 0) {
      return found;
    }
    if (t.interrupted()) {
      return Errno::kERESTARTSYS;
    }
    (void)t.sleep(std::nullopt, [&t, seen] { return t.group().child_events() != seen; });
  }
}

// FIXME: moat does not account CPU time per process yet: the resource usage
// reported for a child is all zeros.
Result<void> store_rusage(Task& t, UserAddr rusage) {
  if (rusage.null()) {
    return {};
  }
  const struct rusage zero {};
  return t.mm().copy_out(rusage.value, std::as_bytes(std::span(&zero, 1)));
}

}  // namespace

// Implements Linux syscall fork(2).
SysResult sys_fork(Task& t) {
  CloneRequest request;
  request.exit_signal = SIGCHLD;
  return clone_common(t, request);
}

// Implements Linux syscall vfork(2).
SysResult sys_vfork(Task& t) {
  CloneRequest request;
  request.flags = CLONE_VM | CLONE_VFORK;
  request.exit_signal = SIGCHLD;
  return clone_common(t, request);
}

// Implements Linux syscall wait4(2). Partial: children that stop or continue
// (job control) are not reported; the resource usage is zeros.
SysResult sys_wait4(Task& t, int pid, UserAddr status, int options, UserAddr rusage) {
  constexpr int kKnown = WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL;
  if ((options & ~kKnown) != 0) {
    return Errno::kEINVAL;
  }
  // INT_MIN has no process group to name.
  if (pid == INT_MIN) {
    return Errno::kESRCH;
  }
  WaitRequest request;
  request.options = options;
  if (pid < -1) {
    request.by = WaitRequest::By::kPgid;
    request.id = -pid;
  } else if (pid == 0) {
    request.by = WaitRequest::By::kOwnPgid;
  } else if (pid > 0) {
    request.by = WaitRequest::By::kPid;
    request.id = pid;
  }
  auto reaped = TRY(wait_for_child(t, request));
  if (!reaped) {
    return 0;
  }
  if (!status.null()) {
    const int word = reaped->status.wait_status();
    TRY(t.mm().copy_out(status.value, std::as_bytes(std::span(&word, 1))));
  }
  TRY(store_rusage(t, rusage));
  return static_cast<uint64_t>(reaped->pid);
}

// Implements Linux syscall waitid(2). Partial as wait4.
SysResult sys_waitid(Task& t, int idtype, int id, UserAddr info, int options, UserAddr rusage) {
  constexpr int kKnown =
      WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL;
  if ((options & ~kKnown) != 0 || (options & (WEXITED | WSTOPPED | WCONTINUED)) == 0) {
    return Errno::kEINVAL;
  }
  WaitRequest request;
  request.options = options;
  request.exits = (options & WEXITED) != 0;
  request.keep = (options & WNOWAIT) != 0;
  switch (idtype) {
    case P_ALL:
      break;
    case P_PID:
      if (id <= 0) {
        return Errno::kEINVAL;
      }
      request.by = WaitRequest::By::kPid;
      request.id = id;
      break;
    case P_PGID:
      if (id < 0) {
        return Errno::kEINVAL;
      }
      // 0 names the caller's own group (Linux 5.4 and later).
      request.by = id == 0 ? WaitRequest::By::kOwnPgid : WaitRequest::By::kPgid;
      request.id = id;
      break;
    case P_PIDFD:
      // moat has no pidfds: any descriptor is the wrong kind or none.
      return id < 0 ? Errno::kEINVAL : Errno::kEBADF;
    default:
      return Errno::kEINVAL;
  }
  auto reaped = TRY(wait_for_child(t, request));
  TRY(store_rusage(t, rusage));
  if (info.null()) {
    return 0;
  }
  // Linux writes these fields, all zero when WNOHANG found nothing.
  SignalInfo out{};
  if (reaped) {
    out.signo = SIGCHLD;
    out.code = reaped->status.signaled ? CLD_KILLED : CLD_EXITED;
    out.fields.child.pid = reaped->pid;
    out.fields.child.uid = t.kernel().uid();
    out.fields.child.status = reaped->status.code;
  }
  constexpr size_t kWritten = offsetof(SignalInfo, fields) + 12;  // through si_status
  TRY(t.mm().copy_out(info.value, std::as_bytes(std::span(&out, 1)).first(kWritten)));
  return 0;
}

// Implements Linux syscall getppid(2). The first process's parent is outside
// the sandbox, so it reads 0, as for init in a pid namespace; an orphan's
// parent is the first process.
SysResult sys_getppid(Task& t) {
  std::lock_guard tree(t.kernel().tree_lock());
  auto parent = t.group().family().parent.lock();
  return static_cast<uint64_t>(parent ? parent->pid() : 0);
}

// Implements Linux syscall setpgid(2).
SysResult sys_setpgid(Task& t, int pid, int pgid) {
  if (pid < 0 || pgid < 0) {
    return Errno::kEINVAL;
  }
  Kernel& kernel = t.kernel();
  std::lock_guard tree(kernel.tree_lock());
  ThreadGroup& self = t.group();
  std::shared_ptr<ThreadGroup> target = pid == 0 ? t.group_ptr() : kernel.find_process_locked(pid);
  if (!target) {
    return Errno::kESRCH;
  }
  ThreadGroup::Family& family = target->family();
  if (target.get() != &self) {
    // Only the caller itself or one of its children.
    if (family.parent.lock().get() != &self || family.zombie) {
      return Errno::kESRCH;
    }
    if (family.sid != self.family().sid) {
      return Errno::kEPERM;
    }
  }
  if (family.sid == target->pid()) {
    return Errno::kEPERM;  // a session leader stays its group's leader
  }
  if (pgid == 0) {
    pgid = target->pid();
  }
  if (pgid != target->pid()) {
    // Joining a group: it must exist, in the same session.
    bool found = false;
    for (const auto& [other_pid, process] : kernel.processes_locked()) {
      if (process->family().pgid == pgid && process->family().sid == family.sid) {
        found = true;
        break;
      }
    }
    if (!found) {
      return Errno::kEPERM;
    }
  }
  family.pgid = pgid;
  return 0;
}

namespace {

// getpgid and getsid: a field of the caller's or another process's family.
SysResult family_field(Task& t, int pid, int ThreadGroup::Family::*field) {
  if (pid < 0) {
    return Errno::kESRCH;
  }
  Kernel& kernel = t.kernel();
  std::lock_guard tree(kernel.tree_lock());
  std::shared_ptr<ThreadGroup> target = pid == 0 ? t.group_ptr() : kernel.find_process_locked(pid);
  if (!target) {
    return Errno::kESRCH;
  }
  return static_cast<uint64_t>(target->family().*field);
}

}  // namespace

// Implements Linux syscall getpgid(2).
SysResult sys_getpgid(Task& t, int pid) {
  return family_field(t, pid, &ThreadGroup::Family::pgid);
}

// Implements Linux syscall getpgrp(2).
SysResult sys_getpgrp(Task& t) {
  return family_field(t, 0, &ThreadGroup::Family::pgid);
}

// Implements Linux syscall getsid(2).
SysResult sys_getsid(Task& t, int pid) {
  return family_field(t, pid, &ThreadGroup::Family::sid);
}

// Implements Linux syscall setsid(2).
SysResult sys_setsid(Task& t) {
  Kernel& kernel = t.kernel();
  std::lock_guard tree(kernel.tree_lock());
  const int pid = t.group().pid();
  // EPERM while a process group of that number exists (the caller leads
  // one, or its old members are still about).
  for (const auto& [other_pid, process] : kernel.processes_locked()) {
    if (process->family().pgid == pid) {
      return Errno::kEPERM;
    }
  }
  t.group().family().sid = pid;
  t.group().family().pgid = pid;
  return static_cast<uint64_t>(pid);
}

}  // namespace moat::sentry
