#include "sentry/fs/sandbox_tree.h"

#include "sentry/fs/dev/dev_fs.h"
#include "sentry/fs/host/host_fs.h"
#include "sentry/fs/tmpfs/layered_dir.h"
#include "sentry/fs/tmpfs/tmpfs.h"

namespace moat::sentry {

Result<std::shared_ptr<Vfs>, Error> build_sandbox_tree(const SandboxTreeOptions& options) {
  auto root = TRY(HostInode::open_root(options.rootfs));
  auto vfs = std::make_shared<Vfs>(std::move(root));
  vfs->mount("/dev", make_dev_fs(kDevDev, options.uid, options.gid));
  vfs->mount("/dev/shm",
             TmpfsInode::new_fs(kShmDev, options.tmpfs_bytes, 01777, options.uid, options.gid));
  // /tmp: the sandbox's tmpfs over the root's own /tmp, whose files stay
  // visible read-only (programs that live under the host's /tmp still run).
  auto tmp = TmpfsInode::new_fs(kTmpDev, options.tmpfs_bytes, 01777, options.uid, options.gid);
  auto below = vfs->lookup(vfs->root(), vfs->root(), "/tmp", false);
  if (below && (*below)->inode()->is_dir()) {
    vfs->mount("/tmp", std::make_shared<LayeredDir>(std::move(tmp), (*below)->inode()));
  } else {
    vfs->mount("/tmp", std::move(tmp));
  }
  // FIXME: the host's /sys is not the guest's to see; what programs read of
  // it (cpu counts) is still to come.
  vfs->mount("/sys", TmpfsInode::new_fs(kSysDev, 0, 0555, options.uid, options.gid));
  return vfs;
}

}  // namespace moat::sentry
