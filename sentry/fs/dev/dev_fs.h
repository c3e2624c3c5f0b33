#pragma once

#include <memory>

#include "sentry/fs/tmpfs/tmpfs.h"

namespace moat::sentry {

// The sandbox's /dev: a small tmpfs holding null, zero, full, random,
// urandom and tty, the links fd, stdin, stdout and stderr into /proc, and
// the directories shm and pts (the first gets its own tmpfs mounted on it).
std::shared_ptr<TmpfsInode> make_dev_fs(uint64_t dev, uint32_t uid, uint32_t gid);

}  // namespace moat::sentry
