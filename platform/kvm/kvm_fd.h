#pragma once

#include <sys/ioctl.h>

#include <cerrno>

#include "base/result.h"

namespace moat::kvm {

// Issues a KVM ioctl, retrying on EINTR; errors name the request.
template <typename Arg>
Result<int, Error> kvm_ioctl(int fd, unsigned long request, const char* name, Arg arg) {
  for (;;) {
    int ret = ::ioctl(fd, request, arg);
    if (ret >= 0) {
      return ret;
    }
    if (errno != EINTR) {
      return host_error(name, errno);
    }
  }
}

#define KVM_IOCTL(fd, request, arg) ::moat::kvm::kvm_ioctl((fd), (request), #request, (arg))

}  // namespace moat::kvm
