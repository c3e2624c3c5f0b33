#pragma once

// What `moat trace` prints, with strace's option meanings.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace moat::sentry::strace {

enum class Timestamps : uint8_t {
  kNone,
  kSeconds,      // -t:   17:16:30
  kMicros,       // -tt:  17:16:30.424319
  kEpochMicros,  // -ttt: 1795799790.413714
};

enum class Summary : uint8_t {
  kNone,
  kOnly,  // -c: the table instead of the trace
  kAlso,  // -C: the trace, then the table
};

enum class ResultFilter : uint8_t {
  kAll,
  kSuccessful,  // -z / -e status=successful
  kFailed,      // -Z / -e status=failed
};

struct TraceOptions {
  std::string output_path;  // -o FILE; empty: stderr
  Timestamps timestamps = Timestamps::kNone;
  bool durations = false;     // -T
  bool follow_forks = false;  // -f: with -o, every line carries its pid, as strace does
  ResultFilter result_filter = ResultFilter::kAll;
  size_t string_limit = 32;  // -s N
  Summary summary = Summary::kNone;
  // Indexed by the row of syscall_table(); empty means every syscall.
  std::vector<bool> selected;
  bool selected_unknown = true;  // numbers the table lacks (only `all` keeps them)

  // Whether calls to the table row `row` are traced.
  bool traces(size_t row) const { return selected.empty() || selected[row]; }
};

// Applies one `-e` expression (`trace=openat,%file`, `trace=!write`,
// `status=failed`, `t=/^mm`) to `options`. The error reads as strace's message.
Result<void, Error> apply_expression(std::string_view expression, TraceOptions& options);

// Syscall classes for `-e trace=%name`; false if `name` is not one.
bool in_class(std::string_view class_name, size_t row, bool* known_class);

}  // namespace moat::sentry::strace
