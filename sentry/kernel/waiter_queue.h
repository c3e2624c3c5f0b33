#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace moat::sentry {

class Task;

// The tasks waiting for something to happen to one object (a pipe; later an
// eventfd, a socket, an epoll instance), each with the events it waits for
// (POLLIN, POLLOUT, ...). Whoever changes the object's state calls notify()
// with the events the change may have caused; the woken tasks look at the
// state again themselves.
//
// A waiter registers before it checks the state it waits on and sleeps with
// Task::sleep, whose predicate must not take a lock that a notifier holds
// while calling notify() (notify takes each woken task's sleep lock). A
// generation counter the notifier bumps before notifying is the simple way.
// Thread-safe.
class WaiterQueue {
 public:
  static constexpr uint32_t kAllEvents = ~uint32_t{0};

  WaiterQueue() = default;
  WaiterQueue(const WaiterQueue&) = delete;
  WaiterQueue& operator=(const WaiterQueue&) = delete;

  // `task` is woken by notifications that share a bit with `events` until it
  // is removed. A task is registered at most once per queue.
  void add(Task* task, uint32_t events = kAllEvents);
  void remove(Task* task);
  // Wakes (Task::wake) every waiter whose events share a bit with `events`.
  void notify(uint32_t events);
  void notify_all() { notify(kAllEvents); }
  bool empty() const;

  // Registration for the life of a scope.
  class Scoped {
   public:
    Scoped(WaiterQueue& queue, Task* task, uint32_t events = kAllEvents)
        : m_queue(queue), m_task(task) {
      m_queue.add(m_task, events);
    }
    ~Scoped() { m_queue.remove(m_task); }
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;

   private:
    WaiterQueue& m_queue;
    Task* m_task;
  };

 private:
  struct Waiter {
    Task* task;
    uint32_t events;
  };

  mutable std::mutex m_lock;
  std::vector<Waiter> m_waiters;  // few at a time: a vector beats a list
};

}  // namespace moat::sentry
