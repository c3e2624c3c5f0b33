#pragma once

// A fake guest memory for the format tests: only the bytes put there are
// readable.

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "sentry/strace/format.h"

namespace moat::sentry::strace {

class FakeMemory final : public GuestReader {
 public:
  // Makes `bytes` readable at `addr`; returns `addr`.
  uint64_t put(uint64_t addr, std::string_view bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      m_bytes[addr + i] = static_cast<unsigned char>(bytes[i]);
    }
    return addr;
  }

  // A NUL-terminated string at `addr`.
  uint64_t put_string(uint64_t addr, std::string_view s) {
    put(addr, s);
    return put(addr + s.size(), std::string_view("\0", 1)) - s.size();
  }

  template <typename T>
  uint64_t put_object(uint64_t addr, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::string bytes(sizeof(T), '\0');
    std::memcpy(bytes.data(), &value, sizeof(T));
    return put(addr, bytes);
  }

  bool read(uint64_t addr, void* dst, size_t len) const override {
    auto* out = static_cast<unsigned char*>(dst);
    for (size_t i = 0; i < len; ++i) {
      const auto it = m_bytes.find(addr + i);
      if (it == m_bytes.end()) {
        return false;
      }
      out[i] = it->second;
    }
    return true;
  }

  // As the sentry's reader does: what could be read before a fault, with
  // *terminated false.
  std::optional<std::string> read_string(uint64_t addr, size_t max_len,
                                         bool* terminated) const override {
    *terminated = false;
    std::string out;
    for (size_t i = 0; i < max_len; ++i) {
      const auto it = m_bytes.find(addr + i);
      if (it == m_bytes.end()) {
        if (i == 0) {
          return std::nullopt;
        }
        return out;
      }
      if (it->second == 0) {
        *terminated = true;
        return out;
      }
      out += static_cast<char>(it->second);
    }
    return out;
  }

 private:
  std::map<uint64_t, unsigned char> m_bytes;
};

}  // namespace moat::sentry::strace
