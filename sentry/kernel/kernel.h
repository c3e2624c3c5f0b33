#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "loader/elf.h"
#include "platform/platform.h"
#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/signal.h"

namespace moat::sentry {

class Task;
namespace strace {
class Tracer;
}

struct KernelOptions {
  bool randomize_layout = true;  // ASLR, as Linux's randomize_va_space = 2
  std::string hostname = "moat";
  std::string cwd = "/";             // the working directory getcwd(2) reports
  strace::Tracer* tracer = nullptr;  // trace mode; not owned
};

// The program the first process runs.
struct ExecSpec {
  std::string guest_path;  // what the guest sees as its executable (/proc/self/exe)
  std::span<const std::byte> file;
  const loader::ElfImage* image = nullptr;  // parsed from `file`
  std::vector<std::string> argv;
  std::vector<std::string> envp;
};

// The sentry's kernel: processes, their memory and files, over one machine.
class Kernel {
 public:
  Kernel(platform::Machine& machine, KernelOptions options);
  ~Kernel();

  // Starts the first process (pid 1) and runs it until the whole process
  // ends. Fails only if moat could not set it up or the platform failed;
  // an E2BIG or ENOMEM from setting up the image is reported the same way.
  Result<ExitStatus, Error> run(const ExecSpec& spec);

  platform::Machine& machine() { return m_machine; }
  const KernelOptions& options() const { return m_options; }
  const platform::CpuInfo& cpu_info() const { return m_cpu_info; }
  // Trace mode's tracer, or nullptr when tracing is off.
  strace::Tracer* tracer() const { return m_options.tracer; }

  uint32_t uid() const { return m_uid; }
  uint32_t gid() const { return m_gid; }

  // Logs "unknown syscall" at most once per number.
  void note_unsupported_syscall(uint64_t number, const char* name);

  // Random bits for address-space layout (0 when randomization is off).
  uint64_t layout_random(unsigned bits);

  // Signals sent to moat itself (SIGINT, SIGTERM, SIGHUP, SIGQUIT) go to the
  // guest's first process. post_host_signal is async-signal-safe: moat's own
  // handlers call it. take_host_signals returns (and clears) those posted.
  void post_host_signal(int signo);
  SigSet take_host_signals() {
    if (m_host_signals.load(std::memory_order_relaxed) == 0) [[likely]] {
      return 0;
    }
    return m_host_signals.exchange(0, std::memory_order_acq_rel);
  }

 private:
  platform::Machine& m_machine;
  KernelOptions m_options;
  platform::CpuInfo m_cpu_info;
  uint32_t m_uid;
  uint32_t m_gid;
  std::mt19937_64 m_random;
  std::array<std::atomic<bool>, 1024> m_unsupported_logged{};
  std::atomic<bool> m_out_of_range_logged{false};
  std::atomic<SigSet> m_host_signals{0};
  std::atomic<platform::Vcpu*> m_init_vcpu{nullptr};
};

}  // namespace moat::sentry
