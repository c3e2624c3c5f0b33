#include "cli/program.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstring>
#include <optional>

#include "sentry/vfs/vfs.h"

namespace moat::cli {
namespace {

ProgramError cannot_execute(const std::string& name, int err) {
  return ProgramError{ProgramError::kCannotExecute, name + ": " + std::strerror(err)};
}

// Execute permission as Linux grants it: root needs any execute bit.
bool executable(const sentry::FileStat& st, uint32_t uid, uint32_t gid) {
  if (uid == 0) {
    return (st.mode & 0111) != 0;
  }
  if (st.uid == uid) {
    return (st.mode & S_IXUSR) != 0;
  }
  if (st.gid == gid) {
    return (st.mode & S_IXGRP) != 0;
  }
  return (st.mode & S_IXOTH) != 0;
}

}  // namespace

Result<Program, ProgramError> open_program(const sentry::Vfs& vfs,
                                           const std::shared_ptr<sentry::Dentry>& cwd,
                                           const std::string& name, const std::string& path_env,
                                           uint32_t uid, uint32_t gid) {
  if (name.empty()) {
    return ProgramError{ProgramError::kNotFound, "'': No such file or directory"};
  }
  std::shared_ptr<sentry::Dentry> found;
  if (name.find('/') != std::string::npos) {
    auto dentry = vfs.lookup(vfs.root(), cwd, name, true);
    if (!dentry) {
      const int err = to_int(dentry.error());
      if (err == ENOENT || err == ENOTDIR) {
        return ProgramError{ProgramError::kNotFound, name + ": " + std::strerror(err)};
      }
      return cannot_execute(name, err);
    }
    found = *dentry;
  } else {
    // As execvp: the first executable regular file along PATH.
    const std::string dirs = path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env;
    size_t start = 0;
    while (start <= dirs.size() && !found) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) {
        end = dirs.size();
      }
      const std::string dir = dirs.substr(start, end - start);
      const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      auto dentry = vfs.lookup(vfs.root(), cwd, candidate, true);
      if (dentry && (*dentry)->inode()->is_regular()) {
        auto st = (*dentry)->inode()->stat();
        if (st && executable(*st, uid, gid)) {
          found = *dentry;
        }
      }
      start = end + 1;
    }
    if (!found) {
      return ProgramError{ProgramError::kNotFound, name + ": command not found"};
    }
  }
  sentry::Inode& inode = *found->inode();
  if (inode.is_dir()) {
    return cannot_execute(name, EISDIR);
  }
  auto st = inode.stat();
  if (!st) {
    return cannot_execute(name, to_int(st.error()));
  }
  if (!inode.is_regular() || !executable(*st, uid, gid)) {
    return cannot_execute(name, EACCES);
  }
  Program program;
  program.dentry = found;
  program.guest_path = found->path();
  program.bytes.resize(static_cast<size_t>(st->size));
  size_t done = 0;
  while (done < program.bytes.size()) {
    iovec v{program.bytes.data() + done, program.bytes.size() - done};
    auto n = inode.read_at(std::span(&v, 1), done);
    if (!n) {
      return cannot_execute(name, to_int(n.error()));
    }
    if (*n == 0) {
      break;
    }
    done += *n;
  }
  program.bytes.resize(done);
  return program;
}

}  // namespace moat::cli
