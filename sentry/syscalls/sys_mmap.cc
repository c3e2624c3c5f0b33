#include <sys/mman.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

constexpr int kMapUninitialized = 0x4000000;  // linux/mman.h
constexpr int kKnownProt = PROT_READ | PROT_WRITE | PROT_EXEC;
constexpr int kProtGrowsFlags = PROT_GROWSDOWN | PROT_GROWSUP;
// Flags mmap accepts (and, for MAP_SHARED_VALIDATE, validates).
constexpr int kKnownMapFlags =
    MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE |
    MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK |
    MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | kMapUninitialized | (0x3f << MAP_HUGE_SHIFT);

}  // namespace

// Implements Linux syscall mmap(2) for anonymous memory.
// FIXME: file mappings need the file system; they get ENODEV for now.
SysResult sys_mmap(Task& t, UserAddr addr, uint64_t length, int prot, int flags, int fd,
                   uint64_t offset) {
  const int type = flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) {
    return Errno::kEINVAL;
  }
  if (type == MAP_SHARED_VALIDATE && (flags & ~kKnownMapFlags) != 0) {
    return Errno::kENOTSUP;
  }
  if ((prot & ~kKnownProt) != 0) {
    return Errno::kEINVAL;
  }
  if (length == 0 || (offset & (kPageSize - 1)) != 0) {
    return Errno::kEINVAL;
  }
  if (!(flags & MAP_ANONYMOUS)) {
    TRY(t.fds().get(fd));
    return Errno::kENODEV;
  }
  if (flags & MAP_HUGETLB) {
    // No huge pages are reserved in the sandbox, as on a default Linux.
    return Errno::kENOMEM;
  }
  MapRequest request;
  request.addr = addr.value;
  request.length = length;
  request.prot = static_cast<uint32_t>(prot);
  request.shared = type != MAP_PRIVATE;
  request.fixed = (flags & MAP_FIXED) != 0;
  request.noreplace = (flags & MAP_FIXED_NOREPLACE) != 0 && !request.fixed;
  request.grows_down = (flags & MAP_GROWSDOWN) != 0;
  uint64_t start = TRY(t.mm().map_anonymous(std::move(request)));
  if ((flags & MAP_POPULATE) && !(flags & MAP_NONBLOCK) && prot != PROT_NONE) {
    // Populate as Linux does; failures are not reported to the caller.
    (void)t.mm().host_iovecs(start, length, platform::Access::kRead);
  }
  return start;
}

// Implements Linux syscall munmap(2).
SysResult sys_munmap(Task& t, UserAddr addr, uint64_t length) {
  TRY(t.mm().unmap(addr.value, length));
  return 0;
}

// Implements Linux syscall mprotect(2). PROT_GROWSDOWN/UP are accepted and
// apply to the given range only.
SysResult sys_mprotect(Task& t, UserAddr addr, uint64_t length, int prot) {
  if ((prot & kProtGrowsFlags) == kProtGrowsFlags) {
    return Errno::kEINVAL;
  }
  TRY(t.mm().protect(addr.value, length, static_cast<uint32_t>(prot & ~kProtGrowsFlags)));
  return 0;
}

// Implements Linux syscall brk(2).
SysResult sys_brk(Task& t, UserAddr addr) {
  return t.mm().brk(addr.value);
}

}  // namespace moat::sentry
