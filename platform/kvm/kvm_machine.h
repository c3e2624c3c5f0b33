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

namespace moat::kvm {

// Diagnostics for benchmarks: the cost of the bare hypervisor round trip
// (guest exit to moat and straight back in) with no stub and no paging, in
// a throwaway VM whose guest is a two-instruction loop. Nanoseconds per
// round trip.
Result<double, Error> measure_bare_exit_ns(int iterations);

}  // namespace moat::kvm
