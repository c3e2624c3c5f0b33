// Program images: what execve(2) and the first process start from.

#include <sys/mman.h>
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "base/bits.h"
#include "base/log.h"
#include "loader/initial_stack.h"
#include "loader/load.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/vfs/vfs.h"

namespace moat::sentry {
namespace {

// Linux x86-64/arm64 (47/48-bit) defaults: the top of the stack, the PIE load
// base (2/3 of the address space) and the randomisation ranges.
constexpr uint64_t kStackTop = MemoryManager::kTaskSize;
constexpr uint64_t kPieBase = 0x5555'5555'4000ull;
constexpr unsigned kStackRandomBits = 22;  // pages: up to 16 GiB
constexpr unsigned kMmapRandomBits = 28;   // pages
constexpr unsigned kPieRandomBits = 28;    // pages
constexpr unsigned kBrkRandomBits = 13;    // pages: up to 32 MiB
constexpr uint64_t kMinStackGap = 128ull << 20;
// How many "#!" interpreters execve follows (Linux's BINPRM_MAX_RECURSION).
constexpr int kMaxInterpreterDepth = 4;
// Linux's limit on a "#!" line (BINPRM_BUF_SIZE).
constexpr size_t kShebangMax = 256;

// A file's whole contents.
Result<std::vector<std::byte>> read_whole(Inode& inode) {
  const uint64_t size = TRY(inode.size());
  std::vector<std::byte> bytes(size);
  size_t done = 0;
  while (done < bytes.size()) {
    iovec v{bytes.data() + done, bytes.size() - done};
    const size_t n = TRY(inode.read_at(std::span(&v, 1), done));
    if (n == 0) {
      break;
    }
    done += n;
  }
  bytes.resize(done);
  return bytes;
}

// An ELF image validated for this machine; ENOEXEC for anything else.
Result<loader::ElfImage> parse(std::span<const std::byte> bytes) {
  auto image = loader::parse_elf(bytes, arch::kElfMachine);
  if (!image) {
    log::sentry().debug("exec: {}", image.error().message);
    return Errno::kENOEXEC;
  }
  return std::move(*image);
}

}  // namespace

Result<ProgramFile> Kernel::open_executable(const std::shared_ptr<Dentry>& root,
                                            const std::shared_ptr<Dentry>& start,
                                            const std::string& path, bool follow) {
  auto dentry = TRY(vfs().lookup(root, start, path, follow));
  return open_executable(dentry);
}

Result<ProgramFile> Kernel::open_executable(const std::shared_ptr<Dentry>& dentry) {
  Inode& inode = *dentry->inode();
  if (inode.is_symlink()) {
    return Errno::kELOOP;
  }
  if (!inode.is_regular()) {
    return Errno::kEACCES;
  }
  const FileStat st = TRY(inode.stat());
  bool executable = (st.mode & 0111) != 0;
  if (m_uid != 0) {
    const uint32_t bit = st.uid == m_uid ? 0100 : st.gid == m_gid ? 010 : 01;
    executable = (st.mode & bit) != 0;
  }
  if (!executable) {
    return Errno::kEACCES;
  }
  ProgramFile file;
  file.dentry = dentry;
  file.bytes = TRY(read_whole(inode));
  return file;
}

Result<ExecRequest> Kernel::resolve_exec(const std::shared_ptr<Dentry>& root,
                                         const std::shared_ptr<Dentry>& cwd, ProgramFile file,
                                         std::string execfn, std::vector<std::string> argv,
                                         std::vector<std::string> envp, bool script_unreachable) {
  ExecRequest request;
  request.argv = std::move(argv);
  request.envp = std::move(envp);
  request.execfn = std::move(execfn);
  // Linux (since 5.18) runs a program given no arguments with one empty one.
  if (request.argv.empty()) {
    request.argv.emplace_back();
  }
  // The name the next interpreter is given for the script: as execve got it.
  std::string name = request.execfn;
  for (int depth = 0;; ++depth) {
    const auto& bytes = file.bytes;
    if (bytes.size() >= 2 && bytes[0] == std::byte{'#'} && bytes[1] == std::byte{'!'}) {
      // A script: "#!interpreter [one argument]" runs the interpreter with
      // the script's path in place of argv[0], as Linux's binfmt_script.
      if (depth > kMaxInterpreterDepth) {
        return Errno::kELOOP;
      }
      const size_t limit = std::min(bytes.size(), kShebangMax);
      std::string line(reinterpret_cast<const char*>(bytes.data()) + 2, limit - 2);
      const size_t newline = line.find('\n');
      if (newline == std::string::npos && bytes.size() > kShebangMax) {
        return Errno::kENOEXEC;
      }
      line = line.substr(0, newline);
      auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos) {
        return Errno::kENOEXEC;
      }
      line = line.substr(first);
      line.erase(line.find_last_not_of(" \t") + 1);
      const size_t split = line.find_first_of(" \t");
      const std::string interpreter = line.substr(0, split);
      std::vector<std::string> args{interpreter};
      if (split != std::string::npos) {
        const std::string rest = line.substr(line.find_first_not_of(" \t", split));
        args.push_back(rest);
      }
      if (script_unreachable) {
        // execveat of a close-on-exec descriptor: the interpreter could
        // never open /dev/fd/N (execveat(2)).
        return Errno::kENOENT;
      }
      args.push_back(name);
      for (size_t i = 1; i < request.argv.size(); ++i) {
        args.push_back(request.argv[i]);
      }
      request.argv = std::move(args);
      file = TRY(open_executable(root, cwd, interpreter, true));
      name = interpreter;
      script_unreachable = false;
      continue;
    }
    break;
  }
  request.image = TRY(parse(file.bytes));
  if (request.image.interp) {
    auto interp = TRY(open_executable(root, root, *request.image.interp, true));
    request.interp_image = TRY(parse(interp.bytes));
    if (!request.interp_image->position_independent) {
      return Errno::kELIBBAD;
    }
    request.interp = std::move(interp);
  }
  request.program = std::move(file);
  return request;
}

