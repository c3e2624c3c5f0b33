// The process side of the kernel: new processes, their end, and the tree of
// parents, children and zombies that wait4 and kill walk.

#include <sched.h>

#include <csignal>

#include "base/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"

namespace moat::sentry {

std::shared_ptr<ThreadGroup> Kernel::find_process_locked(int pid) {
  auto it = m_processes.find(pid);
  return it != m_processes.end() ? it->second : nullptr;
}

void Kernel::reap_locked(ThreadGroup& parent, const std::shared_ptr<ThreadGroup>& child) {
  std::erase(parent.family().children, child);
  m_processes.erase(child->pid());
  if (child->family().zombie) {
    std::lock_guard guard(m_tasks_lock);
    --m_zombies;
  }
}

Result<int> Kernel::clone_process(Task& parent, const CloneRequest& request) {
  const uint64_t flags = request.flags;
  if ((flags & CLONE_PARENT) != 0 && &parent.group() == m_init_group.get()) {
    return Errno::kEINVAL;  // init has no parent to share
  }
  std::shared_ptr<MemoryManager> mm;
  if ((flags & CLONE_VM) != 0) {
    mm = parent.mm_ptr();
  } else {
    auto as = m_machine.new_address_space();
    if (!as) {
      log::sentry().warn("cannot create an address space for fork: {}", as.error().message);
      return Errno::kENOMEM;
    }
    mm = TRY(parent.mm().fork(std::move(*as)));
  }
  auto [pid, vcpu] = TRY(prepare_task(parent, mm->address_space(), request));

  auto handlers = (flags & CLONE_SIGHAND) != 0 ? parent.group().signal_handlers_ptr()
                                               : parent.group().signal_handlers().copy();
  auto group = std::make_shared<ThreadGroup>(pid, std::move(handlers));
  group->set_traced(parent.group().traced());
  group->limits() = parent.group().limits();
  auto fds = (flags & CLONE_FILES) != 0 ? parent.fds_ptr() : parent.fds().copy();
  auto fs = (flags & CLONE_FS) != 0 ? parent.fs_ptr() : parent.fs().copy();
  auto task =
      std::make_shared<Task>(*this, pid, group, mm, std::move(fds), std::move(fs), std::move(vcpu));
  // fork keeps the alternate signal stack and the rseq registration (the
  // child's memory is a copy); a child sharing the memory keeps neither.
  if ((flags & CLONE_VM) == 0) {
    task->signal_stack() = parent.signal_stack();
    task->rseq_area = parent.rseq_area;
    task->rseq_len = parent.rseq_len;
    task->rseq_signature = parent.rseq_signature;
  }
  const bool vfork = (flags & CLONE_VFORK) != 0;
  if (vfork) {
    group->set_vfork_waiter(parent.tid());
  }
  {
    std::lock_guard tree(m_tree_lock);
    ThreadGroup::Family& family = group->family();
    const ThreadGroup::Family& from = parent.group().family();
    family.pgid = from.pgid;
    family.sid = from.sid;
    family.exit_signal = request.exit_signal;
    std::shared_ptr<ThreadGroup> adopter = parent.group_ptr();
    if ((flags & CLONE_PARENT) != 0) {
      adopter = from.parent.lock();
    }
    family.parent = adopter;
    adopter->family().children.push_back(group);
    m_processes[pid] = group;
  }
  start_task(parent, task, request);
  if (vfork) {
    // Until the child ends (or execs): only the end of the parent's own
    // process cuts the wait short, as Linux's killable vfork wait.
    parent.sleep(
        std::nullopt, [&group] { return group->vfork_released(); }, SleepMode::kKillable);
  }
  return pid;
}

void Kernel::process_ended(const std::shared_ptr<ThreadGroup>& group) {
  const ExitStatus status = group->exit_status().value_or(ExitStatus::exited(0));
  std::shared_ptr<ThreadGroup> parent;
  bool orphaned_zombies = false;
  bool notify = false;
  std::vector<std::shared_ptr<ThreadGroup>> survivors;
  {
    std::lock_guard tree(m_tree_lock);
    ThreadGroup::Family& family = group->family();
    if (group == m_init_group) {
      for (const auto& [pid, process] : m_processes) {
        if (process != group) {
          survivors.push_back(process);
        }
      }
    } else if (m_init_group) {
      for (const auto& child : family.children) {
        child->family().parent = m_init_group;
        m_init_group->family().children.push_back(child);
        orphaned_zombies = orphaned_zombies || child->family().zombie;
      }
    }
    family.children.clear();
    parent = family.parent.lock();
    if (parent) {
      // Linux's do_notify_parent: a parent that ignores SIGCHLD (or asked
      // for SA_NOCLDWAIT) leaves no zombie behind.
      const SignalAction action = parent->signal_handlers().get(SIGCHLD);
      const bool autoreap = family.exit_signal == SIGCHLD &&
                            (action.handler == kSigIgn || (action.flags & SA_NOCLDWAIT) != 0);
      if (autoreap) {
        reap_locked(*parent, group);
      } else {
        family.zombie = true;
        std::lock_guard guard(m_tasks_lock);
        ++m_zombies;
      }
      notify = true;
    }
  }
  if (const int waiter = group->release_vfork(); waiter != 0) {
    if (auto task = find_task(waiter)) {
      task->wake();
    }
  }
  if (notify) {
    // The signal first, as Linux's do_notify_parent: a wait4 it interrupts
    // finds the zombie before it looks at the signal.
    if (valid_signal(group->family().exit_signal)) {
      SignalInfo info{};
      info.signo = group->family().exit_signal;
      info.code = !status.signaled ? CLD_EXITED : CLD_KILLED;
      info.fields.child.pid = group->pid();
      info.fields.child.uid = m_uid;
      info.fields.child.status = status.code;
      parent->send_signal(info);
    }
    parent->child_changed();
  }
  if (orphaned_zombies) {
    m_init_group->child_changed();
  }
  for (const auto& process : survivors) {
    process->exit_all(ExitStatus::killed(SIGKILL));
  }
}

}  // namespace moat::sentry
