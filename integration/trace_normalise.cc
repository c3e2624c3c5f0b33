// The normaliser for trace mode's golden tests (trace_golden_test.cc).
//
// A native trace and moat's trace of the same static program must agree line
// for line except where two runs of a program cannot agree. These are the
// only rules; anything they do not name is compared exactly.
//
//  1. Pid prefix (only with NormaliseOptions::pid_prefix, i.e. `-f -o`): the
//     leading `12345 ` becomes `<pid> `. The traced process's pid differs
//     from run to run, and moat's guest is pid 1.
//  2. Timestamp (only with NormaliseOptions::timestamps, i.e. -t/-tt/-ttt):
//     the `17:16:30 `, `17:16:30.424319 ` or `1795799790.413714 ` after the
//     pid prefix becomes `<ts> `. The time of day differs.
//  3. Duration (only with NormaliseOptions::durations, i.e. -T): a trailing
//     ` <0.000012>` on a syscall line becomes ` <dur>`. Timings differ.
//  4. Alignment: strace pads the text before ` = ` with spaces to column 40
//     of the line as printed, so the padding depends on the widths of the
//     pid, the timestamp and every address. If the padding is exactly what
//     that rule gives for the line as printed, it becomes one space; padding
//     that breaks the rule becomes ` <misaligned: N spaces> `, so it still
//     shows as a difference (even where the other trace has one space).
//  5. Pointer arguments: in the argument positions kPointerArgs lists (the
//     ones Linux's ABI defines as pointers), an argument that is exactly a
//     hex address of 5 or more digits, optionally followed by a `/* ... */`
//     comment (execve's `0x7ffd... /* 3 vars */`), has the address replaced
//     by `<addr>`. So has `iov_base=0x...` (an iovec strace could not read)
//     in the calls kIovecCalls lists. Stack, heap, mmap and (for PIE) image
//     addresses are randomised and laid out by a different kernel. Shorter
//     values stay: they are the deliberate bad pointers of the test programs
//     (0x8, 0x1001), equal in both traces; and flags, sizes, counts and
//     non-pointer arguments are never touched, whatever they look like.
//  6. Address results: a hex result of 5 or more digits of the calls that
//     return an address (brk, mmap, mremap) becomes `<addr>`, for rule 5's
//     reason. Their error results stay.
//  7. Pid results: the numeric result of getpid, getppid, gettid and
//     set_tid_address (which returns the caller's tid) becomes `<pid>`, for
//     rule 1's reason (moat's guest also has parent pid 0).
//  8. Clock readings: in clock_gettime and gettimeofday, the numbers after
//     `tv_sec=`, `tv_nsec=` and `tv_usec=` become `<time>`; time's `[N /*
//     date */]` argument and `N (date)` result become `[<time>]` and
//     `<time>`. The clocks move between runs. clock_getres is not masked: a
//     resolution is a constant.
//  9. Random bytes: getrandom's buffer, a quoted string, becomes
//     `"<random>"` (a following `...` is kept). The bytes are random.
// 10. Host name: `nodename="..."` in uname's result becomes
//     `nodename="<host>"`. The sandbox has its own host name.
// 11. Pid arguments and senders: the pid arguments of kill (first), tkill
//     (first) and tgkill (first two), when numeric and positive, and
//     `si_pid=N` in a signal line (`--- SIGUSR1 {...} ---`) become `<pid>`,
//     for rule 1's reason.
// 12. Addresses inside signal structures: `ss_sp=0x...` in sigaltstack's
//     stack_t, `sa_handler=0x...` and `sa_restorer=0x...` in rt_sigaction's
//     sigaction (5 or more hex digits) have the address replaced by
//     `<addr>`, for rule 5's reason (a PIE's handlers move with its image).
//
// A line that is not a syscall line (`--- SIGSEGV {...} ---`,
// `+++ exited with 3 +++`, `<unfinished ...>`) gets rules 1, 2 and the
// si_pid part of 11 only.

#include "integration/trace_normalise.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>

