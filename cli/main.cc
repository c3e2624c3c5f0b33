// moat: run an untrusted Linux program in a KVM sandbox with a user-space kernel.

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "base/log.h"
#include "cli/program.h"
#include "loader/elf.h"
#include "platform/kvm/kvm_machine.h"
#include "sentry/fs/sandbox_tree.h"
#include "sentry/kernel/kernel.h"
#include "sentry/strace/tracer.h"

extern char** environ;

namespace moat::cli {
namespace {

// moat's own exit codes, after the shell's conventions.
constexpr int kExitMoatError = 125;  // moat could not run the program at all
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

constexpr const char* kVersion = "0.1.0";

constexpr const char* kExamples = R"(
Examples:
  moat run -- /bin/hello                 run a static program
  moat run -e LANG=C --clear-env -- ./app --flag value
  moat run --log-level=error -- ./app    hide warnings such as unsupported syscalls
  moat run --strace -- ./app             print every syscall as strace would
  moat trace -f -tt -o app.trace -- ./app
  moat trace -e trace=%file,write -s 128 -- ./app
  moat trace -c -- ./app                 count calls, errors and time per syscall

Exit status: the program's own; 128+N if signal N killed it; 125 if moat
itself failed; 126 if the program cannot be executed (not an ELF file, wrong
architecture, no permission); 127 if it was not found.)";

struct RunOptions {
  std::string log_level = "warn";
  std::vector<std::string> env;
  bool clear_env = false;
  std::string memory = "2G";
  unsigned pids_limit = 0;
  bool no_aslr = false;
  std::string rootfs = "/";
  std::string hostname = "moat";
  std::vector<std::string> command;
  // Trace mode: `moat run --strace`, or `moat trace` with strace's options.
  bool strace = false;
  sentry::strace::TraceOptions trace;
  int timestamps = 0;                    // how many -t
  std::vector<std::string> expressions;  // -e
  std::vector<std::string> trace_sets;   // --trace
  bool successful_only = false;
  bool failed_only = false;
  bool summary_only = false;
  bool summary_too = false;
};

void fail_line(const std::string& message) {
  std::fprintf(stderr, "moat: %s\n", message.c_str());
}

// Turns `moat trace`'s strace-style options into TraceOptions.
bool finish_trace_options(RunOptions& options) {
  auto& trace = options.trace;
  trace.timestamps = options.timestamps >= 3   ? sentry::strace::Timestamps::kEpochMicros
                     : options.timestamps == 2 ? sentry::strace::Timestamps::kMicros
                     : options.timestamps == 1 ? sentry::strace::Timestamps::kSeconds
                                               : sentry::strace::Timestamps::kNone;
  if (options.successful_only && options.failed_only) {
    fail_line("trace: -z and -Z exclude each other");
    return false;
  }
  trace.result_filter = options.successful_only ? sentry::strace::ResultFilter::kSuccessful
                        : options.failed_only   ? sentry::strace::ResultFilter::kFailed
                                                : sentry::strace::ResultFilter::kAll;
  trace.summary = options.summary_too    ? sentry::strace::Summary::kAlso
                  : options.summary_only ? sentry::strace::Summary::kOnly
                                         : sentry::strace::Summary::kNone;
  for (const auto& set : options.trace_sets) {
    options.expressions.push_back("trace=" + set);
  }
  for (const auto& expression : options.expressions) {
    if (auto applied = sentry::strace::apply_expression(expression, trace); !applied) {
      fail_line("trace: " + applied.error().message);
      return false;
    }
  }
  return true;
}

std::string signal_name(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

std::optional<uint64_t> parse_size(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str()) {
    return std::nullopt;
  }
  uint64_t scale = 1;
  std::string suffix(end);
  if (suffix == "K" || suffix == "k") {
    scale = 1ull << 10;
  } else if (suffix == "M" || suffix == "m") {
    scale = 1ull << 20;
  } else if (suffix == "G" || suffix == "g") {
    scale = 1ull << 30;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  if (value > (1ull << 46) / scale) {
    return std::nullopt;
  }
  return value * scale;
}

int kvm_failure(const Error& error) {
  if (error.sys_errno == ENOENT) {
    fail_line(
        "/dev/kvm does not exist: this host offers no KVM. Enable virtualization in the "
        "firmware (or nested virtualization for a VM) and load kvm_intel or kvm_amd.");
  } else if (error.sys_errno == EACCES || error.sys_errno == EPERM) {
    fail_line(
        "cannot open /dev/kvm: Permission denied. Add yourself to its group "
        "(sudo usermod -aG kvm $USER, then log in again) or run moat as root.");
  } else {
    fail_line(error.message);
  }
  return kExitMoatError;
}

int run(const RunOptions& options) {
  if (!log::set_level(options.log_level)) {
    fail_line("unknown log level '" + options.log_level + "'");
    return kExitMoatError;
  }
  auto memory_bytes = parse_size(options.memory);
  if (!memory_bytes || *memory_bytes < (16ull << 20)) {
    fail_line("--memory wants a size of at least 16M, like 512M or 2G");
    return kExitMoatError;
  }

  std::vector<std::string> envp;
  if (!options.clear_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      envp.emplace_back(*e);
    }
  }
  for (const auto& assignment : options.env) {
    auto eq = assignment.find('=');
    std::string name = assignment.substr(0, eq);
    std::erase_if(envp, [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    envp.push_back(eq == std::string::npos ? assignment + "=" : assignment);
  }
  std::string path_env;
  for (const auto& e : envp) {
    if (e.starts_with("PATH=")) {
      path_env = e.substr(5);
    }
  }

  sentry::SandboxTreeOptions tree_options;
  tree_options.rootfs = options.rootfs;
  tree_options.tmpfs_bytes = *memory_bytes;
  tree_options.uid = getuid();
  tree_options.gid = getgid();
  auto tree = sentry::build_sandbox_tree(tree_options);
  if (!tree) {
    fail_line(tree.error().message);
    return kExitMoatError;
  }
  // The working directory: moat's own when the root is the host's, else /.
  std::string cwd_path = "/";
  if (options.rootfs == "/") {
    if (char* cwd = getcwd(nullptr, 0)) {
      cwd_path = cwd;
      free(cwd);
    }
  }
  auto cwd = (*tree)->lookup((*tree)->root(), (*tree)->root(), cwd_path, true);
  auto program = open_program(**tree, cwd ? *cwd : (*tree)->root(), options.command.front(),
                              path_env, getuid(), getgid());
  if (!program) {
    fail_line(program.error().message);
    return program.error().kind == ProgramError::kNotFound ? kExitNotFound : kExitCannotExecute;
  }
  const bool script = program->bytes.size() >= 2 && program->bytes[0] == std::byte{'#'} &&
                      program->bytes[1] == std::byte{'!'};
  auto image = loader::parse_elf(program->bytes, sentry::arch::kElfMachine);
  if (!script && !image) {
    fail_line(options.command.front() + ": exec format error: " + image.error().message);
    return kExitCannotExecute;
  }

  // A write to a closed pipe must become EPIPE for the guest, not kill moat.
  signal(SIGPIPE, SIG_IGN);

  auto machine = kvm::create_machine(platform::MachineOptions{*memory_bytes});
  if (!machine) {
    return kvm_failure(machine.error());
  }

  std::unique_ptr<sentry::strace::Tracer> tracer;
  if (options.strace) {
    auto created = sentry::strace::Tracer::create(options.trace);
    if (!created) {
      fail_line(created.error().message);
      return kExitMoatError;
    }
    tracer = std::move(*created);
  }

  sentry::KernelOptions kernel_options;
  kernel_options.randomize_layout = !options.no_aslr;
  kernel_options.pids_limit = options.pids_limit;
  kernel_options.tracer = tracer.get();
  kernel_options.vfs = *tree;
  kernel_options.cwd = cwd_path;
  kernel_options.hostname = options.hostname;
  sentry::Kernel kernel(**machine, kernel_options);

  const auto& root = (*tree)->root();
  auto request = kernel.resolve_exec(
      root, cwd ? *cwd : root, sentry::ProgramFile{program->dentry, std::move(program->bytes)},
      program->guest_path, options.command, std::move(envp));
  if (!request) {
    // What a shell reports for a script whose interpreter fails.
    const Errno err = request.error();
    fail_line(options.command.front() + ": " +
              (err == Errno::kENOEXEC ? std::string("exec format error")
                                      : std::string(std::strerror(to_int(err)))));
    return err == Errno::kENOENT ? kExitNotFound : kExitCannotExecute;
  }

  auto status = kernel.run(*request);
  if (!status) {
    fail_line(status.error().message);
    return status.error().message == "argument list too long" ? kExitCannotExecute : kExitMoatError;
  }
  if (!status->signaled) {
    return status->code;
  }
  if (status->fault) {
    fail_line(fmt::format("program killed by {} at {:#x}", signal_name(status->code),
                          status->fault_address));
  } else if (status->code != SIGPIPE) {
    fail_line(fmt::format("program killed by {}", signal_name(status->code)));
  }
  return 128 + status->code;
}

}  // namespace
}  // namespace moat::cli

int main(int argc, char** argv) {
  using namespace moat::cli;
  CLI::App app{"moat: run untrusted Linux programs in a KVM sandbox with a user-space kernel",
               "moat"};
  app.footer(kExamples);
  app.set_version_flag("-V,--version", std::string("moat ") + kVersion);
  app.require_subcommand(1);

  RunOptions options;
  auto* run_cmd = app.add_subcommand("run", "Run PROGRAM with ARGS inside a sandbox");
  auto* trace_cmd = app.add_subcommand(
      "trace",
      "Run PROGRAM as `moat run` does and print its syscalls, signals and exit as strace does "
      "(strace's options; moat's own long options as for run)");
  for (CLI::App* cmd : {run_cmd, trace_cmd}) {
    const bool is_trace = cmd == trace_cmd;
    cmd->add_option("--log-level", options.log_level,
                    "moat's own log: off, error, warn, info, debug, trace")
        ->capture_default_str();
    // In `moat trace`, -e is strace's expression.
    cmd->add_option(is_trace ? "--env" : "-e,--env", options.env,
                    "Set NAME=VALUE in the program's environment");
    cmd->add_flag("--clear-env", options.clear_env,
                  "Start from an empty environment instead of moat's own");
    cmd->add_option("-m,--memory", options.memory, "Guest memory limit (e.g. 512M, 2G)")
        ->capture_default_str();
    cmd->add_option(
           "--pids-limit", options.pids_limit,
           "Most tasks (threads of every process) alive at once; more fail with EAGAIN (0: only "
           "moat's own bound, 1024 vCPUs)")
        ->capture_default_str();
    cmd->add_flag("--no-aslr", options.no_aslr, "Disable address-space layout randomization");
    cmd->add_option("--rootfs", options.rootfs,
                    "Host directory to use as the sandbox's root, read-only (writes go to "
                    "tmpfs on /tmp and /dev/shm)")
        ->capture_default_str();
    cmd->add_option("--hostname", options.hostname, "The sandbox's host name")
        ->capture_default_str();
    cmd->add_option("program", options.command, "PROGRAM [ARGS...]")->required();
  }
  run_cmd->add_flag("--strace", options.strace,
                    "Print every syscall to stderr as strace does (see `moat trace` for options)");
  trace_cmd->add_option("-o,--output", options.trace.output_path,
                        "Write the trace to FILE instead of stderr");
  trace_cmd->add_flag("-t", options.timestamps,
                      "Prefix lines with the time of day; -tt adds microseconds, -ttt prints "
                      "seconds since the epoch");
  trace_cmd->add_flag("-T", options.trace.durations, "Show the time spent in each syscall");
  trace_cmd->add_flag("-f", options.trace.follow_forks,
                      "Accepted for strace's sake: moat always follows every task (with -o, "
                      "lines then carry the pid, as strace's do)");
  trace_cmd->add_option("-e", options.expressions,
                        "trace=SET (names, %file, %desc, %memory, %process, %signal, "
                        "%network, %ipc, %creds, %clock, /regex, !SET), status=failed|successful");
  trace_cmd->add_option("--trace", options.trace_sets, "Same as -e trace=SET");
  trace_cmd->add_flag("-z,--successful-only", options.successful_only,
                      "Print only syscalls that succeeded");
  trace_cmd->add_flag("-Z,--failed-only", options.failed_only, "Print only syscalls that failed");
  trace_cmd
      ->add_option("-s,--string-limit", options.trace.string_limit,
                   "Print at most N bytes of each string (default 32)")
      ->capture_default_str();
  trace_cmd->add_flag("-c,--summary-only", options.summary_only,
                      "Print a table of calls, errors and time per syscall instead of the trace");
  trace_cmd->add_flag("-C,--summary", options.summary_too, "Print the trace and then the table");

  // Everything from PROGRAM on belongs to the program, exactly as given, so
  // split the command line there before CLI11 sees it.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> program_args;
  auto run_at = std::find_if(args.begin(), args.end(),
                             [](const std::string& a) { return a == "run" || a == "trace"; });
  CLI::App* cmd = run_at != args.end() && *run_at == "trace" ? trace_cmd : run_cmd;
  if (run_at != args.end()) {
    auto it = std::next(run_at);
    while (it != args.end()) {
      const std::string& arg = *it;
      if (arg == "--") {
        program_args.assign(std::next(it), args.end());
        args.erase(it, args.end());
        break;
      }
      if (arg.size() > 1 && arg[0] == '-') {
        const std::string name = arg.substr(0, arg.find('='));
        const CLI::Option* opt = cmd->get_option_no_throw(name);
        bool takes_value = opt != nullptr && opt->get_items_expected_min() > 0;
        bool attached =
            arg.find('=') != std::string::npos || (arg.size() > 2 && arg[1] != '-');  // -eFOO=bar
        it += (takes_value && !attached && std::next(it) != args.end()) ? 2 : 1;
        continue;
      }
      program_args.assign(it, args.end());
      args.erase(it, args.end());
      break;
    }
  }
  if (!program_args.empty()) {
    // CLI11 sees only PROGRAM; the arguments are added back afterwards.
    args.push_back("--");
    args.push_back(program_args.front());
  }
  std::reverse(args.begin(), args.end());

  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitMoatError;
  }
  if (!program_args.empty()) {
    options.command = program_args;
  }
  if (trace_cmd->parsed()) {
    options.strace = true;
    if (!finish_trace_options(options)) {
      return kExitMoatError;
    }
  }
  return run(options);
}
