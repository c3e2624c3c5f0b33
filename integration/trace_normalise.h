#pragma once

// Normalises strace output so that a trace taken natively (Debian's strace)
// and one taken by `moat trace` can be compared line by line. Only what must
// differ between two runs of the same program is masked; everything else,
// every argument, flag, string and result included, is left exactly as
// printed. The rules are listed, with their reasons, in trace_normalise.cc.

#include <string>
#include <string_view>
#include <vector>

namespace moat::integration {

// Which strace options produced the trace: the masks for a line's pid prefix,
// timestamp and duration apply only where those options put them.
struct NormaliseOptions {
  bool pid_prefix = true;   // -f with -o: every line begins with the pid
  bool timestamps = false;  // -t, -tt or -ttt
  bool durations = false;   // -T
};

// The trace's lines (without their newlines), each normalised.
std::vector<std::string> normalise_trace(std::string_view trace,
                                         const NormaliseOptions& options = {});

// One line, normalised.
std::string normalise_line(std::string_view line, const NormaliseOptions& options = {});

}  // namespace moat::integration