namespace moat::integration {
namespace {

// strace aligns ` = result` at this column (strace's `acolumn`).
constexpr size_t kResultColumn = 40;

// Rule 5: the arguments (0-based) that are pointers, for every syscall the
// golden programs use or are planned to use.
const std::map<std::string, std::set<size_t>, std::less<>> kPointerArgs = {
    {"execve", {0, 1, 2}},
    {"arch_prctl", {1}},
    {"brk", {0}},
    {"mmap", {0}},
    {"munmap", {0}},
    {"mprotect", {0}},
    {"mremap", {0, 4}},
    {"madvise", {0}},
    {"set_tid_address", {0}},
    {"set_robust_list", {0}},
    {"rseq", {0}},
    {"read", {1}},
    {"write", {1}},
    {"pread64", {1}},
    {"pwrite64", {1}},
    {"readv", {1}},
    {"writev", {1}},
    {"fstat", {1}},
    {"newfstatat", {1, 2}},
    {"ioctl", {2}},
    {"getrandom", {0}},
    {"clock_gettime", {1}},
    {"clock_getres", {1}},
    {"gettimeofday", {0, 1}},
    {"time", {0}},
    {"uname", {0}},
    {"getrlimit", {1}},
    {"setrlimit", {1}},
    {"prlimit64", {2, 3}},
    {"getresuid", {0, 1, 2}},
    {"getresgid", {0, 1, 2}},
    {"readlink", {0, 1}},
    {"readlinkat", {1, 2}},
    {"pipe2", {0}},
    {"socketpair", {3}},
    {"fcntl", {}},
    {"poll", {0}},
    {"ppoll", {0, 2, 3}},
    {"pselect6", {1, 2, 3, 4, 5}},
    {"select", {1, 2, 3, 4}},
    {"bind", {1}},
    {"connect", {1}},
    {"accept", {1, 2}},
    {"accept4", {1, 2}},
    {"getsockname", {1, 2}},
    {"getpeername", {1, 2}},
    {"sendto", {1, 4}},
    {"recvfrom", {1, 4, 5}},
    {"sendmsg", {1}},
    {"recvmsg", {1}},
    {"getsockopt", {3, 4}},
    {"setsockopt", {3}},
    {"epoll_ctl", {3}},
    {"epoll_wait", {1}},
    {"epoll_pwait", {1, 4}},
    {"rt_sigaction", {1, 2}},
    {"rt_sigprocmask", {1, 2}},
    {"wait4", {1, 3}},
    {"futex", {0, 3, 4}},
};

// Rule 11: the pid arguments (0-based).
const std::map<std::string, std::set<size_t>, std::less<>> kPidArgs = {
    {"kill", {0}},
    {"tkill", {0}},
    {"tgkill", {0, 1}},
};

// Rule 5: the calls whose iovecs may show an unread iov_base address.
const std::set<std::string, std::less<>> kIovecCalls = {"readv",   "writev",  "preadv",
                                                        "pwritev", "sendmsg", "recvmsg"};

// Rules 6 and 7.
const std::set<std::string, std::less<>> kAddressResults = {"brk", "mmap", "mremap"};
const std::set<std::string, std::less<>> kPidResults = {"getpid", "getppid", "gettid",
                                                        "set_tid_address"};

const std::regex kPidPrefix(R"(^[0-9]+ +)");
const std::regex kTimestamp(R"(^([0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?|[0-9]+\.[0-9]{6}) )");
const std::regex kDuration(R"( <[0-9]+\.[0-9]{6}>$)");
const std::regex kAddress(R"(^0x[0-9a-f]{5,}( /\* .* \*/)?$)");
const std::regex kIovBase(R"(iov_base=0x[0-9a-f]{5,}\b)");
const std::regex kClockField(R"(\b(tv_sec|tv_nsec|tv_usec)=[0-9]+\b)");
const std::regex kTimeArg(R"(^\[[0-9]+ /\* [^*]* \*/\]$)");
const std::regex kTimeResult(R"(^[0-9]+ \([^)]*\)$)");
const std::regex kQuoted(R"(^"(\\.|[^"\\])*"(\.\.\.)?$)");
const std::regex kNodename(R"(\bnodename="(\\.|[^"\\])*")");
const std::regex kPidNumber(R"(^[1-9][0-9]*$)");
const std::regex kSiPid(R"(\bsi_pid=[0-9]+\b)");
const std::regex kStructAddress(R"(\b(ss_sp|sa_handler|sa_restorer)=0x[0-9a-f]{5,}\b)");

// The arguments of `name(args)`: the text between the parentheses split at
// the commas outside strings, brackets, braces and comments, each piece with
// its leading space. Returns the offset just past the closing parenthesis,
// or nullopt if the line ends first (`<unfinished ...>`).
std::optional<size_t> split_args(std::string_view text, size_t open,
                                 std::vector<std::string>* args) {
  int depth = 0;
  bool in_string = false;
  bool in_comment = false;
  std::string current;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      current += c;
      if (c == '\\' && i + 1 < text.size()) {
        current += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (in_comment) {
      current += c;
      if (c == '*' && i + 1 < text.size() && text[i + 1] == '/') {
        current += text[++i];
        in_comment = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      in_comment = true;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ')') {
      if (depth == 0) {
        if (!current.empty() || !args->empty()) {
          args->push_back(current);
        }
        return i + 1;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      args->push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  return std::nullopt;
}

// Rule 5 for one argument (with its leading space, if any).
void mask_pointer(std::string& arg) {
  const size_t start = arg.find_first_not_of(' ');
  if (start == std::string::npos) {
    return;
  }
  const std::string value = arg.substr(start);
  if (std::regex_match(value, kAddress)) {
    const size_t hex_end = value.find(' ');
    arg = arg.substr(0, start) + "<addr>" +
          (hex_end == std::string::npos ? std::string() : value.substr(hex_end));
  }
}

std::string trimmed(const std::string& s) {
  const size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : s.substr(start);
}

// Rules 5 to 10 on a parsed syscall line.
void mask_call(const std::string& name, std::vector<std::string>& args, std::string& result) {
  if (auto it = kPointerArgs.find(name); it != kPointerArgs.end()) {
    for (size_t index : it->second) {
      if (index < args.size()) {
        mask_pointer(args[index]);
      }
    }
  }
  if (kIovecCalls.contains(name)) {
    for (auto& arg : args) {
      arg = std::regex_replace(arg, kIovBase, "iov_base=<addr>");
    }
  }
  if (kAddressResults.contains(name) && std::regex_match(result, kAddress)) {
    result = "<addr>";
  }
  if (kPidResults.contains(name) && !result.empty() &&
      std::all_of(result.begin(), result.end(), [](char c) { return std::isdigit(c) != 0; })) {
    result = "<pid>";
  }
  if (name == "clock_gettime" || name == "gettimeofday") {
    for (auto& arg : args) {
      arg = std::regex_replace(arg, kClockField, "$1=<time>");
    }
  }
  if (name == "time") {
    if (!args.empty() && std::regex_match(trimmed(args[0]), kTimeArg)) {
      args[0] = "[<time>]";
    }
    if (std::regex_match(result, kTimeResult)) {
      result = "<time>";
    }
  }
  if (name == "getrandom" && !args.empty() && std::regex_match(trimmed(args[0]), kQuoted)) {
    args[0] = trimmed(args[0]).ends_with("\"...") ? "\"<random>\"..." : "\"<random>\"";
  }
  if (name == "uname" && !args.empty()) {
    args[0] = std::regex_replace(args[0], kNodename, "nodename=\"<host>\"");
  }
  if (auto it = kPidArgs.find(name); it != kPidArgs.end()) {
    for (size_t index : it->second) {
      if (index < args.size() && std::regex_match(trimmed(args[index]), kPidNumber)) {
        args[index] = (index == 0 ? "" : " ") + std::string("<pid>");
      }
    }
  }
  if (name == "sigaltstack" || name == "rt_sigaction") {
    for (auto& arg : args) {
      arg = std::regex_replace(arg, kStructAddress, "$1=<addr>");
    }
  }
}

}  // namespace

std::string normalise_line(std::string_view line_view, const NormaliseOptions& options) {
  const std::string line(line_view);
  std::string out;
  size_t pos = 0;
  std::smatch match;

  // Rules 1 and 2.
  if (options.pid_prefix && std::regex_search(line.cbegin(), line.cend(), match, kPidPrefix)) {
    out += "<pid> ";
    pos = static_cast<size_t>(match.length(0));
  }
  if (options.timestamps && std::regex_search(line.cbegin() + static_cast<std::ptrdiff_t>(pos),
                                              line.cend(), match, kTimestamp)) {
    out += "<ts> ";
    pos += static_cast<size_t>(match.length(0));
  }
  const std::string body = line.substr(pos);

  // A syscall line: `name(args)`, padding, `= result`, maybe ` <duration>`.
  size_t name_end = 0;
  while (name_end < body.size() &&
         (std::isalnum(static_cast<unsigned char>(body[name_end])) != 0 || body[name_end] == '_')) {
    ++name_end;
  }
  std::vector<std::string> args;
  std::optional<size_t> args_end;
  if (name_end > 0 && name_end < body.size() && body[name_end] == '(') {
    args_end = split_args(body, name_end, &args);
  }
  if (!args_end) {
    if (body.starts_with("--- ")) {
      return out + std::regex_replace(body, kSiPid, "si_pid=<pid>");
    }
    return out + body;
  }
  const std::string name = body.substr(0, name_end);
  std::string rest = body.substr(*args_end);
  const size_t padding = rest.find_first_not_of(' ');
  if (padding == std::string::npos || padding == 0 || rest.compare(padding, 2, "= ") != 0) {
    return out + body;
  }
  std::string result = rest.substr(padding + 2);
  std::string duration;
  if (options.durations && std::regex_search(result.cbegin(), result.cend(), match, kDuration)) {
    duration = " <dur>";
    result.resize(result.size() - static_cast<size_t>(match.length(0)));
  }

  // Rule 4, judged on the line as printed.
  const size_t column = pos + *args_end;
  const size_t expected_padding = column < kResultColumn ? kResultColumn - column : 1;
  const std::string separator =
      padding == expected_padding ? " " : " <misaligned: " + std::to_string(padding) + " spaces> ";

  mask_call(name, args, result);

  out += name + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    out += (i == 0 ? "" : ",") + args[i];
  }
  return out + ")" + separator + "= " + result + duration;
}

std::vector<std::string> normalise_trace(std::string_view trace, const NormaliseOptions& options) {
  std::vector<std::string> lines;
  while (!trace.empty()) {
    const size_t end = trace.find('\n');
    lines.push_back(normalise_line(trace.substr(0, end), options));
    if (end == std::string_view::npos) {
      break;
    }
    trace.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace moat::integration
