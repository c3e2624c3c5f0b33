#include "sentry/strace/tracer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

namespace moat::sentry::strace {
namespace {

// strace lines up ` = result` at this column.
constexpr size_t kResultColumn = 40;

int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// Appends ` = ` aligned as strace aligns it: pad the line to column 40.
void append_result(std::string& line, size_t line_start, std::string_view result) {
  const size_t column = line.size() - line_start;
  line += ' ';
  if (column + 1 < kResultColumn) {
    line.append(kResultColumn - column - 1, ' ');
  }
  line += "= ";
  line += result;
}

std::string format_duration(int64_t ns) {
  return fmt::format(" <{}.{:06}>", ns / 1'000'000'000, (ns % 1'000'000'000) / 1000);
}

}  // namespace

Result<std::unique_ptr<Tracer>, Error> Tracer::create(TraceOptions options) {
  if (options.output_path.empty()) {
    return std::make_unique<Tracer>(std::move(options), STDERR_FILENO, false);
  }
  UniqueFd fd(open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return host_error(fmt::format("cannot open trace output {}", options.output_path), errno);
  }
  auto tracer = std::make_unique<Tracer>(std::move(options), fd.get(), true);
  tracer->m_owned_fd = std::move(fd);
  return tracer;
}

Tracer::Tracer(TraceOptions options, int fd, bool to_file)
    : m_options(std::move(options)), m_fd(fd), m_to_file(to_file) {
  m_format.string_limit = m_options.string_limit;
  m_counts.resize(syscall_table().size() + 1);
}

Tracer::~Tracer() = default;

void Tracer::task_started(int) {
  std::lock_guard guard(m_lock);
  ++m_live_tasks;
}

void Tracer::task_ended(int tid) {
  std::lock_guard guard(m_lock);
  --m_live_tasks;
  if (m_open_tid == tid) {
    m_open_tid = -1;
  }
}