Result<NewImage> Kernel::build_image(const ExecRequest& request,
                                     std::unique_ptr<platform::AddressSpace> as,
                                     uint64_t stack_limit) {
  const loader::ElfImage& image = request.image;

  MemoryLayout layout;
  layout.stack_limit = stack_limit;
  layout.stack_top = kStackTop - (layout_random(kStackRandomBits) << kPageShift);
  const uint64_t gap = std::max(stack_limit, kMinStackGap);
  layout.mmap_base =
      page_round_down(layout.stack_top - gap) - (layout_random(kMmapRandomBits) << kPageShift);

  auto mm = std::make_shared<MemoryManager>(m_machine.memory(), std::move(as), layout);

  const uint64_t bias =
      image.position_independent ? kPieBase + (layout_random(kPieRandomBits) << kPageShift) : 0;
  auto loaded = TRY(loader::load_segments(image, request.program.bytes, bias, *mm));
  mm->set_brk_base(loaded.end + (layout_random(kBrkRandomBits) << kPageShift));

  // The interpreter (ld.so) goes where mmap would put it, as Linux does.
  uint64_t interp_base = 0;
  uint64_t entry = loaded.entry;
  if (request.interp_image) {
    const loader::ElfImage& interp = *request.interp_image;
    const uint64_t span = interp.max_vaddr - interp.min_vaddr;
    const uint64_t reserved =
        TRY(mm->map(MapRequest{.addr = 0, .length = span, .prot = PROT_NONE}));
    const uint64_t interp_bias = reserved - interp.min_vaddr;
    auto interp_loaded =
        TRY(loader::load_segments(interp, request.interp->bytes, interp_bias, *mm));
    interp_base = interp_bias;
    entry = interp_loaded.entry;
  }

  std::array<uint8_t, 16> random{};
  if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
    return Errno::kEIO;
  }
  const loader::AuxEntry auxv[] = {
      {loader::kAtHwcap, m_cpu_info.hwcap},
      {loader::kAtPagesz, kPageSize},
      {loader::kAtClktck, 100},
      {loader::kAtPhdr, loaded.phdr},
      {loader::kAtPhent, image.phentsize},
      {loader::kAtPhnum, image.phnum},
      {loader::kAtBase, interp_base},
      {loader::kAtFlags, 0},
      {loader::kAtEntry, loaded.entry},
      {loader::kAtUid, m_uid},
      {loader::kAtEuid, m_uid},
      {loader::kAtGid, m_gid},
      {loader::kAtEgid, m_gid},
      {loader::kAtSecure, 0},
      {loader::kAtHwcap2, m_cpu_info.hwcap2},
  };
  loader::InitialStackSpec stack_spec;
  stack_spec.stack_top = layout.stack_top;
  stack_spec.argv = request.argv;
  stack_spec.envp = request.envp;
  stack_spec.auxv = auxv;
  stack_spec.random = random;
  stack_spec.execfn = request.execfn;
  stack_spec.platform = m_cpu_info.platform;
  stack_spec.max_size = stack_limit / 4;
  auto stack = TRY(loader::setup_stack(stack_spec, *mm));
  TRY(arch::map_signal_trampoline(*mm));
  return NewImage{std::move(mm), entry, std::move(stack)};
}

}  // namespace moat::sentry

namespace moat::sentry {

void Kernel::exec_into(Task& task, const ExecRequest& request, NewImage image) {
  ThreadGroup& group = task.group();
  // Linux's de_thread: the other threads end before the new program runs.
  group.end_other_threads(&task);
  while (group.thread_count() > 1 && !group.exiting()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  task.set_mm(image.mm);
  if (auto switched = task.vcpu().set_address_space(image.mm->address_space()); !switched) {
    log::sentry().error("exec: cannot switch the vCPU to the new program: {}",
                        switched.error().message);
    task.force_kill();
    return;
  }
  arch::start_user(task.regs(), image.entry, image.stack.sp);
  auto fp = task.vcpu().set_fp_state(m_initial_fp_state);
  auto tls = task.vcpu().set_special(arch::kTlsRegister, 0);
  if (!fp || !tls) {
    log::sentry().error("exec: cannot reset the vCPU's state");
    task.force_kill();
    return;
  }
  task.set_exe_path(request.program.dentry->path());
  task.clear_child_tid = 0;
  task.robust_list_head = 0;
  task.robust_list_len = 0;
  task.rseq_area = 0;
  task.rseq_len = 0;
  task.signal_stack() = SignalStack{};

  if (task.fds_ptr().use_count() > 1) {
    task.set_fds(task.fds().copy());
  }
  task.fds().close_on_exec();
  if (group.signal_handlers_ptr().use_count() > 1) {
    group.set_signal_handlers(group.signal_handlers().copy());
  }
  group.signal_handlers().reset_for_exec();

  // A vfork parent goes on once its child has a program of its own.
  if (const int waiter = group.release_vfork(); waiter != 0) {
    if (auto parent = find_task(waiter)) {
      parent->wake();
    }
  }
}

}  // namespace moat::sentry
