// moat's first benchmarks, moat against native Linux in one run:
//   - a bare KVM exit round trip: a two-instruction guest loop (OUT; JMP)
//     in a throwaway VM, no stub, no paging: the hypervisor's floor;
//   - a trap round trip through moat's platform layer: a user-mode guest loop
//     of SYSCALL through the stub, each answered without the sentry;
//   - the per-call cost of getppid(2) under moat and natively;
//   - a futex ping-pong between two threads (one round trip = two
//     wait/wake hand-overs), moat and native;
//   - wall time from start to exit of a static hello world, moat and native.
// Prints a table and, with --json FILE, writes the figures as JSON.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "platform/kvm/kvm_machine.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return Stats{v[v.size() / 2], v.front(), v.back()};
}

// Runs argv with stdout captured; returns its output and wall seconds.
std::pair<std::string, double> run(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    perror("pipe2");
    exit(1);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  auto start = Clock::now();
  pid_t pid;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    fprintf(stderr, "cannot run %s\n", args[0]);
    exit(1);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  close(pipefd[0]);
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s failed (status %#x)\n", args[0], status);
    exit(1);
  }
  return {out, seconds};
}

double ns_per_call(const std::string& output) {
  auto at = output.find("ns_per_call ");
  if (at == std::string::npos) {
    fprintf(stderr, "no ns_per_call in: %s\n", output.c_str());
    exit(1);
  }
  return std::stod(output.substr(at + 12));
}

// Bare trap round trips: user code `1: syscall; jmp 1b`, each trap answered
// by re-entering the vCPU at once. Returns ns per round trip.
double bare_trap_ns(int iterations) {
  using namespace moat;
  auto machine = kvm::create_machine(platform::MachineOptions{64ull << 20});
  if (!machine) {
    fprintf(stderr, "kvm: %s\n", machine.error().message.c_str());
    exit(1);
  }
  auto as = (*machine)->new_address_space();
  auto& memory = (*machine)->memory();
  auto code = memory.allocate_page();
  const uint8_t loop[] = {0x0f, 0x05, 0xeb, 0xfc};  // syscall; jmp -4
  std::memcpy(memory.host(*code), loop, sizeof(loop));
  constexpr uint64_t kCodeVa = 0x400000;
  if (!code || !as || !(*as)->map(kCodeVa, *code, platform::kProtRead | platform::kProtExec)) {
    fprintf(stderr, "cannot set up the bare-trap guest\n");
    exit(1);
  }
  auto vcpu = (*machine)->new_vcpu(**as);
  if (!vcpu) {
    fprintf(stderr, "kvm: %s\n", vcpu.error().message.c_str());
    exit(1);
  }
  (*vcpu)->regs().rip = kCodeVa;
  auto once = [&] {
    auto trap = (*vcpu)->run();
    if (!trap || trap->kind != platform::Trap::Kind::kSyscall) {
      fprintf(stderr, "bare-trap guest: unexpected trap\n");
      exit(1);
    }
  };
  for (int i = 0; i < 100; ++i) {
    once();
  }
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    once();
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
}

void row(const char* name, const char* unit, Stats moat, Stats native) {
  printf("%-34s %-6s %12.1f %12.1f %12.1f %12.1f %8.1fx\n", name, unit, moat.median, moat.min,
         moat.max, native.median, moat.median / native.median);
}

}  // namespace

