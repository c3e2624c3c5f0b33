#include "sentry/vfs/file_description.h"

namespace moat::sentry {

Result<uint64_t> FileDescription::ioctl(Task&, uint32_t, uint64_t) {
  return Errno::kENOTTY;
}

}  // namespace moat::sentry
