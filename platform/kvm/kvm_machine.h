#pragma once

#include <memory>

#include "base/result.h"
#include "platform/platform.h"

namespace moat::kvm {

// Opens /dev/kvm and creates a VM with its guest memory and stub. Errors name
// the failing call; Error::sys_errno is ENOENT when /dev/kvm does not exist
// and EACCES when the caller may not open it.
Result<std::unique_ptr<platform::Machine>, Error> create_machine(
    const platform::MachineOptions& options);

}  // namespace moat::kvm
