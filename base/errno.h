#pragma once

#include <cerrno>
#include <string_view>

namespace moat {

// A Linux errno value, as the guest sees it. Guest-visible numbers are the
// generic Linux ones on both arm64 and amd64, so the host's <cerrno> names apply.
enum class Errno : int {
  kEPERM = EPERM,
  kENOENT = ENOENT,
  kESRCH = ESRCH,
  kEINTR = EINTR,
  kEIO = EIO,
  kENXIO = ENXIO,
  kE2BIG = E2BIG,
  kENOEXEC = ENOEXEC,
  kEBADF = EBADF,
  kECHILD = ECHILD,
  kEAGAIN = EAGAIN,
  kENOMEM = ENOMEM,
  kEACCES = EACCES,
  kEFAULT = EFAULT,
  kEBUSY = EBUSY,
  kEEXIST = EEXIST,
  kENODEV = ENODEV,
  kENOTDIR = ENOTDIR,
  kEISDIR = EISDIR,
  kEINVAL = EINVAL,
  kENFILE = ENFILE,
  kEMFILE = EMFILE,
  kENOTTY = ENOTTY,
  kEFBIG = EFBIG,
  kENOSPC = ENOSPC,
  kESPIPE = ESPIPE,
  kEROFS = EROFS,
  kEPIPE = EPIPE,
  kERANGE = ERANGE,
  kENAMETOOLONG = ENAMETOOLONG,
  kENOSYS = ENOSYS,
  kELOOP = ELOOP,
  kEOVERFLOW = EOVERFLOW,
  kENOTSUP = ENOTSUP,
  kETIMEDOUT = ETIMEDOUT,
  kENOTEMPTY = ENOTEMPTY,
  kESTALE = ESTALE,
  kELIBBAD = ELIBBAD,
  kENODATA = ENODATA,
  kEXDEV = EXDEV,
  kEMLINK = EMLINK,
  kETXTBSY = ETXTBSY,
  // The kernel's own codes for a syscall a signal interrupted; the guest
  // never sees them: signal delivery turns them into EINTR or a restart.
  kERESTARTSYS = 512,     // restart if the handler has SA_RESTART
  kERESTARTNOINTR = 513,  // always restart
  kERESTARTNOHAND = 514,  // restart only if no handler ran
};

constexpr int to_int(Errno e) {
  return static_cast<int>(e);
}

// The symbolic name ("ENOENT"), or "E?" for a number glibc does not know.
std::string_view errno_name(Errno e);

}  // namespace moat