std::string Tracer::leader(int tid) const {
  std::string out;
  if (m_to_file && m_options.follow_forks) {
    out = fmt::format("{:<5} ", tid);
  } else if (m_live_tasks > 1 && !m_to_file) {
    out = fmt::format("[pid {:>5}] ", tid);
  }
  if (m_options.timestamps == Timestamps::kNone) {
    return out;
  }
  const int64_t realtime_ns = now_ns(CLOCK_REALTIME);
  const time_t seconds = static_cast<time_t>(realtime_ns / 1'000'000'000);
  const int64_t micros = (realtime_ns % 1'000'000'000) / 1000;
  tm local{};
  switch (m_options.timestamps) {
    case Timestamps::kNone:
      break;
    case Timestamps::kSeconds:
      localtime_r(&seconds, &local);
      out += fmt::format("{:02}:{:02}:{:02} ", local.tm_hour, local.tm_min, local.tm_sec);
      break;
    case Timestamps::kMicros:
      localtime_r(&seconds, &local);
      out += fmt::format("{:02}:{:02}:{:02}.{:06} ", local.tm_hour, local.tm_min, local.tm_sec,
                         micros);
      break;
    case Timestamps::kEpochMicros:
      out += fmt::format("{}.{:06} ", seconds, micros);
      break;
  }
  return out;
}

void Tracer::interrupt_open_line(int tid) {
  if (m_open_tid != -1 && m_open_tid != tid) {
    write_out(" <unfinished ...>\n");
  }
  m_open_tid = -1;
}

void Tracer::write_out(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(m_fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // the trace output is gone (a closed pipe): the program goes on
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void Tracer::syscall_entry(int tid, CallState& state, uint64_t number, const SyscallInfo* info,
                           const SyscallArgs& args, const GuestReader& mem) {
  state.call = CallText{};
  state.call.info = info;
  state.call.number = number;
  state.call.args = args;
  state.entry_written = false;
  if (info != nullptr) {
    state.traced = m_options.traces(static_cast<size_t>(info - syscall_table().data()));
  } else {
    state.traced = m_options.selected_unknown;
  }
  if (!state.traced) {
    return;
  }
  if (!writes_lines()) {
    state.start_ns = now_ns(CLOCK_MONOTONIC);
    return;
  }
  std::string args_text = decode_entry(state.call, mem, m_format);
  std::lock_guard guard(m_lock);
  state.entry_text = leader(tid) + call_name(state.call) + "(" + args_text;
  // With a result filter the line is only known to be wanted at exit.
  if (m_options.result_filter == ResultFilter::kAll) {
    interrupt_open_line(tid);
    write_out(state.entry_text);
    m_open_tid = tid;
    state.entry_written = true;
  }
  state.start_ns = now_ns(CLOCK_MONOTONIC);
}

void Tracer::syscall_exit(int tid, CallState& state, uint64_t ret, const GuestReader& mem) {
  if (!state.traced) {
    return;
  }
  const int64_t duration = now_ns(CLOCK_MONOTONIC) - state.start_ns;
  count(state, ret, duration);
  if (!writes_lines()) {
    return;
  }
  const bool failed = is_error_return(ret);
  if ((m_options.result_filter == ResultFilter::kSuccessful && failed) ||
      (m_options.result_filter == ResultFilter::kFailed && !failed)) {
    return;
  }
  std::string suffix;
  std::string rest = decode_exit(state.call, ret, mem, m_format, &suffix);
  std::string result = format_return(state.call, ret) + suffix;
  std::lock_guard guard(m_lock);
  std::string line = start_exit_line(tid, state);
  const size_t written = m_open_tid == tid ? state.entry_text.size() : 0;
  line += rest;
  append_result(line, 0, result);
  if (m_options.durations) {
    line += format_duration(duration);
  }
  line += '\n';
  write_out(std::string_view(line).substr(written));
  m_open_tid = -1;
}

void Tracer::syscall_no_return(int tid, CallState& state) {
  if (!state.traced) {
    return;
  }
  // strace's -c counts only calls that return; -z and -Z leave the others
  // out as well.
  if (!writes_lines() || m_options.result_filter != ResultFilter::kAll) {
    return;
  }
  std::lock_guard guard(m_lock);
  std::string line = start_exit_line(tid, state);
  const size_t written = m_open_tid == tid ? state.entry_text.size() : 0;
  line += ')';
  append_result(line, 0, "?");
  line += '\n';
  write_out(std::string_view(line).substr(written));
  m_open_tid = -1;
}

std::string Tracer::start_exit_line(int tid, const CallState& state) {
  if (m_open_tid == tid) {
    return state.entry_text;  // on the output already, continued in place
  }
  interrupt_open_line(tid);
  if (state.entry_written) {
    return leader(tid) + "<... " + call_name(state.call) + " resumed>";
  }
  return state.entry_text;
}

void Tracer::initial_exec(int tid, const std::string& path, uint64_t argv_addr, uint64_t envp_addr,
                          const GuestReader& mem) {
  const SyscallInfo* execve = nullptr;
  for (const auto& info : syscall_table()) {
    if (info.name == "execve") {
      execve = &info;
    }
  }
  if (execve == nullptr ||
      !m_options.traces(static_cast<size_t>(execve - syscall_table().data()))) {
    return;
  }
  CallState state;
  state.traced = true;
  state.call.info = execve;
  state.start_ns = now_ns(CLOCK_MONOTONIC);
  count(state, 0, 0);
  if (!writes_lines() || m_options.result_filter == ResultFilter::kFailed) {
    return;
  }
  std::string args = quote(path, false) + ", " + format_string_array(mem, argv_addr, m_format) +
                     ", " + format_env_array(mem, envp_addr);
  std::lock_guard guard(m_lock);
  interrupt_open_line(tid);
  std::string line = leader(tid) + "execve(" + args + ")";
  append_result(line, 0, "0");
  if (m_options.durations) {
    line += format_duration(0);
  }
  line += '\n';
  write_out(line);
}

void Tracer::signal_delivered(int tid, int signo, int code, uint64_t addr_or_pid, int uid_or_status,
                              int child_uid) {
  if (!writes_lines()) {
    return;
  }
  std::lock_guard guard(m_lock);
  interrupt_open_line(tid);
  write_out(leader(tid) + "--- " + signal_name(signo) + " " +
            format_siginfo(signo, code, addr_or_pid, uid_or_status, child_uid) + " ---\n");
}

void Tracer::process_exited(int tid, bool signaled, int code) {
  if (!writes_lines()) {
    return;
  }
  std::lock_guard guard(m_lock);
  interrupt_open_line(tid);
  const std::string what =
      signaled ? "killed by " + signal_name(code) : fmt::format("exited with {}", code);
  write_out(leader(tid) + "+++ " + what + " +++\n");
}

void Tracer::count(const CallState& state, uint64_t ret, int64_t duration_ns) {
  if (m_options.summary == Summary::kNone) {
    return;
  }
  const size_t row = state.call.info != nullptr
                         ? static_cast<size_t>(state.call.info - syscall_table().data())
                         : m_counts.size() - 1;
  std::lock_guard guard(m_lock);
  Counts& counts = m_counts[row];
  ++counts.calls;
  counts.errors += is_error_return(ret) ? 1 : 0;
  counts.total_ns += duration_ns;
  counts.number = state.call.number;
}

void Tracer::finish() {
  if (m_options.summary == Summary::kNone) {
    return;
  }
  std::lock_guard guard(m_lock);
  write_out(summary_table());
}

std::string Tracer::summary_table() const {
  struct Row {
    std::string name;
    const Counts* counts;
  };
  std::vector<Row> rows;
  const auto table = syscall_table();
  Counts total;
  for (size_t i = 0; i < m_counts.size(); ++i) {
    if (m_counts[i].calls == 0) {
      continue;
    }
    rows.push_back({i < table.size() ? std::string(table[i].name) : "(unknown)", &m_counts[i]});
    total.calls += m_counts[i].calls;
    total.errors += m_counts[i].errors;
    total.total_ns += m_counts[i].total_ns;
  }
  // By time, then by syscall number, as strace orders its table.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.counts->total_ns != b.counts->total_ns) {
      return a.counts->total_ns > b.counts->total_ns;
    }
    return a.counts->number < b.counts->number;
  });
  auto line = [&](std::string_view name, const Counts& c, double percent) {
    const std::string errors = c.errors != 0 ? std::to_string(c.errors) : "";
    return fmt::format("{:6.2f} {:11.6f} {:11} {:9} {:>9} {}\n", percent,
                       static_cast<double>(c.total_ns) / 1e9,
                       c.calls != 0 ? c.total_ns / 1000 / static_cast<int64_t>(c.calls) : 0,
                       c.calls, errors, name);
  };
  const std::string separator =
      "------ ----------- ----------- --------- --------- ----------------\n";
  std::string out = "% time     seconds  usecs/call     calls    errors syscall\n" + separator;
  for (const Row& row : rows) {
    const double percent = total.total_ns > 0 ? 100.0 * static_cast<double>(row.counts->total_ns) /
                                                    static_cast<double>(total.total_ns)
                                              : 0.0;
    out += line(row.name, *row.counts, percent);
  }
  out += separator + line("total", total, 100.0);
  return out;
}

}  // namespace moat::sentry::strace
