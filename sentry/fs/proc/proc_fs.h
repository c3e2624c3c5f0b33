#pragma once

#include <memory>

#include "sentry/vfs/inode.h"

namespace moat::sentry {

class Kernel;

// The sandbox's /proc: "self", "thread-self" and a directory per process
// with "exe", "cwd", "root" and "fd/". Contents are made when looked up,
// from the kernel's live state; "self" is the calling task's process.
// FIXME: status, stat, maps, cmdline, environ, fdinfo and the system-wide
// files (cpuinfo, meminfo, ...) are still missing.
std::shared_ptr<Inode> make_proc_fs(Kernel& kernel, uint64_t dev);

}  // namespace moat::sentry
