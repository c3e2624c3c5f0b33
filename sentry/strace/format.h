#pragma once

// strace's vocabulary: how strace 6.x prints values, structures and flag
// sets. Pure functions over values and bytes already copied from the guest;
// the only guest access is through GuestReader, for structures that point
// elsewhere (iovec arrays, msghdr). Constants come from this build's system
// headers: moat is built for the same architecture as its guests, so
// <fcntl.h> and friends give the guest's values.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace moat::sentry::strace {

// Reads guest memory for the decoders. Implementations must never fault:
// unreadable memory is reported as failure, and strace then prints the
// address instead of the contents.
class GuestReader {
 public:
  virtual ~GuestReader() = default;
  virtual bool read(uint64_t addr, void* dst, size_t len) const = 0;
  // Up to `max_len` bytes of a NUL-terminated string at `addr` (the NUL not
  // included). Returns nullopt if the first byte is unreadable; if no NUL was
  // found within max_len bytes, *terminated is false.
  virtual std::optional<std::string> read_string(uint64_t addr, size_t max_len,
                                                 bool* terminated) const = 0;
};

// Printing options that change decoded output (strace's -s, -v/abbrev).
struct FormatOptions {
  size_t string_limit = 32;  // -s N
};

// --- scalars -------------------------------------------------------------

// `NULL` for 0, otherwise 0x-prefixed lowercase hex (strace's printaddr).
std::string format_address(uint64_t addr);
// A file descriptor argument: a plain int (the low 32 bits, signed).
std::string format_fd(uint64_t fd);
// A *at() directory fd: AT_FDCWD or an fd.
std::string format_dirfd(uint64_t fd);
// A mode_t as strace prints it: octal with leading 0 (`0644`), `000` for 0.
std::string format_mode(uint64_t mode);
// `S_IFREG|0644`: file type name and permission bits, as in struct stat.
std::string format_file_mode(uint64_t mode);

// --- strings -------------------------------------------------------------

// `"..."` quoting with strace's escapes (\t \n \v \f \r \" \\, other
// non-printables as the shortest octal, three digits when a digit follows).
// If `truncated`, appends `...` after the closing quote. `force_hex` prints
// every byte as \xNN (strace does this for getrandom's buffer).
std::string quote(std::string_view bytes, bool truncated, bool force_hex = false);
// A buffer argument of `len` bytes at `addr` (write's buf; read's buf with
// len = the return value): the first string_limit bytes quoted, `...` if
// longer; the address if unreadable.
std::string format_buffer(const GuestReader& mem, uint64_t addr, uint64_t len,
                          const FormatOptions& opts, bool force_hex = false);
// A NUL-terminated string argument (not a path): at most string_limit bytes.
std::string format_c_string(const GuestReader& mem, uint64_t addr, const FormatOptions& opts);
// A path argument: strace prints up to PATH_MAX, ignoring -s.
std::string format_path(const GuestReader& mem, uint64_t addr);
// execve's argv: `["prog", "a"]`, and envp printed as `0x7ffd... /* 3 vars */`.
std::string format_string_array(const GuestReader& mem, uint64_t addr, const FormatOptions& opts);
std::string format_env_array(const GuestReader& mem, uint64_t addr);

// --- symbolic values and flag sets ---------------------------------------
// Unknown bits print as hex after the known names (`O_RDONLY|0x40000000`),
// unknown values as strace does (`0x3001 /* ARCH_??? */`).

