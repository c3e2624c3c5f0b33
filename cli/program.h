#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace moat::sentry {
class Vfs;
class Dentry;
}  // namespace moat::sentry

namespace moat::cli {

struct ProgramError {
  enum Kind { kNotFound, kCannotExecute };
  Kind kind;
  std::string message;  // "NAME: No such file or directory"
};

// The executable the user named, found in the sandbox's file tree the way a
// shell finds it (a name without a slash is looked up in the guest's PATH)
// and read into memory.
struct Program {
  std::shared_ptr<sentry::Dentry> dentry;
  std::string guest_path;  // absolute, in the sandbox
  std::vector<std::byte> bytes;
};

// Finds `name` from the working directory `cwd` (both in `vfs`), searching
// `path_env` (a PATH value) for a name without a slash.
Result<Program, ProgramError> open_program(const sentry::Vfs& vfs,
                                           const std::shared_ptr<sentry::Dentry>& cwd,
                                           const std::string& name, const std::string& path_env,
                                           uint32_t uid, uint32_t gid);

}  // namespace moat::cli
