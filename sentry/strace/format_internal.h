#pragma once

// Pieces shared by the format*.cc files; not part of format.h's interface.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "sentry/strace/format.h"

namespace moat::sentry::strace::detail {

// One row of a value-to-name table.
struct Named {
  uint64_t value;
  const char* name;
};

// A table row named after the header constant it holds: {O_CREAT, "O_CREAT"}.
// The name is the constant as written, so aliases such as SO_RCVTIMEO_OLD keep
// the spelling strace prints.
#define MOAT_NAMED(c)                     \
  ::moat::sentry::strace::detail::Named { \
    static_cast<uint64_t>(c), #c          \
  }

// strace's %#llx: `0x1f`, and `0` for zero.
std::string hex(uint64_t v);

// The name of `value` in `table` (the first row that matches), or nullptr.
const char* find_name(std::span<const Named> table, uint64_t value);

// strace's printxval: the name, or `0x63 /* RLIMIT_??? */`.
std::string xval(std::span<const Named> table, uint64_t value, std::string_view unknown);

// strace's printflags: names in table order joined by `|`, then any bits no
// row names as hex (`O_RDONLY|0x40000000`). With no names at all, the hex
// value and `/* unknown */`. Zero prints the table's zero-valued name, or `0`.
// With `unknown` null (strace's NULL default), zero prints nothing and
// unnamed bits print as bare hex.
std::string flags(std::span<const Named> table, uint64_t value, const char* unknown);

// Poll events as strace prints revents: unnamed bits as bare hex, nothing
// for zero.
std::string poll_event_names(uint64_t value);

// A quoted NUL-terminated string of at most `limit` bytes at `addr`, `...`
// after it when longer; the address when unreadable (strace's printstr and
// printpath).
std::string format_string_upto(const GuestReader& mem, uint64_t addr, size_t limit);

// strace's sprintsigmask_n over the kernel's 64-signal set: `[INT TERM]`, or
// `~[...]` listing the signals missing when two thirds or more are present.
std::string sigset_text(uint64_t mask);

// A guest structure copied out whole, or nullopt when it is NULL or any byte
// of it is unreadable (strace then prints the address).
template <typename T>
std::optional<T> read_struct(const GuestReader& mem, uint64_t addr) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  if (addr == 0 || !mem.read(addr, &value, sizeof(value))) {
    return std::nullopt;
  }
  return value;
}

// strace's print_array over guest memory: `[e0, e1, ...]`, at most `limit`
// elements then `...`; NULL, `[]` for none, the address when the first element
// is unreadable and `... /* 0x... */` when a later one is. `print` renders one
// element from its bytes.
std::string format_array(const GuestReader& mem, uint64_t addr, uint64_t count, size_t elem_size,
                         size_t limit, const auto& print) {
  if (addr == 0) {
    return "NULL";
  }
  if (count == 0) {
    return "[]";
  }
  unsigned char buf[64];
  if (elem_size > sizeof(buf) || count > UINT64_MAX / elem_size ||
      addr + count * elem_size <= addr) {
    return format_address(addr);
  }
  std::string out;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t cur = addr + i * elem_size;
    if (i != 0) {
      out += ", ";
    }
    if (!mem.read(cur, buf, elem_size)) {
      if (i == 0) {
        return format_address(addr);
      }
      out += "... /* " + format_address(cur) + " */";
      break;
    }
    if (i == 0) {
      out = "[";
    }
    if (i >= limit) {
      out += "...";
      break;
    }
    out += print(static_cast<const unsigned char*>(buf));
  }
  return out + "]";
}

}  // namespace moat::sentry::strace::detail