std::string format_open_flags(uint64_t flags);    // O_RDONLY|O_CLOEXEC
std::string format_at_flags(uint64_t flags);      // AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW, 0
std::string format_access_mode(uint64_t mode);    // F_OK, R_OK|W_OK
std::string format_whence(uint64_t whence);       // SEEK_SET
std::string format_prot(uint64_t prot);           // PROT_READ|PROT_WRITE, PROT_NONE
std::string format_mmap_flags(uint64_t flags);    // MAP_PRIVATE|MAP_ANONYMOUS
std::string format_mremap_flags(uint64_t flags);  // MREMAP_MAYMOVE
std::string format_madvise(uint64_t advice);      // MADV_DONTNEED
std::string format_msync_flags(uint64_t flags);   // MS_SYNC
// CLONE_VM|CLONE_FS|...|SIGCHLD: the low byte is the exit signal.
std::string format_clone_flags(uint64_t flags);
std::string format_socket_domain(uint64_t domain);                       // AF_INET
std::string format_socket_type(uint64_t type);                           // SOCK_STREAM|SOCK_CLOEXEC
std::string format_socket_protocol(uint64_t domain, uint64_t protocol);  // IPPROTO_TCP, 0
std::string format_msg_flags(uint64_t flags);                    // MSG_DONTWAIT|MSG_NOSIGNAL, 0
std::string format_shutdown_how(uint64_t how);                   // SHUT_WR
std::string format_sockopt_level(uint64_t level);                // SOL_SOCKET, SOL_TCP
std::string format_sockopt_name(uint64_t level, uint64_t name);  // SO_ERROR, TCP_NODELAY
std::string format_poll_events(uint64_t events);                 // POLLIN|POLLOUT
std::string format_epoll_events(uint64_t events);                // EPOLLIN|EPOLLET
std::string format_epoll_ctl_op(uint64_t op);                    // EPOLL_CTL_ADD
std::string format_epoll_create_flags(uint64_t flags);           // EPOLL_CLOEXEC
std::string format_efd_flags(uint64_t flags);                    // EFD_CLOEXEC|EFD_NONBLOCK
std::string format_pipe_flags(uint64_t flags);                   // O_CLOEXEC|O_NONBLOCK
std::string format_fcntl_cmd(uint64_t cmd);                      // F_GETFL, F_DUPFD_CLOEXEC
std::string format_fd_flags(uint64_t flags);                     // FD_CLOEXEC (F_SETFD's argument)
std::string format_ioctl_cmd(uint64_t cmd);        // TCGETS, FIONREAD, FIONBIO, SIOCGIFCONF, 0x1234
std::string format_signal(uint64_t signo);         // SIGSEGV, SIGRT_2, 0 for 0
std::string format_sigset(uint64_t mask);          // [INT TERM], ~[KILL STOP], []
std::string format_sigprocmask_how(uint64_t how);  // SIG_BLOCK
std::string format_sa_flags(uint64_t flags);       // SA_RESTORER|SA_RESTART
std::string format_si_code(int signo, int code);   // SEGV_MAPERR, SI_USER, CLD_EXITED
std::string format_wait_options(uint64_t options);      // WNOHANG|__WALL
std::string format_wait_status(int status);             // [{WIFEXITED(s) && WEXITSTATUS(s) == 0}]
std::string format_idtype(uint64_t idtype);             // P_PID
std::string format_futex_op(uint64_t op);               // FUTEX_WAIT_PRIVATE, FUTEX_WAKE_BITSET
std::string format_clock_id(uint64_t clock);            // CLOCK_MONOTONIC
std::string format_rlimit_resource(uint64_t resource);  // RLIMIT_STACK
std::string format_getrandom_flags(uint64_t flags);     // GRND_NONBLOCK, 0
std::string format_arch_prctl_code(uint64_t code);      // ARCH_SET_FS, 0x3001 /* ARCH_??? */
std::string format_rusage_who(uint64_t who);            // RUSAGE_SELF
std::string format_prctl_option(uint64_t option);       // PR_SET_NAME
std::string format_timerfd_flags(
    uint64_t flags);  // TFD_CLOEXEC (also timerfd_settime's TFD_TIMER_ABSTIME)
std::string format_dup3_flags(uint64_t flags);  // O_CLOEXEC

// errno: name and glibc's strerror text, as in `= -1 ENOENT (No such file
// or directory)`; the kernel-internal ERESTART* values too.
std::string_view errno_name(int err);
std::string_view errno_text(int err);
// The signal's name without the SIG prefix removed: SIGSEGV; SIGRT_3 style
// as strace prints real-time signals.
std::string signal_name(int signo);

// --- structures (guest layout = this build's layout) ----------------------

