// Structures as strace 6.1 prints them by default (abbreviated, no -v). The
// guest's layouts are this build's: moat runs guests of its own architecture.

#include <fmt/format.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <termios.h>

#include <cstring>
#include <ctime>

#include "sentry/strace/format.h"
#include "sentry/strace/format_internal.h"

namespace moat::sentry::strace {

using detail::flags;
using detail::hex;
using detail::Named;
using detail::read_struct;

// --- time ------------------------------------------------------------------

namespace {

std::string timespec_text(const timespec& ts) {
  return fmt::format("{{tv_sec={}, tv_nsec={}}}", static_cast<int64_t>(ts.tv_sec),
                     static_cast<uint64_t>(ts.tv_nsec));
}

std::string timeval_text(const timeval& tv) {
  return fmt::format("{{tv_sec={}, tv_usec={}}}", static_cast<int64_t>(tv.tv_sec),
                     static_cast<uint64_t>(tv.tv_usec));
}

}  // namespace

std::string format_timespec(const GuestReader& mem, uint64_t addr) {
  const std::optional<timespec> ts = read_struct<timespec>(mem, addr);
  return ts ? timespec_text(*ts) : format_address(addr);
}

std::string format_timeval(const GuestReader& mem, uint64_t addr) {
  const std::optional<timeval> tv = read_struct<timeval>(mem, addr);
  return tv ? timeval_text(*tv) : format_address(addr);
}

// --- files and resources -------------------------------------------------------

std::string format_stat(const GuestReader& mem, uint64_t addr) {
  // glibc's struct stat is the kernel's on x86-64 and arm64.
  const std::optional<struct stat> st = read_struct<struct stat>(mem, addr);
  if (!st) {
    return format_address(addr);
  }
  std::string out = "{st_mode=" + format_file_mode(st->st_mode);
  switch (st->st_mode & S_IFMT) {
    case S_IFCHR:
    case S_IFBLK:
      out += fmt::format(", st_rdev=makedev({}, {})", hex(major(st->st_rdev)),
                         hex(minor(st->st_rdev)));
      break;
    default:
      out += fmt::format(", st_size={}", static_cast<uint64_t>(st->st_size));
      break;
  }
  return out + ", ...}";
}

namespace {

// strace's print_rlim64_t: RLIM64_INFINITY, multiples of 1024 as `8192*1024`.
std::string rlim_text(uint64_t lim) {
  if (lim == UINT64_MAX) {
    return "RLIM64_INFINITY";
  }
  if (lim > 1024 && lim % 1024 == 0) {
    return fmt::format("{}*1024", lim / 1024);
  }
  return std::to_string(lim);
}

}  // namespace

std::string format_rlimit(const GuestReader& mem, uint64_t addr) {
  struct Rlimit64 {
    uint64_t cur;
    uint64_t max;
  };
  const std::optional<Rlimit64> rl = read_struct<Rlimit64>(mem, addr);
  if (!rl) {
    return format_address(addr);
  }
  return fmt::format("{{rlim_cur={}, rlim_max={}}}", rlim_text(rl->cur), rlim_text(rl->max));
}

std::string format_rusage(const GuestReader& mem, uint64_t addr) {
  const std::optional<rusage> ru = read_struct<rusage>(mem, addr);
  if (!ru) {
    return format_address(addr);
  }
  return fmt::format("{{ru_utime={}, ru_stime={}, ...}}", timeval_text(ru->ru_utime),
                     timeval_text(ru->ru_stime));
}

std::string format_utsname(const GuestReader& mem, uint64_t addr) {
  const std::optional<utsname> uts = read_struct<utsname>(mem, addr);
  if (!uts) {
    return format_address(addr);
  }
  // Each field up to its NUL; one with no NUL shows 64 bytes and `...`.
  const auto field = [](const char(&f)[sizeof(utsname::sysname)]) {
    const size_t len = strnlen(f, sizeof(f) - 1);
    return quote(std::string_view(f, len), len == sizeof(f) - 1 && f[len] != '\0');
  };
  return fmt::format("{{sysname={}, nodename={}, ...}}", field(uts->sysname), field(uts->nodename));
}

// --- terminals -------------------------------------------------------------------

std::string format_winsize(const GuestReader& mem, uint64_t addr) {
  const std::optional<winsize> ws = read_struct<winsize>(mem, addr);
  if (!ws) {
    return format_address(addr);
  }
  return fmt::format("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", ws->ws_row, ws->ws_col,
                     ws->ws_xpixel, ws->ws_ypixel);
}

namespace {

// The kernel's struct termios (<asm/termbits.h>), which differs from glibc's.
struct KernelTermios {
  uint32_t c_iflag;
  uint32_t c_oflag;
  uint32_t c_cflag;
  uint32_t c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};

// The kernel's CIBAUD shift and BOTHER (<asm/termbits.h>).
constexpr uint32_t kIbshift = 16;
constexpr uint64_t kBother = 0010000;

std::string termios_oflag(uint32_t oflag) {
  // Each delay field by name, zero included (NL0), then the flags.
  static constexpr Named kNl[] = {MOAT_NAMED(NL0), MOAT_NAMED(NL1)};
  static constexpr Named kCr[] = {MOAT_NAMED(CR0), MOAT_NAMED(CR1), MOAT_NAMED(CR2),
                                  MOAT_NAMED(CR3)};
  // XTABS is TAB3; strace prints XTABS.
  static constexpr Named kTab[] = {MOAT_NAMED(XTABS), MOAT_NAMED(TAB0), MOAT_NAMED(TAB1),
                                   MOAT_NAMED(TAB2)};
  static constexpr Named kBs[] = {MOAT_NAMED(BS1), MOAT_NAMED(BS0)};
  static constexpr Named kVt[] = {MOAT_NAMED(VT0), MOAT_NAMED(VT1)};
  static constexpr Named kFf[] = {MOAT_NAMED(FF0), MOAT_NAMED(FF1)};
  static constexpr Named kFlags[] = {
      MOAT_NAMED(OPOST), MOAT_NAMED(OLCUC),  MOAT_NAMED(ONLCR), MOAT_NAMED(OCRNL),
      MOAT_NAMED(ONOCR), MOAT_NAMED(ONLRET), MOAT_NAMED(OFILL), MOAT_NAMED(OFDEL),
  };
  struct Field {
    std::span<const Named> table;
    uint32_t mask;
    const char* unknown;
  };
  const Field fields[] = {
      {kNl, NLDLY, "NL?"}, {kCr, CRDLY, "CR?"}, {kTab, TABDLY, "TAB?"},
      {kBs, BSDLY, "BS?"}, {kVt, VTDLY, "VT?"}, {kFf, FFDLY, "FF?"},
  };
  std::string out;
  for (const Field& f : fields) {
    out += detail::xval(f.table, oflag & f.mask, f.unknown) + "|";
    oflag &= ~f.mask;
  }
  // strace leaves the trailing `|` when no flag remains.
  return out + flags(kFlags, oflag, nullptr);
}

std::string termios_cflag(uint32_t cflag) {
  static constexpr Named kBauds[] = {
      MOAT_NAMED(B0),       MOAT_NAMED(B50),      MOAT_NAMED(B75),      MOAT_NAMED(B110),
      MOAT_NAMED(B134),     MOAT_NAMED(B150),     MOAT_NAMED(B200),     MOAT_NAMED(B300),
      MOAT_NAMED(B600),     MOAT_NAMED(B1200),    MOAT_NAMED(B1800),    MOAT_NAMED(B2400),
      MOAT_NAMED(B4800),    MOAT_NAMED(B9600),    MOAT_NAMED(B19200),   MOAT_NAMED(B38400),
      MOAT_NAMED(B57600),   MOAT_NAMED(B115200),  MOAT_NAMED(B230400),  MOAT_NAMED(B460800),
      MOAT_NAMED(B500000),  MOAT_NAMED(B576000),  MOAT_NAMED(B921600),  MOAT_NAMED(B1000000),
      MOAT_NAMED(B1152000), MOAT_NAMED(B1500000), MOAT_NAMED(B2000000), MOAT_NAMED(B2500000),
      MOAT_NAMED(B3000000), MOAT_NAMED(B3500000), MOAT_NAMED(B4000000), {kBother, "BOTHER"},
  };
  static constexpr Named kSizes[] = {MOAT_NAMED(CS5), MOAT_NAMED(CS6), MOAT_NAMED(CS7),
                                     MOAT_NAMED(CS8)};
  static constexpr Named kFlags[] = {
      MOAT_NAMED(CSTOPB), MOAT_NAMED(CREAD),  MOAT_NAMED(PARENB), MOAT_NAMED(PARODD),
      MOAT_NAMED(HUPCL),  MOAT_NAMED(CLOCAL), MOAT_NAMED(CMSPAR), MOAT_NAMED(CRTSCTS),
  };
  std::string out = detail::xval(kBauds, cflag & CBAUD, "B???") + "|";
  if ((cflag & CIBAUD) != 0) {
    out += detail::xval(kBauds, (cflag & CIBAUD) >> kIbshift, "B???") + "<<IBSHIFT|";
  }
  out += detail::xval(kSizes, cflag & CSIZE, "CS?") + "|";
  return out + flags(kFlags, cflag & ~(CBAUD | CIBAUD | CSIZE), nullptr);
}

}  // namespace

std::string format_termios(const GuestReader& mem, uint64_t addr) {
  static constexpr Named kIflags[] = {
      MOAT_NAMED(IGNBRK), MOAT_NAMED(BRKINT),  MOAT_NAMED(IGNPAR), MOAT_NAMED(PARMRK),
      MOAT_NAMED(INPCK),  MOAT_NAMED(ISTRIP),  MOAT_NAMED(INLCR),  MOAT_NAMED(IGNCR),
      MOAT_NAMED(ICRNL),  MOAT_NAMED(IUCLC),   MOAT_NAMED(IXON),   MOAT_NAMED(IXANY),
      MOAT_NAMED(IXOFF),  MOAT_NAMED(IMAXBEL), MOAT_NAMED(IUTF8),
  };
  static constexpr Named kLflags[] = {
      MOAT_NAMED(ISIG),   MOAT_NAMED(ICANON),  MOAT_NAMED(XCASE),   MOAT_NAMED(ECHO),
      MOAT_NAMED(ECHOE),  MOAT_NAMED(ECHOK),   MOAT_NAMED(ECHONL),  MOAT_NAMED(NOFLSH),
      MOAT_NAMED(IEXTEN), MOAT_NAMED(ECHOCTL), MOAT_NAMED(ECHOPRT), MOAT_NAMED(ECHOKE),
      MOAT_NAMED(FLUSHO), MOAT_NAMED(PENDIN),  MOAT_NAMED(TOSTOP),  MOAT_NAMED(EXTPROC),
  };
  const std::optional<KernelTermios> t = read_struct<KernelTermios>(mem, addr);
  if (!t) {
    return format_address(addr);
  }
  // strace prints nothing for an empty c_iflag or c_lflag: `c_iflag=, `.
  return fmt::format("{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}",
                     flags(kIflags, t->c_iflag, nullptr), termios_oflag(t->c_oflag),
                     termios_cflag(t->c_cflag), flags(kLflags, t->c_lflag, nullptr));
}

// --- small values by reference ---------------------------------------------------

std::string format_int_ptr(const GuestReader& mem, uint64_t addr) {
  const std::optional<int32_t> v = read_struct<int32_t>(mem, addr);
  return v ? fmt::format("[{}]", *v) : format_address(addr);
}

std::string format_fd_pair(const GuestReader& mem, uint64_t addr) {
  struct FdPair {
    int32_t fds[2];
  };
  const std::optional<FdPair> p = read_struct<FdPair>(mem, addr);
  return p ? fmt::format("[{}, {}]", p->fds[0], p->fds[1]) : format_address(addr);
}

// --- arrays ------------------------------------------------------------------------

std::string format_iovec(const GuestReader& mem, uint64_t addr, uint64_t count, uint64_t data_len,
                         const FormatOptions& opts) {
  struct GuestIovec {
    uint64_t base;
    uint64_t len;
  };
  // data_len is shared out across the elements in order; UINT64_MAX is no
  // bound at all.
  uint64_t left = data_len;
  return detail::format_array(
      mem, addr, count, sizeof(GuestIovec), opts.string_limit, [&](const unsigned char* bytes) {
        GuestIovec iov;
        std::memcpy(&iov, bytes, sizeof(iov));
        const uint64_t shown = std::min(iov.len, left);
        if (left != UINT64_MAX) {
          left -= shown;
        }
        return fmt::format("{{iov_base={}, iov_len={}}}", format_buffer(mem, iov.base, shown, opts),
                           iov.len);
      });
}

std::string format_iovec_addresses(const GuestReader& mem, uint64_t addr, uint64_t count,
                                   const FormatOptions& opts) {
  struct GuestIovec {
    uint64_t base;
    uint64_t len;
  };
  return detail::format_array(
      mem, addr, count, sizeof(GuestIovec), opts.string_limit, [&](const unsigned char* bytes) {
        GuestIovec iov;
        std::memcpy(&iov, bytes, sizeof(iov));
        return fmt::format("{{iov_base={}, iov_len={}}}", format_address(iov.base), iov.len);
      });
}

namespace {

std::string time_of(int64_t seconds) {
  const auto t = static_cast<time_t>(seconds);
  tm local{};
  char text[64];
  if (localtime_r(&t, &local) == nullptr || strftime(text, sizeof(text), "%FT%T%z", &local) == 0) {
    return "";
  }
  return text;
}

}  // namespace

std::string format_time_result(int64_t seconds) {
  return fmt::format("{} ({})", seconds, time_of(seconds));
}

std::string format_time_ptr(const GuestReader& mem, uint64_t addr) {
  int64_t seconds;
  if (addr == 0 || !mem.read(addr, &seconds, sizeof(seconds))) {
    return format_address(addr);
  }
  return fmt::format("[{} /* {} */]", seconds, time_of(seconds));
}

std::string format_pollfds(const GuestReader& mem, uint64_t addr, uint64_t count) {
  return detail::format_array(mem, addr, count, sizeof(pollfd), FormatOptions{}.string_limit,
                              [](const unsigned char* bytes) {
                                pollfd p;
                                std::memcpy(&p, bytes, sizeof(p));
                                if (p.fd < 0) {
                                  return fmt::format("{{fd={}}}", p.fd);
                                }
                                return fmt::format(
                                    "{{fd={}, events={}}}", p.fd,
                                    format_poll_events(static_cast<uint16_t>(p.events)));
                              });
}

std::string format_pollfds_revents(const GuestReader& mem, uint64_t addr, uint64_t count) {
  // Only the entries with revents set; nothing at all when there are none.
  const auto nfds = static_cast<uint32_t>(count);
  if (addr == 0 || nfds == 0 || addr + uint64_t{nfds} * sizeof(pollfd) < addr) {
    return "";
  }
  std::string out;
  size_t printed = 0;
  for (uint64_t i = 0; i < nfds; ++i) {
    const uint64_t cur = addr + i * sizeof(pollfd);
    pollfd p;
    if (!mem.read(cur, &p, sizeof(p))) {
      out += out.empty() ? "[" : ", ";
      out += hex(cur);
      break;
    }
    if (p.revents == 0) {
      continue;
    }
    out += out.empty() ? "[" : ", ";
    if (printed >= FormatOptions{}.string_limit) {
      out += "...";
      break;
    }
    out += fmt::format("{{fd={}, revents={}}}", p.fd,
                       detail::poll_event_names(static_cast<uint16_t>(p.revents)));
    ++printed;
  }
  return out.empty() ? out : out + "]";
}

namespace {

std::string epoll_event_text(const epoll_event& e) {
  // Copies: x86-64's epoll_event is packed. The tracer can't know which
  // member of the data union is in use, so it shows two.
  const uint32_t events = e.events;
  const uint32_t u32 = e.data.u32;
  const uint64_t u64 = e.data.u64;
  return fmt::format("{{events={}, data={{u32={}, u64={}}}}}", format_epoll_events(events), u32,
                     u64);
}

}  // namespace

std::string format_epoll_event(const GuestReader& mem, uint64_t addr) {
  const std::optional<epoll_event> ev = read_struct<epoll_event>(mem, addr);
  return ev ? epoll_event_text(*ev) : format_address(addr);
}

std::string format_epoll_events_array(const GuestReader& mem, uint64_t addr, uint64_t count) {
  return detail::format_array(mem, addr, count, sizeof(epoll_event), FormatOptions{}.string_limit,
                              [](const unsigned char* bytes) {
                                epoll_event e;
                                std::memcpy(&e, bytes, sizeof(e));
                                return epoll_event_text(e);
                              });
}

}  // namespace moat::sentry::strace
