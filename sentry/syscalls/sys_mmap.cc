#include <sys/mman.h>

#include <climits>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/file_description.h"
#include "sentry/vfs/mapped_inode.h"

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

// Implements Linux syscall mmap(2).
// Partial: a MAP_SHARED mapping of a file is read-only (PROT_WRITE: ENODEV),
// as writes through it could not reach the file yet.
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
  if (flags & MAP_HUGETLB) {
    // No huge pages are reserved in the sandbox, as on a default Linux.
    return Errno::kENOMEM;
  }
  MapRequest request;
  if (!(flags & MAP_ANONYMOUS)) {
    auto file = TRY(t.fds().get(fd));
    if (file->path_only()) {
      return Errno::kEBADF;
    }
    auto inode = file->mappable_inode();
    if (!inode) {
      return Errno::kENODEV;
    }
    if (!file->readable()) {
      return Errno::kEACCES;
    }
    if (type != MAP_PRIVATE) {
      if ((prot & PROT_WRITE) != 0) {
        if (!file->writable()) {
          return Errno::kEACCES;
        }
        // FIXME: shared writable file mappings.
        return Errno::kENODEV;
      }
      request.max_prot = PROT_READ | PROT_EXEC;
    }
    if (offset > static_cast<uint64_t>(INT64_MAX) - length) {
      return Errno::kEOVERFLOW;
    }
    request.file = TRY(MappedInode::of(std::move(inode)));
    request.offset = offset;
    request.name = file->dentry() ? file->dentry()->path() : std::string();
  }
  request.addr = addr.value;
  request.length = length;
  request.prot = static_cast<uint32_t>(prot);
  request.shared = type != MAP_PRIVATE;
  request.fixed = (flags & MAP_FIXED) != 0;
  request.noreplace = (flags & MAP_FIXED_NOREPLACE) != 0 && !request.fixed;
  request.grows_down = (flags & MAP_GROWSDOWN) != 0;
  uint64_t start = TRY(t.mm().map(std::move(request)));
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

constexpr int kMadvSoftOffline = 101;  // not in every libc's headers

// Implements Linux syscall msync(2). Anonymous memory has nothing to write
// back, so the checks are the whole call.
// FIXME: file-backed shared mappings (with the file system) write back here.
SysResult sys_msync(Task& t, UserAddr addr, uint64_t length, int flags) {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0 ||
      ((flags & MS_ASYNC) != 0 && (flags & MS_SYNC) != 0)) {
    return Errno::kEINVAL;
  }
  TRY(t.mm().check_mapped(addr.value, length));
  return 0;
}

// Implements Linux syscall madvise(2).
SysResult sys_madvise(Task& t, UserAddr addr, uint64_t length, int advice) {
  switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
      break;
    case MADV_HWPOISON:
    case kMadvSoftOffline:
      return Errno::kEPERM;  // CAP_SYS_ADMIN, which a sandbox never has
    default:
      return Errno::kEINVAL;
  }
  if (!is_page_aligned(addr.value)) {
    return Errno::kEINVAL;
  }
  if (length != 0 && !page_round_up(length)) {
    return Errno::kEINVAL;
  }
  if (length == 0) {
    return 0;
  }
  if (addr.value > MemoryManager::kTaskSize || length > MemoryManager::kTaskSize - addr.value) {
    return Errno::kENOMEM;
  }
  // Linux advises what is mapped, then reports a hole as ENOMEM.
  const Result<void> mapped = t.mm().check_mapped(addr.value, length);
  // Some advice is only for private anonymous memory (MADV_FREE,
  // MADV_WIPEONFORK), MADV_REMOVE only for memory with a shared backing.
  bool any_shared = false;
  bool any_private = false;
  const uint64_t end = addr.value + *page_round_up(length);
  for (const Vma& vma : t.mm().vmas()) {
    if (vma.end > addr.value && vma.start < end) {
      (vma.shared ? any_shared : any_private) = true;
    }
  }
  switch (advice) {
    case MADV_DONTNEED:
      t.mm().discard(addr.value, length);
      break;
    case MADV_FREE:  // the pages may go at once: Linux allows either
      if (any_shared) {
        return Errno::kEINVAL;
      }
      t.mm().discard(addr.value, length);
      break;
    case MADV_WIPEONFORK:
      // FIXME: remembered for fork (issue 6) once fork exists.
      if (any_shared) {
        return Errno::kEINVAL;
      }
      break;
    case MADV_REMOVE:
      // FIXME: shared memory is not shared with anyone until fork, so its
      // pages are kept rather than punched out.
      if (any_private) {
        return Errno::kEINVAL;
      }
      break;
    default:
      // Hints: moat pages on demand and has no swap, huge pages or KSM.
      break;
  }
  if (!mapped) {
    return mapped.error();
  }
  return 0;
}

// Implements Linux syscall mincore(2).
SysResult sys_mincore(Task& t, UserAddr addr, uint64_t length, UserAddr vec) {
  if (!is_page_aligned(addr.value)) {
    return Errno::kEINVAL;
  }
  if (length == 0) {
    return 0;
  }
  TRY(t.mm().check_mapped(addr.value, length));
  const std::vector<uint8_t> resident = t.mm().residency(addr.value, length);
  TRY(t.mm().copy_out(vec.value, std::as_bytes(std::span(resident))));
  return 0;
}

// Implements Linux syscall brk(2).
SysResult sys_brk(Task& t, UserAddr addr) {
  return t.mm().brk(addr.value);
}

}  // namespace moat::sentry
