#pragma once

// Declarations of every syscall handler named in syscalls.def. A handler
// takes typed arguments (decoded from registers by invoke.h) and returns the
// value for the guest's return register or an errno.

#include <cstdint>
#include <string>

#include "base/result.h"

namespace moat::sentry {

class Task;
struct CloneRequest;

// A guest virtual address, never dereferenced directly: it goes through the
// task's MemoryManager.
struct UserAddr {
  uint64_t value = 0;
  bool null() const { return value == 0; }
};

using SysResult = Result<uint64_t>;

// sys_read_write.cc
SysResult sys_read(Task& t, int fd, UserAddr buf, uint64_t count);
SysResult sys_write(Task& t, int fd, UserAddr buf, uint64_t count);
SysResult sys_readv(Task& t, int fd, UserAddr iov, int iovcnt);
SysResult sys_writev(Task& t, int fd, UserAddr iov, int iovcnt);
SysResult sys_pread64(Task& t, int fd, UserAddr buf, uint64_t count, int64_t offset);
SysResult sys_pwrite64(Task& t, int fd, UserAddr buf, uint64_t count, int64_t offset);
SysResult sys_preadv(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset);
SysResult sys_pwritev(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset);
SysResult sys_preadv2(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset, int64_t pos_h,
                      int flags);
SysResult sys_pwritev2(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset, int64_t pos_h,
                       int flags);
SysResult sys_lseek(Task& t, int fd, int64_t offset, int whence);
SysResult sys_getdents64(Task& t, int fd, UserAddr dirp, uint64_t count);
SysResult sys_getdents(Task& t, int fd, UserAddr dirp, uint64_t count);
SysResult sys_ftruncate(Task& t, int fd, int64_t length);
SysResult sys_fsync(Task& t, int fd);
SysResult sys_fdatasync(Task& t, int fd);
// sys_open.cc
Result<int> open_at(Task& t, int dirfd, const std::string& path, uint32_t flags, uint32_t mode);
SysResult sys_openat(Task& t, int dirfd, UserAddr path, int flags, uint32_t mode);
SysResult sys_open(Task& t, UserAddr path, int flags, uint32_t mode);
SysResult sys_creat(Task& t, UserAddr path, uint32_t mode);
SysResult sys_close(Task& t, int fd);
SysResult sys_close_range(Task& t, uint32_t first, uint32_t last, uint32_t flags);
// sys_fd.cc
SysResult sys_dup(Task& t, int fd);
SysResult sys_dup2(Task& t, int oldfd, int newfd);
SysResult sys_dup3(Task& t, int oldfd, int newfd, int flags);
SysResult sys_fcntl(Task& t, int fd, int cmd, uint64_t arg);
// sys_path.cc
SysResult sys_mkdirat(Task& t, int dirfd, UserAddr path, uint32_t mode);
SysResult sys_mkdir(Task& t, UserAddr path, uint32_t mode);
SysResult sys_mknodat(Task& t, int dirfd, UserAddr path, uint32_t mode, uint64_t dev);
SysResult sys_mknod(Task& t, UserAddr path, uint32_t mode, uint64_t dev);
SysResult sys_unlinkat(Task& t, int dirfd, UserAddr path, int flags);
SysResult sys_unlink(Task& t, UserAddr path);
SysResult sys_rmdir(Task& t, UserAddr path);
SysResult sys_renameat2(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath,
                        uint32_t flags);
SysResult sys_renameat(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath);
SysResult sys_rename(Task& t, UserAddr oldpath, UserAddr newpath);
SysResult sys_symlinkat(Task& t, UserAddr target, int newdirfd, UserAddr linkpath);
SysResult sys_symlink(Task& t, UserAddr target, UserAddr linkpath);
SysResult sys_linkat(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath,
                     int flags);
SysResult sys_link(Task& t, UserAddr oldpath, UserAddr newpath);
SysResult sys_faccessat2(Task& t, int dirfd, UserAddr path, int mode, int flags);
SysResult sys_faccessat(Task& t, int dirfd, UserAddr path, int mode);
SysResult sys_access(Task& t, UserAddr path, int mode);
SysResult sys_chdir(Task& t, UserAddr path);
SysResult sys_fchdir(Task& t, int fd);
SysResult sys_umask(Task& t, uint32_t mask);
SysResult sys_chroot(Task& t, UserAddr path);
SysResult sys_truncate(Task& t, UserAddr path, int64_t length);
SysResult sys_fchmodat(Task& t, int dirfd, UserAddr path, uint32_t mode);
SysResult sys_chmod(Task& t, UserAddr path, uint32_t mode);
SysResult sys_fchmod(Task& t, int fd, uint32_t mode);
SysResult sys_fchownat(Task& t, int dirfd, UserAddr path, uint32_t owner, uint32_t group,
                       int flags);
SysResult sys_fchown(Task& t, int fd, uint32_t owner, uint32_t group);
SysResult sys_chown(Task& t, UserAddr path, uint32_t owner, uint32_t group);
SysResult sys_lchown(Task& t, UserAddr path, uint32_t owner, uint32_t group);
SysResult sys_utimensat(Task& t, int dirfd, UserAddr path, UserAddr times, int flags);
// sys_ioctl.cc
SysResult sys_ioctl(Task& t, int fd, uint32_t request, uint64_t arg);
// sys_pipe.cc
SysResult sys_pipe2(Task& t, UserAddr fds, int flags);
SysResult sys_pipe(Task& t, UserAddr fds);
// sys_stat.cc
SysResult sys_fstat(Task& t, int fd, UserAddr statbuf);
SysResult sys_newfstatat(Task& t, int dirfd, UserAddr path, UserAddr statbuf, int flags);
SysResult sys_stat(Task& t, UserAddr path, UserAddr statbuf);
SysResult sys_lstat(Task& t, UserAddr path, UserAddr statbuf);
SysResult sys_statx(Task& t, int dirfd, UserAddr path, int flags, uint32_t mask, UserAddr buf);
// sys_mmap.cc
SysResult sys_mmap(Task& t, UserAddr addr, uint64_t length, int prot, int flags, int fd,
                   uint64_t offset);
SysResult sys_munmap(Task& t, UserAddr addr, uint64_t length);
SysResult sys_mprotect(Task& t, UserAddr addr, uint64_t length, int prot);
SysResult sys_brk(Task& t, UserAddr addr);
SysResult sys_msync(Task& t, UserAddr addr, uint64_t length, int flags);
SysResult sys_madvise(Task& t, UserAddr addr, uint64_t length, int advice);
SysResult sys_mincore(Task& t, UserAddr addr, uint64_t length, UserAddr vec);
// sys_thread.cc
SysResult sys_exit(Task& t, int code);
SysResult sys_exit_group(Task& t, int code);
SysResult sys_set_tid_address(Task& t, UserAddr tidptr);
SysResult sys_set_robust_list(Task& t, UserAddr head, uint64_t len);
SysResult sys_rseq(Task& t, UserAddr rseq, uint32_t len, int flags, uint32_t sig);
SysResult sys_gettid(Task& t);
SysResult sys_sched_yield(Task& t);
SysResult sys_sched_getaffinity(Task& t, int pid, uint64_t size, UserAddr mask);
SysResult sys_getcpu(Task& t, UserAddr cpu, UserAddr node, UserAddr cache);
SysResult sys_clone(Task& t, uint64_t flags, UserAddr stack, UserAddr parent_tid, uint64_t arg3,
                    uint64_t arg4);
SysResult sys_clone3(Task& t, UserAddr args, uint64_t size);
// clone, clone3, fork and vfork after decoding: Linux's flag checks, then a
// new thread or process.
SysResult clone_common(Task& t, const CloneRequest& request);
// sys_process.cc
SysResult sys_fork(Task& t);
SysResult sys_vfork(Task& t);
SysResult sys_wait4(Task& t, int pid, UserAddr status, int options, UserAddr rusage);
SysResult sys_waitid(Task& t, int idtype, int id, UserAddr info, int options, UserAddr rusage);
SysResult sys_setpgid(Task& t, int pid, int pgid);
SysResult sys_getpgid(Task& t, int pid);
SysResult sys_getpgrp(Task& t);
SysResult sys_setsid(Task& t);
SysResult sys_getsid(Task& t, int pid);
// sys_exec.cc
SysResult sys_execve(Task& t, UserAddr path, UserAddr argv, UserAddr envp);
SysResult sys_execveat(Task& t, int dirfd, UserAddr path, UserAddr argv, UserAddr envp, int flags);
// sys_fs_misc.cc
SysResult sys_statfs(Task& t, UserAddr path, UserAddr buf);
SysResult sys_fstatfs(Task& t, int fd, UserAddr buf);
SysResult sys_getxattr(Task& t, UserAddr path, UserAddr name, UserAddr value, uint64_t size);
SysResult sys_lgetxattr(Task& t, UserAddr path, UserAddr name, UserAddr value, uint64_t size);
SysResult sys_fgetxattr(Task& t, int fd, UserAddr name, UserAddr value, uint64_t size);
SysResult sys_listxattr(Task& t, UserAddr path, UserAddr list, uint64_t size);
SysResult sys_llistxattr(Task& t, UserAddr path, UserAddr list, uint64_t size);
SysResult sys_flistxattr(Task& t, int fd, UserAddr list, uint64_t size);
SysResult sys_fadvise64(Task& t, int fd, int64_t offset, int64_t len, int advice);
SysResult sys_sysinfo(Task& t, UserAddr info);
// sys_futex.cc
SysResult sys_futex(Task& t, UserAddr uaddr, int op, uint32_t val, uint64_t timeout_or_val2,
                    UserAddr uaddr2, uint32_t val3);
// sys_signal.cc
SysResult sys_rt_sigaction(Task& t, int signo, UserAddr act, UserAddr oact, uint64_t sigsetsize);
SysResult sys_rt_sigprocmask(Task& t, int how, UserAddr set, UserAddr oset, uint64_t sigsetsize);
SysResult sys_rt_sigreturn(Task& t);
SysResult sys_sigaltstack(Task& t, UserAddr ss, UserAddr old_ss);
SysResult sys_rt_sigpending(Task& t, UserAddr set, uint64_t sigsetsize);
SysResult sys_kill(Task& t, int pid, int signo);
SysResult sys_pause(Task& t);
SysResult sys_rt_sigtimedwait(Task& t, UserAddr set, UserAddr info, UserAddr timeout,
                              uint64_t sigsetsize);
SysResult sys_rt_sigsuspend(Task& t, UserAddr mask, uint64_t sigsetsize);
SysResult sys_tgkill(Task& t, int tgid, int tid, int signo);
SysResult sys_tkill(Task& t, int tid, int signo);
// sys_poll.cc
SysResult sys_ppoll(Task& t, UserAddr fds, uint64_t nfds, UserAddr tmo, UserAddr sigmask,
                    uint64_t sigsetsize);
// sys_uname.cc
SysResult sys_uname(Task& t, UserAddr buf);
// sys_rlimit.cc
SysResult sys_prlimit64(Task& t, int pid, int resource, UserAddr new_limit, UserAddr old_limit);
SysResult sys_getrlimit(Task& t, int resource, UserAddr rlim);
SysResult sys_setrlimit(Task& t, int resource, UserAddr rlim);
// sys_random.cc
SysResult sys_getrandom(Task& t, UserAddr buf, uint64_t count, uint32_t flags);
// sys_arch_prctl.cc
SysResult sys_arch_prctl(Task& t, int code, uint64_t addr);
// sys_path.cc (names)
SysResult sys_readlink(Task& t, UserAddr path, UserAddr buf, int bufsiz);
SysResult sys_readlinkat(Task& t, int dirfd, UserAddr path, UserAddr buf, int bufsiz);
SysResult sys_getcwd(Task& t, UserAddr buf, uint64_t size);
// sys_time.cc
SysResult sys_clock_gettime(Task& t, int clock, UserAddr tp);
SysResult sys_clock_getres(Task& t, int clock, UserAddr res);
SysResult sys_nanosleep(Task& t, UserAddr req, UserAddr rem);
SysResult sys_clock_nanosleep(Task& t, int clock, int flags, UserAddr req, UserAddr rem);
SysResult sys_gettimeofday(Task& t, UserAddr tv, UserAddr tz);
SysResult sys_time(Task& t, UserAddr tloc);
// sys_id.cc
SysResult sys_getuid(Task& t);
SysResult sys_geteuid(Task& t);
SysResult sys_getgid(Task& t);
SysResult sys_getegid(Task& t);
SysResult sys_getresuid(Task& t, UserAddr ruid, UserAddr euid, UserAddr suid);
SysResult sys_getresgid(Task& t, UserAddr rgid, UserAddr egid, UserAddr sgid);
SysResult sys_getpid(Task& t);
SysResult sys_getppid(Task& t);

}  // namespace moat::sentry
