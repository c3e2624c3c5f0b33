// Scalars, strings and errno values as strace 6.1 prints them, and the
// helpers the other format*.cc files share. Flag sets live in
// format_flags.cc, signals in format_signal.cc, structures in
// format_structs.cc and sockets in format_socket.cc.

#include "sentry/strace/format.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "sentry/strace/format_internal.h"

namespace moat::sentry::strace {

namespace detail {

std::string hex(uint64_t v) {
  return v == 0 ? "0" : fmt::format("{:#x}", v);
}

const char* find_name(std::span<const Named> table, uint64_t value) {
  for (const Named& row : table) {
    if (row.value == value) {
      return row.name;
    }
  }
  return nullptr;
}

std::string xval(std::span<const Named> table, uint64_t value, std::string_view unknown) {
  if (const char* name = find_name(table, value)) {
    return name;
  }
  return fmt::format("{} /* {} */", hex(value), unknown);
}

std::string flags(std::span<const Named> table, uint64_t value, const char* unknown) {
  if (value == 0) {
    if (const char* name = find_name(table, 0)) {
      return name;
    }
    return unknown != nullptr ? "0" : "";
  }
  std::string out;
  for (const Named& row : table) {
    if (row.value != 0 && (value & row.value) == row.value) {
      if (!out.empty()) {
        out += '|';
      }
      out += row.name;
      value &= ~row.value;
      if (value == 0) {
        break;
      }
    }
  }
  if (out.empty()) {
    return unknown != nullptr ? fmt::format("{} /* {} */", hex(value), unknown) : hex(value);
  }
  if (value != 0) {
    out += '|' + hex(value);
  }
  return out;
}

std::string format_string_upto(const GuestReader& mem, uint64_t addr, size_t limit) {
  if (addr == 0) {
    return "NULL";
  }
  // One byte past the limit tells a string of exactly `limit` bytes from a
  // longer one.
  bool terminated = false;
  std::optional<std::string> s = mem.read_string(addr, limit + 1, &terminated);
  // strace prints the address when the string runs into unreadable memory
  // before its NUL, even if the part before is readable.
  if (!s || (!terminated && s->size() < limit + 1)) {
    return format_address(addr);
  }
  if (s->size() <= limit) {
    return quote(*s, false);
  }
  return quote(std::string_view(*s).substr(0, limit), true);
}

}  // namespace detail

using detail::hex;

// --- scalars ---------------------------------------------------------------

std::string format_address(uint64_t addr) {
  return addr == 0 ? "NULL" : fmt::format("{:#x}", addr);
}

std::string format_fd(uint64_t fd) {
  return std::to_string(static_cast<int32_t>(fd));
}

std::string format_dirfd(uint64_t fd) {
  if (static_cast<int32_t>(fd) == AT_FDCWD) {
    return "AT_FDCWD";
  }
  return format_fd(fd);
}

std::string format_mode(uint64_t mode) {
  // strace's %#03o: `000`, `0644`. It holds the mode in an unsigned short.
  return fmt::format("{:#03o}", static_cast<uint16_t>(mode));
}

std::string format_file_mode(uint64_t mode) {
  static constexpr detail::Named kTypes[] = {
      MOAT_NAMED(S_IFREG), MOAT_NAMED(S_IFSOCK), MOAT_NAMED(S_IFIFO), MOAT_NAMED(S_IFLNK),
      MOAT_NAMED(S_IFDIR), MOAT_NAMED(S_IFBLK),  MOAT_NAMED(S_IFCHR),
  };
  const auto m = static_cast<uint32_t>(mode);
  std::string out;
  if ((m & S_IFMT) != 0) {
    const char* type = detail::find_name(kTypes, m & S_IFMT);
    if (type == nullptr) {
      return format_mode(m);
    }
    out = std::string(type) + "|";
  }
  if ((m & S_ISUID) != 0) {
    out += "S_ISUID|";
  }
  if ((m & S_ISGID) != 0) {
    out += "S_ISGID|";
  }
  if ((m & S_ISVTX) != 0) {
    out += "S_ISVTX|";
  }
  return out + format_mode(m & ~(S_IFMT | S_ISUID | S_ISGID | S_ISVTX));
}

// --- strings ---------------------------------------------------------------

std::string quote(std::string_view bytes, bool truncated, bool force_hex) {
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (force_hex) {
      out += fmt::format("\\x{:02x}", c);
      continue;
    }
    switch (c) {
      case '"':
      case '\\':
        out += '\\';
        out += static_cast<char>(c);
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c >= 0x20 && c <= 0x7e) {
          out += static_cast<char>(c);
        } else {
          // The shortest octal, unless the next byte is an octal digit that
          // would read as part of the escape.
          const bool digit_follows =
              i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
          out += digit_follows ? fmt::format("\\{:03o}", c) : fmt::format("\\{:o}", c);
        }
        break;
    }
  }
  out += '"';
  if (truncated) {
    out += "...";
  }
  return out;
}

