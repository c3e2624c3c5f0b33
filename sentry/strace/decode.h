#pragma once

// Turns one syscall's registers into strace's text, driven by the argument
// kinds of the syscall table. strace prints the arguments the kernel reads
// when the call starts and the ones it writes when the call returns; the
// split is at the first argument that is an output.

#include <array>
#include <cstdint>
#include <string>

#include "sentry/strace/format.h"
#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry::strace {

// A syscall being traced, from entry to exit.
struct CallText {
  const SyscallInfo* info = nullptr;  // nullptr: a number the table lacks
  uint64_t number = 0;
  SyscallArgs args{};
  // Values read at entry that the exit text needs (a socklen_t's old value).
  std::array<uint64_t, 6> saved{};
  // Index of the first argument printed at exit (== argument count if none).
  unsigned split = 0;
};

// The syscall's name as strace prints it (`syscall_0x1c8` for unknown numbers).
std::string call_name(const CallText& call);

// Starts decoding a call: fills `split`/`saved` and returns the text after
// `name(` up to the arguments printed at exit, with the separator that
// follows it (e.g. `3, ` for read). Reads only input arguments.
std::string decode_entry(CallText& call, const GuestReader& mem, const FormatOptions& opts);

// The rest once the call returned `ret` (the raw return register): the
// output arguments, `)`. `*suffix` gets what strace appends after the return
// value, e.g. ` ([{fd=3, revents=POLLIN}])` for poll or ` (flags O_RDWR)`.
std::string decode_exit(const CallText& call, uint64_t ret, const GuestReader& mem,
                        const FormatOptions& opts, std::string* suffix);

// The return value: `3`, `0x7f0000` for address-returning calls, or
// `-1 ENOENT (No such file or directory)`.
std::string format_return(const CallText& call, uint64_t ret);

// True for a return value in Linux's error range.
inline bool is_error_return(uint64_t ret) {
  return ret > static_cast<uint64_t>(-4096);
}

}  // namespace moat::sentry::strace
