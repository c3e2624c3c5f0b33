#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace moat {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageShift = 12;

constexpr uint64_t page_round_down(uint64_t v) {
  return v & ~(kPageSize - 1);
}
constexpr bool is_page_aligned(uint64_t v) {
  return (v & (kPageSize - 1)) == 0;
}

// Rounds up to a page boundary; nullopt if that overflows.
constexpr std::optional<uint64_t> page_round_up(uint64_t v) {
  if (v > UINT64_MAX - (kPageSize - 1)) {
    return std::nullopt;
  }
  return (v + kPageSize - 1) & ~(kPageSize - 1);
}

// a + b, or nullopt on overflow.
constexpr std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) {
    return std::nullopt;
  }
  return sum;
}

}  // namespace moat