std::string format_buffer(const GuestReader& mem, uint64_t addr, uint64_t len,
                          const FormatOptions& opts, bool force_hex) {
  if (addr == 0) {
    return "NULL";
  }
  // strace fetches one byte past the limit (it needs it only for strings),
  // so that byte, too, must be readable.
  const size_t fetch = static_cast<size_t>(std::min<uint64_t>(len, opts.string_limit + 1));
  std::string bytes(fetch, '\0');
  if (!mem.read(addr, bytes.data(), fetch)) {
    return format_address(addr);
  }
  const bool truncated = len > opts.string_limit;
  if (truncated) {
    bytes.resize(opts.string_limit);
  }
  return quote(bytes, truncated, force_hex);
}

std::string format_c_string(const GuestReader& mem, uint64_t addr, const FormatOptions& opts) {
  return detail::format_string_upto(mem, addr, opts.string_limit);
}

std::string format_path(const GuestReader& mem, uint64_t addr) {
  // strace's printpath: PATH_MAX bytes including the NUL.
  return detail::format_string_upto(mem, addr, PATH_MAX - 1);
}

std::string format_string_array(const GuestReader& mem, uint64_t addr, const FormatOptions& opts) {
  if (addr == 0) {
    return "NULL";
  }
  std::string out;
  for (uint64_t n = 0;; ++n) {
    const uint64_t cur = addr + n * sizeof(uint64_t);
    uint64_t word = 0;
    if ((n != 0 && cur < addr) || !mem.read(cur, &word, sizeof(word))) {
      if (n == 0) {
        return format_address(addr);
      }
      out += ", ... /* " + format_address(cur) + " */";
      break;
    }
    if (n == 0) {
      out = "[";
    }
    if (word == 0) {
      break;
    }
    if (n != 0) {
      out += ", ";
    }
    if (n >= opts.string_limit) {
      out += "...";
      break;
    }
    out += format_c_string(mem, word, opts);
  }
  return out + "]";
}

std::string format_env_array(const GuestReader& mem, uint64_t addr) {
  std::string out = format_address(addr);
  if (addr == 0) {
    return out;
  }
  uint64_t n = 0;
  uint64_t cur = addr;
  uint64_t prev = 0;
  for (; cur > prev; prev = cur, cur += sizeof(uint64_t), ++n) {
    uint64_t word = 0;
    if (!mem.read(cur, &word, sizeof(word))) {
      if (n == 0) {
        return out;
      }
      cur = 0;
      break;
    }
    if (word == 0) {
      break;
    }
  }
  return out +
         fmt::format(" /* {} var{}{} */", n, n == 1 ? "" : "s", cur < prev ? ", unterminated" : "");
}

// --- errno -----------------------------------------------------------------

namespace {

// Kernel-internal values a syscall may end with, which glibc has no name for.
struct KernelErrno {
  int value;
  std::string_view name;
  std::string_view text;
};

// The ERESTART* texts are strace's own; for the others strace prints
// strerror's text, which glibc gives as "Unknown error N".
constexpr KernelErrno kKernelErrnos[] = {
    {512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
    {513, "ERESTARTNOINTR", "To be restarted"},
    {514, "ERESTARTNOHAND", "To be restarted if no handler"},
    {515, "ENOIOCTLCMD", "Unknown error 515"},
    {516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"},
    {517, "EPROBE_DEFER", "Unknown error 517"},
    {518, "EOPENSTALE", "Unknown error 518"},
    {521, "EBADHANDLE", "Unknown error 521"},
    {522, "ENOTSYNC", "Unknown error 522"},
    {523, "EBADCOOKIE", "Unknown error 523"},
    {524, "ENOTSUPP", "Unknown error 524"},
    {525, "ETOOSMALL", "Unknown error 525"},
    {526, "ESERVERFAULT", "Unknown error 526"},
    {527, "EBADTYPE", "Unknown error 527"},
    {528, "EJUKEBOX", "Unknown error 528"},
    {529, "EIOCBQUEUED", "Unknown error 529"},
    {530, "ERECALLCONFLICT", "Unknown error 530"},
};

const KernelErrno* find_kernel_errno(int err) {
  for (const KernelErrno& e : kKernelErrnos) {
    if (e.value == err) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

// glibc's names and texts (strerrorname_np, strerrordesc_np) are the ones
// strace prints for EPERM..EHWPOISON: strace's table has the same names, and
// it prints strerror's text.
std::string_view errno_name(int err) {
  if (const KernelErrno* e = find_kernel_errno(err)) {
    return e->name;
  }
  const char* name = err > 0 ? strerrorname_np(err) : nullptr;
  return name != nullptr ? name : "";
}

std::string_view errno_text(int err) {
  if (const KernelErrno* e = find_kernel_errno(err)) {
    return e->text;
  }
  const char* text = err > 0 && strerrorname_np(err) != nullptr ? strerrordesc_np(err) : nullptr;
  return text != nullptr ? text : "";
}

}  // namespace moat::sentry::strace