int main(int argc, char** argv) {
  std::string moat = MOAT_BINARY;
  std::string programs = PROGRAMS_DIR;
  std::string json_path;
  int reps = 7;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(3, atoi(argv[++i]));
    } else {
      fprintf(stderr, "usage: moat_bench [--reps N] [--json FILE]\n");
      return 2;
    }
  }
  const std::string hello = programs + "/hello.glibc";
  const std::string loop = programs + "/getppid_loop.glibc";
  const std::string pingpong = programs + "/futex_pingpong.glibc";
  const std::string processes = programs + "/processes.glibc";
  constexpr int kPingPongRounds = 2000;
  constexpr int kForks = 200;
  constexpr int kExecs = 100;
  constexpr int kLoopCalls = 20000;
  constexpr int kBareIterations = 20000;

  std::vector<double> raw_exit, bare, moat_call, native_call, moat_start, native_start, moat_pp,
      native_pp, moat_fork, native_fork, moat_exec, native_exec;
  // Warm-up: page cache, the binaries.
  run({moat, "run", "--", hello});
  run({hello});
  for (int r = 0; r < reps; ++r) {
    auto raw = moat::kvm::measure_bare_exit_ns(kBareIterations);
    if (!raw) {
      fprintf(stderr, "bare exit: %s\n", raw.error().message.c_str());
      return 1;
    }
    raw_exit.push_back(*raw);
    bare.push_back(bare_trap_ns(kBareIterations));
    moat_call.push_back(
        ns_per_call(run({moat, "run", "--", loop, std::to_string(kLoopCalls)}).first));
    native_call.push_back(ns_per_call(run({loop, std::to_string(kLoopCalls)}).first));
    moat_pp.push_back(
        ns_per_call(run({moat, "run", "--", pingpong, std::to_string(kPingPongRounds)}).first));
    native_pp.push_back(ns_per_call(run({pingpong, std::to_string(kPingPongRounds)}).first));
    moat_fork.push_back(
        ns_per_call(run({moat, "run", "--", processes, "bench", std::to_string(kForks)}).first));
    native_fork.push_back(ns_per_call(run({processes, "bench", std::to_string(kForks)}).first));
    moat_exec.push_back(ns_per_call(
        run({moat, "run", "--", processes, "execbench", std::to_string(kExecs)}).first));
    native_exec.push_back(ns_per_call(run({processes, "execbench", std::to_string(kExecs)}).first));
    for (int k = 0; k < 5; ++k) {
      moat_start.push_back(run({moat, "run", "--", hello}).second * 1e3);
      native_start.push_back(run({hello}).second * 1e3);
    }
  }
  Stats s_raw = stats_of(raw_exit), s_bare = stats_of(bare), s_moat_call = stats_of(moat_call),
        s_native_call = stats_of(native_call), s_moat_start = stats_of(moat_start),
        s_native_start = stats_of(native_start), s_moat_pp = stats_of(moat_pp),
        s_native_pp = stats_of(native_pp), s_moat_fork = stats_of(moat_fork),
        s_native_fork = stats_of(native_fork), s_moat_exec = stats_of(moat_exec),
        s_native_exec = stats_of(native_exec);

  printf("%-34s %-6s %12s %12s %12s %12s %9s\n", "benchmark", "unit", "moat median", "moat min",
         "moat max", "native med", "ratio");
  row("hello start-to-exit", "ms", s_moat_start, s_native_start);
  row("getppid per call", "ns", s_moat_call, s_native_call);
  row("futex ping-pong round trip", "ns", s_moat_pp, s_native_pp);
  row("fork + exit + wait", "ns", s_moat_fork, s_native_fork);
  row("fork + exec + exit + wait", "ns", s_moat_exec, s_native_exec);
  printf("%-34s %-6s %12.1f %12.1f %12.1f\n", "bare KVM exit round trip", "ns", s_raw.median,
         s_raw.min, s_raw.max);
  printf("%-34s %-6s %12.1f %12.1f %12.1f\n", "trap round trip, stub, no sentry", "ns",
         s_bare.median, s_bare.min, s_bare.max);
  printf("getppid / bare KVM exit round trip: %.2fx (target <= 1.2x)\n",
         s_moat_call.median / s_raw.median);
  printf("getppid / trap round trip without the sentry: %.2fx\n",
         s_moat_call.median / s_bare.median);
  printf("hello start-to-exit under moat: %.2f ms (target < 10 ms)\n", s_moat_start.median);

  if (!json_path.empty()) {
    std::ofstream out(json_path);
    auto obj = [](Stats s) {
      char buf[160];
      snprintf(buf, sizeof(buf), "{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}", s.median,
               s.min, s.max);
      return std::string(buf);
    };
    out << "{\n"
        << "  \"hello_start_to_exit_ms\": {\"moat\": " << obj(s_moat_start)
        << ", \"native\": " << obj(s_native_start) << "},\n"
        << "  \"getppid_ns\": {\"moat\": " << obj(s_moat_call)
        << ", \"native\": " << obj(s_native_call) << "},\n"
        << "  \"futex_pingpong_round_trip_ns\": {\"moat\": " << obj(s_moat_pp)
        << ", \"native\": " << obj(s_native_pp) << "},\n"
        << "  \"fork_exit_wait_ns\": {\"moat\": " << obj(s_moat_fork)
        << ", \"native\": " << obj(s_native_fork) << "},\n"
        << "  \"fork_exec_exit_wait_ns\": {\"moat\": " << obj(s_moat_exec)
        << ", \"native\": " << obj(s_native_exec) << "},\n"
        << "  \"bare_exit_round_trip_ns\": " << obj(s_raw) << ",\n"
        << "  \"stub_trap_round_trip_ns\": " << obj(s_bare) << ",\n"
        << "  \"getppid_over_bare_exit\": " << s_moat_call.median / s_raw.median << ",\n"
        << "  \"getppid_over_stub_trap\": " << s_moat_call.median / s_bare.median << "\n}\n";
  }
  return 0;
}
