#pragma once

// Path lookups for the *at(2) syscalls: dirfd and path in, dentries out.

#include <memory>
#include <string>

#include "base/result.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/vfs/file_stat.h"
#include "sentry/vfs/vfs.h"

namespace moat::sentry {

// The guest path at `path` (at most PATH_MAX - 1 bytes: ENAMETOOLONG).
Result<std::string> copy_in_path(Task& t, UserAddr path);
// Where a relative path starts: the working directory for AT_FDCWD, else
// the directory open as `dirfd` (EBADF, ENOTDIR).
Result<std::shared_ptr<Dentry>> start_dir(Task& t, int dirfd);
// Resolves `path` from `dirfd`; an absolute path ignores `dirfd`.
Result<std::shared_ptr<Dentry>> lookup_at(Task& t, int dirfd, const std::string& path,
                                          bool follow_last);
// The same, for AT_EMPTY_PATH-capable calls: an empty `path` with
// `empty_ok` means the file open as `dirfd` itself (any kind of file).
Result<std::shared_ptr<Dentry>> lookup_at_or_fd(Task& t, int dirfd, const std::string& path,
                                                bool follow_last, bool empty_ok);
// The parent directory and last name of `path` from `dirfd`.
Result<ParentLookup> lookup_parent_at(Task& t, int dirfd, const std::string& path);

// Linux's permission check (generic_permission) for the caller's ids:
// `mask` is R_OK, W_OK and X_OK bits. Root passes read and write always and
// execute if any execute bit is set (or for a directory).
bool may_access(Task& t, const FileStat& st, uint32_t mask);

}  // namespace moat::sentry
