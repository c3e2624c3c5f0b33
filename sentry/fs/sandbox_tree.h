#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "sentry/vfs/vfs.h"

namespace moat::sentry {

struct SandboxTreeOptions {
  std::string rootfs = "/";           // the host directory that is the sandbox's root, read-only
  uint64_t tmpfs_bytes = 1ull << 30;  // what each tmpfs (/tmp, /dev/shm) may hold
  uint32_t uid = 0;                   // owner of the sandbox's own directories
  uint32_t gid = 0;
};

// The sandbox's file tree (DESIGN.md, "Files"): the host root directory
// read-only, tmpfs on /tmp and /dev/shm, moat's /dev, and an empty /sys.
// /proc is mounted by the Kernel, whose state it shows.
Result<std::shared_ptr<Vfs>, Error> build_sandbox_tree(const SandboxTreeOptions& options);

// Device numbers of moat's own file systems (anonymous, as Linux's are).
inline constexpr uint64_t kProcDev = 0x16;
inline constexpr uint64_t kDevDev = 0x5;
inline constexpr uint64_t kTmpDev = 0x20;
inline constexpr uint64_t kShmDev = 0x19;
inline constexpr uint64_t kSysDev = 0x15;

}  // namespace moat::sentry