std::string format_timespec(const GuestReader& mem, uint64_t addr);  // {tv_sec=1, tv_nsec=5}
std::string format_timeval(const GuestReader& mem, uint64_t addr);   // {tv_sec=1, tv_usec=5}
// time(2)'s result and its output argument: `1795801336 (2026-11-27T17:42:16+0000)`
// and `[1795801336 /* 2026-11-27T17:42:16+0000 */]`, in local time as strace.
std::string format_time_result(int64_t seconds);
std::string format_time_ptr(const GuestReader& mem, uint64_t addr);
// Abbreviated as strace prints by default:
// {st_mode=S_IFREG|0644, st_size=12, ...}; for devices st_rdev=makedev(0x88, 0x1).
std::string format_stat(const GuestReader& mem, uint64_t addr);
std::string format_rlimit(const GuestReader& mem,
                          uint64_t addr);  // {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}
std::string format_utsname(const GuestReader& mem,
                           uint64_t addr);  // {sysname="Linux", nodename="moat", ...}
std::string format_winsize(const GuestReader& mem,
                           uint64_t addr);  // {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}
std::string format_termios(const GuestReader& mem, uint64_t addr);  // as strace abbreviates TCGETS
std::string format_int_ptr(const GuestReader& mem,
                           uint64_t addr);  // [5] (getresuid, socklen, optval)
std::string format_fd_pair(const GuestReader& mem, uint64_t addr);  // [3, 4] (pipe2, socketpair)
// readv/writev: [{iov_base="ab", iov_len=2}, ...]; `data_len` bounds the
// bytes shown across all elements (the return value for reads).
std::string format_iovec(const GuestReader& mem, uint64_t addr, uint64_t count, uint64_t data_len,
                         const FormatOptions& opts);
// The same array with each iov_base as an address: what strace shows for a
// readv that failed.
std::string format_iovec_addresses(const GuestReader& mem, uint64_t addr, uint64_t count,
                                   const FormatOptions& opts);
// poll/ppoll: [{fd=3, events=POLLIN}]; with `revents` on exit:
// [{fd=3, revents=POLLIN}] (only entries with revents set, as strace does).
std::string format_pollfds(const GuestReader& mem, uint64_t addr, uint64_t count);
std::string format_pollfds_revents(const GuestReader& mem, uint64_t addr, uint64_t count);
std::string format_sigset_at(const GuestReader& mem, uint64_t addr, uint64_t size);
// rt_sigreturn's argument as strace shows it: {mask=[...]}, the mask the
// signal frame (whose sigmask is at `mask_addr`) restores.
std::string format_sigreturn_mask(const GuestReader& mem, uint64_t mask_addr);
// stack_t (sigaltstack): {ss_sp=..., ss_flags=..., ss_size=N}.
std::string format_stack(const GuestReader& mem, uint64_t addr);
std::string format_sigaction(const GuestReader& mem,
                             uint64_t addr);  // {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}
// For SIGCHLD from the kernel (si_code > 0), `uid_or_status` is si_status
// and `child_uid` si_uid.
std::string format_siginfo(int signo, int code, uint64_t addr_or_pid, int uid_or_status,
                           int child_uid = 0);
std::string format_epoll_event(const GuestReader& mem, uint64_t addr);
std::string format_epoll_events_array(const GuestReader& mem, uint64_t addr, uint64_t count);
// sockaddr of `len` bytes: {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")},
// AF_UNIX (sun_path, abstract @names), AF_NETLINK {nl_pid, nl_groups}, AF_INET6.
std::string format_sockaddr(const GuestReader& mem, uint64_t addr, uint64_t len);
// msghdr with iov and control messages (SCM_RIGHTS [3], SCM_CREDENTIALS);
// `data_len` bounds the payload shown (the return value for recvmsg).
std::string format_msghdr(const GuestReader& mem, uint64_t addr, uint64_t data_len,
                          const FormatOptions& opts);
std::string format_rusage(const GuestReader& mem, uint64_t addr);  // abbreviated as strace

}  // namespace moat::sentry::strace
