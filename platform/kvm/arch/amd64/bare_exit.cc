#include <fcntl.h>
#include <sys/mman.h>

#include <chrono>
#include <cstring>

#include "base/unique_fd.h"
#include "platform/kvm/kvm_api.h"
#include "platform/kvm/kvm_fd.h"
#include "platform/kvm/kvm_machine.h"

namespace moat::kvm {

Result<double, Error> measure_bare_exit_ns(int iterations) {
  UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.valid()) {
    return host_error("open /dev/kvm", errno);
  }
  UniqueFd vm(TRY(KVM_IOCTL(kvm.get(), KVM_CREATE_VM, 0ul)));
  TRY(KVM_IOCTL(vm.get(), KVM_SET_TSS_ADDR, 0xfffbd000ul));
  constexpr size_t kSize = 0x10000;
  void* mem = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return host_error("mmap", errno);
  }
  // Real mode at 0x1000: 1: out %al, $0x50; jmp 1b
  const uint8_t code[] = {0xe6, 0x50, 0xeb, 0xfc};
  std::memcpy(static_cast<uint8_t*>(mem) + 0x1000, code, sizeof(code));
  kvm_userspace_memory_region region{};
  region.memory_size = kSize;
  region.userspace_addr = reinterpret_cast<uint64_t>(mem);
  auto cleanup = [&] { munmap(mem, kSize); };
  auto set = KVM_IOCTL(vm.get(), KVM_SET_USER_MEMORY_REGION, &region);
  if (!set) {
    cleanup();
    return set.error();
  }
  UniqueFd vcpu(TRY(KVM_IOCTL(vm.get(), KVM_CREATE_VCPU, 0ul)));
  int run_size = TRY(KVM_IOCTL(kvm.get(), KVM_GET_VCPU_MMAP_SIZE, 0));
  auto* run = static_cast<kvm_run*>(mmap(nullptr, static_cast<size_t>(run_size),
                                         PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.get(), 0));
  kvm_sregs sregs{};
  TRY(KVM_IOCTL(vcpu.get(), KVM_GET_SREGS, &sregs));
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  TRY(KVM_IOCTL(vcpu.get(), KVM_SET_SREGS, &sregs));
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  TRY(KVM_IOCTL(vcpu.get(), KVM_SET_REGS, &regs));
  auto once = [&]() -> Result<void, Error> {
    TRY(KVM_IOCTL(vcpu.get(), KVM_RUN, 0));
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x50) {
      return make_error("bare exit guest: unexpected exit");
    }
    return {};
  };
  for (int i = 0; i < 100; ++i) {
    TRY(once());
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    TRY(once());
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  munmap(run, static_cast<size_t>(run_size));
  cleanup();
  return std::chrono::duration<double, std::nano>(elapsed).count() / iterations;
}

}  // namespace moat::kvm
